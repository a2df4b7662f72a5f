import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PitlaneError } from '../../../errors.ts';
import { loadJobModule } from './load-job.ts';

// Jobs in folders of their own, outside the repository, importing the engine by its file URL
// (as an installed `pitlane` resolves to it).
const ENGINE = new URL('../../../engine/authoring.ts', import.meta.url).href;
const JOB = `import { defineJob } from '${ENGINE}';
import { TOPIC } from './model.ts';
export default defineJob({ name: 'own', version: '1', maxParallelism: 8, build(env) { env.fromKafka<{ k: string }>({ uid: 'in', topics: TOPIC }).toKafka({ uid: 'out', topic: 'b', key: (r) => r.k }); } });
`;

function project(t: { after(fn: () => void): void }, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'pl-job-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    writeFileSync(join(dir, f), text);
  }
  return dir;
}

async function refusal(file: string): Promise<PitlaneError> {
  const e = await loadJobModule(file).then(
    () => assert.fail(`${file} loaded`),
    (e: unknown) => e,
  );
  assert.ok(e instanceof PitlaneError, String(e));
  return e;
}

test('a job loads whatever its folder: no package.json, one without "type", a plain JS job', async (t) => {
  const model = "export const TOPIC = 'orders';\n";
  const bare = project(t, { 'job.ts': JOB, 'model.ts': model });
  const untyped = project(t, { 'package.json': '{ "name": "mine" }', 'jobs/v1.ts': JOB, 'jobs/model.ts': model });
  const js = project(t, { 'job.js': `import { defineJob } from '${ENGINE}';\nexport default defineJob({ name: 'plain', version: '1', maxParallelism: 8, build() {} });\n` });
  assert.equal((await loadJobModule(join(bare, 'job.ts'))).name, 'own');
  assert.equal((await loadJobModule(join(untyped, 'jobs/v1.ts'))).name, 'own');
  assert.equal((await loadJobModule(join(js, 'job.js'))).name, 'plain');
});

test('a job that does not load says why, with its file and line', async (t) => {
  const dir = project(t, {
    'syntax.ts': `import { defineJob } from '${ENGINE}';\n\nconst broken = ;\nexport default defineJob;\n`,
    'broken.js': 'const a = 1;\nconst b = ;\n',
    'none.ts': 'export const helper = 1;\nexport function build() {}\n',
    'other.ts': "export const x = 1;\n\nexport default { name: 'x', version: '1' };\n",
    'throws.ts': `import { defineJob } from '${ENGINE}';\nexport default defineJob({ name: 'bad name!', version: '1', maxParallelism: 8, build() {} });\n`,
    'missing.ts': "import { defineJob } from 'pitlane-not-installed';\nexport default defineJob;\n",
  });
  const syntax = await refusal(join(dir, 'syntax.ts'));
  assert.equal(syntax.code, 'ENGINE_JOB_SYNTAX_ERROR');
  assert.match(syntax.message, /syntax error at .*syntax\.ts:3:15: /);
  assert.deepEqual([syntax.data?.line, syntax.data?.column], [3, 15]);
  const js = await refusal(join(dir, 'broken.js'));
  assert.equal(js.code, 'ENGINE_JOB_SYNTAX_ERROR');
  assert.match(js.message, /broken\.js:2: Unexpected token/);
  const none = await refusal(join(dir, 'none.ts'));
  assert.equal(none.code, 'ENGINE_JOB_NO_DEFAULT_EXPORT');
  assert.match(none.message, /none\.ts has no default export \(it exports build, helper\)/);
  const other = await refusal(join(dir, 'other.ts'));
  assert.equal(other.code, 'ENGINE_NOT_A_JOB');
  assert.match(other.message, /other\.ts:3: the default export is an object \(keys: name, version\), not a job made by defineJob\(\)/);
  const throws = await refusal(join(dir, 'throws.ts'));
  assert.equal(throws.code, 'ENGINE_JOB_NOT_LOADED');
  assert.match(throws.message, /Could not load job module .*throws\.ts: threw at .*throws\.ts:2:\d+: Job name "bad name!" is not valid\./);
  const missing = await refusal(join(dir, 'missing.ts'));
  assert.equal(missing.code, 'ENGINE_JOB_NOT_LOADED');
  assert.match(missing.hint ?? '', /npm install pitlane-not-installed/);
});
