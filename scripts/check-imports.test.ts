// The import check must be able to fail: each rule of the map, broken on purpose.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkImports, moduleOf } from './check-imports.mjs';


const check = (path: string, text: string) => checkImports([{ path, text }]);

test('modules by path', () => {
  const cases: [string, string | undefined][] = [
    ['src/errors.ts', 'low'],
    ['src/process/pids.ts', 'low'],
    ['src/config/duration.ts', 'low'],
    ['src/kafka/port.ts', 'kafka'],
    ['src/engine/runtime/runner.ts', 'engine'],
    ['src/engines/embedded/adapter.ts', 'engines'],
    ['src/orchestrator/create.ts', 'orchestrator'],
    ['comparators/count/index.ts', 'comparators'],
    ['src/engine/runtime/runner.test.ts', undefined],
    ['test/canary-warm.test.ts', undefined],
    ['bench/engine.ts', undefined],
    ['src/somewhere-new.ts', 'unmapped'],
  ];
  for (const [path, module] of cases) assert.equal(moduleOf(path), module, path);
});

test('imports that follow the map pass', () => {
  const ok: [string, string][] = [
    ['src/engine/runtime/runner.ts', "import { x } from '../../kafka/port.ts';"],
    ['src/engine/runtime/runner.ts', "import type { y } from '../operators/keyed.ts';"],
    ['src/engines/embedded/host.ts', "import { startJob } from '../../engine/index.ts';"],
    ['src/cli/commands/run.ts', "import { x } from '../../orchestrator/create.ts';"],
    ['src/orchestrator/create.ts', "import { EmbeddedAdapter } from '../engines/embedded/adapter.ts';"],
    ['src/compare/decode.ts', "export { LINEAGE } from '../lineage.ts';"],
  ];
  for (const [path, text] of ok) assert.deepEqual(check(path, text), [], `${path}: ${text}`);
});

test('imports against the map fail, naming the rule', () => {
  const bad: [string, string, RegExp][] = [
    ['src/engine/runtime/runner.ts', "import { x } from '../../orchestrator/create.ts';", /engine may not import orchestrator/],
    ['src/kafka/port.ts', "import { x } from '../engine/index.ts';", /kafka may not import engine/],
    ['comparators/count/index.ts', "import { x } from '../../src/engine/index.ts';", /comparators may not import engine/],
    ['src/engines/embedded/host.ts', "import { x } from '../../engine/runtime/runner.ts';", /public API/],
    ['src/engine/operators/sink.ts', "import { x } from '../runtime/output.ts';", /operators sit below the runtime/],
    ['src/orchestrator/analysis/shadow.ts', "import { x } from '../create.ts';", /composition root/],
    ['src/orchestrator/controller/controller.ts', "import { x } from '../../engines/embedded/adapter.ts';", /only create.ts picks an adapter/],
    ['src/orchestrator/controller/controller.ts', "const m = await import('../../dev/launcher.ts');", /orchestrator may not import dev/],
    ['src/somewhere-new.ts', '', /in no module of the map/],
  ];
  for (const [path, text, reason] of bad) {
    const v = check(path, text);
    assert.equal(v.length, 1, `${path}: ${text} → ${JSON.stringify(v)}`);
    assert.match(v[0]!.reason, reason);
  }
});
