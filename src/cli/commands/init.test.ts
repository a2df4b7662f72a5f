import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PitlaneError } from '../../errors.ts';
import { loadJobModule } from '../../engines/embedded/host/load-job.ts';
import { parseDeploymentSpec } from '../../orchestrator/spec/load.ts';
import { compareConfigOf } from '../../orchestrator/analysis/compare-config.ts';
import { scaffold } from './init.ts';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'pl-init-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('init scaffolds a project whose spec is valid and names topics after the project; its package.json depends on this pitlane', async (t) => {
  const dir = join(tempDir(t), 'My Shop');
  const made = scaffold(dir, undefined);
  assert.equal(made.name, 'my-shop');
  assert.deepEqual(made.files.sort(), ['.gitignore', 'README.md', 'checks/totals.ts', 'deploy.yaml', 'job/v1.test.ts', 'job/v1.ts', 'package.json', 'tsconfig.json']);
  const own = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string; dependencies: Record<string, string> };
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  assert.deepEqual(pkg.dependencies, { pitlane: `^${own.version}`, tsx: own.dependencies.tsx });
  const spec = parseDeploymentSpec(readFileSync(join(dir, 'deploy.yaml'), 'utf8'), join(dir, 'deploy.yaml'));
  assert.equal(spec.name, 'my-shop');
  assert.deepEqual(spec.inputs, ['my-shop.orders']);
  assert.equal(spec.authoritative.output, 'my-shop.totals');
  const source = readFileSync(join(dir, 'job/v1.ts'), 'utf8');
  assert.match(source, /from 'pitlane'/);
  // The job as written, with the package's entry in place of the package name, is a job.
  writeFileSync(join(dir, 'job/local.ts'), source.replace("from 'pitlane'", `from '${new URL('../../engine/authoring.ts', import.meta.url).href}'`));
  assert.equal((await loadJobModule(join(dir, 'job/local.ts'))).name, 'my-shop');
  // So is its business check, named by the spec and loaded as the comparator loads it.
  const check = readFileSync(join(dir, 'checks/totals.ts'), 'utf8');
  writeFileSync(join(dir, 'checks/totals.ts'), check.replace("from 'pitlane'", `from '${new URL('../../engine/authoring.ts', import.meta.url).href}'`));
  const config = await compareConfigOf(spec, 'deploy.yaml', dir);
  assert.deepEqual(config.checks.map((c) => `${c.name}:${c.type}`), ['schema:schema', 'count:count', 'key-coverage:key-coverage', 'merchant-totals:custom']);
});

test('init never overwrites a file and refuses a name that cannot name a deployment', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'README.md'), 'mine\n');
  assert.throws(() => scaffold(dir, 'shop'), (e: unknown) => e instanceof PitlaneError && e.code === 'INIT_WOULD_OVERWRITE' && /README\.md/.test(e.message));
  assert.equal(readFileSync(join(dir, 'README.md'), 'utf8'), 'mine\n');
  assert.throws(() => scaffold(join(dir, 'x'), 'Bad Name'), (e: unknown) => e instanceof PitlaneError && e.code === 'INIT_BAD_NAME');
});
