import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineCheck } from '../../check-authoring.ts';
import { PitlaneError } from '../../errors.ts';
import { rec, runWindow } from '../../../comparators/test-support.ts';
import { loadCompareConfig } from '../config.ts';
import { customCheck } from './custom.ts';

const EXAMPLE = fileURLToPath(new URL('../../../examples/checks/revenue-per-merchant.ts', import.meta.url));
// Checks outside the repository import the authoring API by its file URL, as an installed `pitlane` resolves to it.
const API = new URL('../../engine/authoring.ts', import.meta.url).href;

const order = (merchant: string, amount: number) => rec(`o-${merchant}-${amount}`, { merchant, amount });
const orders = (scale: Record<string, number> = {}) =>
  ['m1', 'm2', 'm3'].flatMap((m, i) => [10, 20, 30 + i].map((x) => order(m, x * (scale[m] ?? 1))));

function project(t: { after(fn: () => void): void }, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'pl-check-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    writeFileSync(join(dir, f), text);
  }
  return dir;
}

async function refusal(input: unknown, cwd: string): Promise<PitlaneError> {
  const e = await loadCompareConfig(input, 'checks.yaml', cwd).then(
    () => assert.fail('the config loaded'),
    (e: unknown) => e,
  );
  assert.ok(e instanceof PitlaneError, String(e));
  return e;
}

test('revenue-per-merchant: passes within the tolerance, fails a merchant beyond it, is inconclusive without records', async () => {
  const config = await loadCompareConfig({ checks: [{ type: 'count' }, { type: 'custom', module: EXAMPLE, relative: 0.01 }] });
  const check = config.checks[1]!;
  assert.equal(check.name, 'revenue-per-merchant', 'named by its defineCheck');
  assert.deepEqual(config.policy.checks.map((p) => [p.name, p.type]), [['count', 'count'], ['revenue-per-merchant', 'custom']]);

  const [pass] = runWindow(check, orders(), orders({ m2: 1.005 }));
  assert.equal(pass!.status, 'Successful');
  assert.equal(pass!.metric, 'revenue');
  assert.equal(pass!.threshold, 0.01);
  assert.equal(pass!.records, 18);

  // Same records, same keys, same count: only m3's amounts changed.
  const [fail] = runWindow(check, orders(), orders({ m3: 1.2 }));
  assert.equal(fail!.status, 'Failed');
  assert.equal(fail!.observed!.toFixed(9), '0.200000000');
  assert.deepEqual([fail!.sides!.a, fail!.sides!.b.toFixed(6)], [62, '74.400000']);
  assert.match(String(fail!.detail.reason), /^1 of 3 merchants off: m3 62 → 74\.4 \(\+20\.0%\)$/);
  assert.deepEqual(runWindow(config.checks[0]!, orders(), orders({ m3: 1.2 })).map((m) => m.status), ['Successful']);

  const [empty] = runWindow(check, [], []);
  assert.equal(empty!.status, 'Inconclusive');
});

test('a check without a status is judged by the spec tolerance; several results are several metrics', async () => {
  const totals = defineCheck({
    name: 'totals',
    init: () => ({ n: 0, sum: 0 }),
    add: (acc, r) => ({ n: acc.n + 1, sum: acc.sum + ((r.value as { amount: number }).amount ?? 0) }),
    measure: (a, b) => [
      { metric: 'sum', a: a.sum, b: b.sum },
      { metric: 'n', a: a.n, b: b.n },
    ],
  });
  const check = customCheck('totals', totals, { module: 'inline', options: undefined, relative: 0.1, absolute: 0 });
  const ms = runWindow(check, orders(), orders({ m1: 1.5 }));
  assert.deepEqual(ms.map((m) => [m.metric, m.status, m.threshold]), [['sum', 'Failed', 0.1], ['n', 'Successful', 0.1]]);
  assert.equal(ms[0]!.observed!.toFixed(9), (30 / 183).toFixed(9), 'm1 +50%: 183 → 213');
  const within = customCheck('totals', totals, { module: 'inline', options: undefined, relative: 0, absolute: 100 });
  assert.deepEqual(runWindow(within, orders(), orders({ m1: 1.5 })).map((m) => m.status), ['Successful', 'Successful'], 'the absolute tolerance holds');
});

test('a check that throws or returns no measurement errs that window only, with its message and line; the other checks measure', async (t) => {
  const dir = project(t, {
    'throws.ts': `import { defineCheck } from '${API}';
export default defineCheck({
  name: 'throws',
  options: (raw) => raw as { when: string },
  init: (c) => {
    if (c.options.when === 'init') throw new Error('no init');
    return 0;
  },
  add: (n: number, r, c) => {
    if (c.options.when === 'add' && (r.value as { amount: number }).amount === 20) throw new RangeError('amount 20');
    return n + 1;
  },
  measure: (a, b, c) => {
    if (c.options.when === 'measure') throw new Error('cannot measure');
    return { a, b };
  },
});
`,
  });
  const entry = (when: string) => ({ type: 'custom', name: `throws-in-${when}`, module: 'throws.ts', options: { when } });
  const config = await loadCompareConfig({ checks: [entry('init'), entry('add'), entry('measure'), { type: 'count' }] }, 'checks.yaml', dir);
  const lines = { init: 6, add: 10, measure: 14 };
  for (const [i, when] of (['init', 'add', 'measure'] as const).entries()) {
    const [m, ...rest] = runWindow(config.checks[i]!, orders(), orders());
    assert.equal(rest.length, 0);
    assert.equal(m!.status, 'Error', when);
    assert.match(String(m!.detail.error), new RegExp(`^${when} threw at .*throws\\.ts:${lines[when]}:\\d+: (no init|amount 20|cannot measure)$`));
    assert.equal(m!.detail.module, join(dir, 'throws.ts'));
    assert.equal(m!.records, 18);
  }
  assert.deepEqual(runWindow(config.checks[3]!, orders(), orders()).map((m) => m.status), ['Successful'], 'count measures beside them');
  const returning = (value: unknown) => customCheck('r', defineCheck({ name: 'r', init: () => 0, add: () => undefined, measure: () => value as never }), { module: 'inline', options: undefined, relative: 0, absolute: 0 });
  const cases: [unknown, RegExp][] = [
    [42, /returned number, not a result/],
    [Promise.resolve({ status: 'pass' }), /a Promise: a check measures synchronously/],
    [{ a: 1, b: Number.NaN }, /b = NaN for value, not a finite number/],
    [{ status: 'ok' }, /status "ok" for value; use pass, fail or inconclusive/],
    [{ reason: 'nothing' }, /neither a status nor both sides' values/],
    [[{ metric: 'x', status: 'pass' }, { metric: 'x', status: 'fail' }], /the metric "x" twice/],
    [[], /no result/],
  ];
  for (const [value, message] of cases) {
    const [m] = runWindow(returning(value), orders(), orders());
    assert.equal(m!.status, 'Error');
    assert.match(String(m!.detail.error), message);
  }
  const [explicit] = runWindow(returning({ status: 'inconclusive', reason: 'too few merchants', observed: null }), orders(), orders());
  assert.deepEqual([explicit!.status, explicit!.detail.reason, explicit!.observed, explicit!.sides], ['Inconclusive', 'too few merchants', null, undefined]);
});

test('custom checks are loaded and validated before anything runs: a missing module, a syntax error, no check exported, bad options', async (t) => {
  const dir = project(t, {
    'checks/ok.ts': `import { defineCheck } from '${API}';\nimport { FIELD } from './model.ts';\nexport default defineCheck({ name: 'ok', init: () => 0, add: (n: number, r) => n + Number((r.value as Record<string, number>)[FIELD]), measure: (a, b) => ({ a, b }) });\n`,
    'checks/model.ts': "export const FIELD = 'amount';\n",
    'checks/opts.ts': `import { defineCheck } from '${API}';\nexport default defineCheck({ name: 'opts', init: () => 0, add: () => undefined, measure: (_a, _b, c) => ({ status: 'pass', detail: { options: c.options } }) });\n`,
    'checks/syntax.ts': `import { defineCheck } from '${API}';\n\nconst broken = ;\nexport default defineCheck;\n`,
    'checks/none.ts': 'export const helper = 1;\n',
    'checks/job.ts': "export const x = 1;\n\nexport default { name: 'x', init() {} };\n",
    'checks/throws.ts': `import { defineCheck } from '${API}';\nexport default defineCheck({ name: 'bad name!', init: () => 0, add: () => 0, measure: () => ({ status: 'pass' }) });\n`,
  });
  const custom = (module: string, extra: Record<string, unknown> = {}) => ({ checks: [{ type: 'custom', module, ...extra }] });
  // A folder without package.json: loaded as an ES module, relative paths from the directory given.
  const ok = await loadCompareConfig(custom('checks/ok.ts', { name: 'amounts' }), 'checks.yaml', dir);
  assert.equal(ok.checks[0]!.name, 'amounts');
  assert.deepEqual((ok.input as { checks: { module: string }[] }).checks[0]!.module, join(dir, 'checks/ok.ts'), 'the worker is handed the absolute path');
  assert.deepEqual(runWindow(ok.checks[0]!, orders(), orders()).map((m) => m.status), ['Successful']);

  // Without options(), the options as written, {} when none.
  const opts = await loadCompareConfig({ checks: [{ type: 'custom', module: 'checks/opts.ts' }, { type: 'custom', name: 'given', module: 'checks/opts.ts', options: { x: 1 } }] }, 'checks.yaml', dir);
  assert.deepEqual(opts.checks.map((c) => runWindow(c, orders(), [])[0]!.detail.options), [{}, { x: 1 }]);

  const missing = await refusal(custom('checks/nope.ts'), dir);
  assert.equal(missing.code, 'CHECK_MODULE_NOT_FOUND');
  assert.match(missing.message, /^check checks\/nope\.ts \(custom\) in checks\.yaml: module checks\/nope\.ts does not exist \(.*checks\/nope\.ts\); nothing was started\.$/);
  const syntax = await refusal(custom('checks/syntax.ts', { name: 'rev' }), dir);
  assert.equal(syntax.code, 'CHECK_MODULE_SYNTAX_ERROR');
  assert.match(syntax.message, /^check rev \(custom\) in checks\.yaml: Could not load check module checks\/syntax\.ts: syntax error at .*syntax\.ts:3:15: /);
  assert.deepEqual([syntax.data?.line, syntax.data?.column], [3, 15]);
  const none = await refusal(custom('checks/none.ts'), dir);
  assert.equal(none.code, 'CHECK_MODULE_NO_DEFAULT_EXPORT');
  assert.match(none.message, /checks\/none\.ts has no default export \(it exports helper\)/);
  const notACheck = await refusal(custom('checks/job.ts'), dir);
  assert.equal(notACheck.code, 'CHECK_MODULE_NOT_A_CHECK');
  assert.match(notACheck.message, /checks\/job\.ts:3: the default export is an object \(keys: name, init\), not a check made by defineCheck\(\)/);
  const throws = await refusal(custom('checks/throws.ts'), dir);
  assert.equal(throws.code, 'CHECK_MODULE_NOT_LOADED');
  assert.match(throws.message, /Could not load check module checks\/throws\.ts: threw at .*throws\.ts:2:\d+: defineCheck: name "bad name!" is not valid/);

  const options = await refusal(custom(EXAMPLE, { options: { merchant: 'merchant', currency: 'EUR' } }), dir);
  assert.equal(options.code, 'CHECK_OPTIONS_INVALID');
  assert.match(options.message, /check revenue-per-merchant \(custom, .*revenue-per-merchant\.ts\) in checks\.yaml: its options are invalid: unknown option currency \(known: merchant, amount, examples\)/);
  const key = await refusal(custom(EXAMPLE, { tolerance: 0.1 }), dir);
  assert.equal(key.code, 'CONFIG_INVALID');
  assert.match(key.message, /Unrecognized key: "tolerance"/);
  const twice = await refusal({ checks: [{ type: 'custom', module: EXAMPLE }, { type: 'custom', module: EXAMPLE }] }, dir);
  assert.match(twice.message, /two checks are named "revenue-per-merchant"/);
});

test('the example deployment spec with a business check is valid, its module loaded', async () => {
  const { readFileSync } = await import('node:fs');
  const { parseDeploymentSpec } = await import('../../orchestrator/spec/load.ts');
  const { compareConfigOf } = await import('../../orchestrator/analysis/compare-config.ts');
  const file = fileURLToPath(new URL('../../../examples/checks/window-sum.yaml', import.meta.url));
  const spec = parseDeploymentSpec(readFileSync(file, 'utf8'), file);
  const config = await compareConfigOf(spec, file);
  assert.deepEqual(config.checks.map((c) => `${c.name}:${c.type}`), ['count:count', 'key-coverage:key-coverage', 'schema:schema', 'sum-per-key:custom']);
  const window = (sums: number[]) => sums.map((sum, i) => rec(`k${i}`, { key: `k${i}`, sum, count: 1 }));
  assert.deepEqual(runWindow(config.checks[3]!, window([100, 200]), window([100, 200.1])).map((m) => m.status), ['Successful']);
  assert.deepEqual(runWindow(config.checks[3]!, window([100, 200]), window([100, 201])).map((m) => m.status), ['Failed']);
});
