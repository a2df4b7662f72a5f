/**
 * End to end through the CLI: a candidate whose state cannot take the savepoint
 * is refused by the preflight — before anything is stopped — and a candidate that
 * crashes at start ends the fork; in both cases the authoritative job runs on. A
 * spec naming an engine pitlane cannot run is refused before anything runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { canaryHarness } from './canary-harness.ts';

const ENGINE = fileURLToPath(new URL('../src/engine/index.ts', import.meta.url));

/** v1's pipeline with the profile state's field `count` retyped int → string: no Avro resolution exists. */
const INCOMPATIBLE = `
import { avroCodec, defineJob, valueState } from '${ENGINE}';
const schema = { type: 'record', name: 'Profile', namespace: 'pitlane.examples.fraud', fields: [{ name: 'count', type: 'string' }, { name: 'total', type: 'double' }] };
const profile = valueState<{ count: string; total: number }>('profile', { codec: avroCodec(schema) });
export default defineJob({
  name: 'fraud', version: 'bad', maxParallelism: 128,
  build(env) {
    env.fromKafka<{ userId: string; amount: number; ts: number }>({ uid: 'transactions', topics: env.param('input'), timestamp: { field: 'ts' } })
      .keyBy((t) => t.userId)
      .process<{ userId: string }>('profile', { states: [profile], processElement(t, ctx) { ctx.state.value(profile).update({ count: 'x', total: t.amount }); } })
      .toKafka({ uid: 'flags', topic: env.param('output'), key: (f) => f.userId });
  },
});
`;

const CRASHING = `
import { defineJob } from '${ENGINE}';
throw new Error('candidate crashed while loading');
export default defineJob({ name: 'fraud', version: 'crash', maxParallelism: 128, build() {} });
`;

test('preflight refusal: the incompatible candidate is never started and nothing is stopped', { timeout: 180_000 }, async (t) => {
  const h = await canaryHarness(t, 'pre');
  h.startTraffic(500);
  await h.launch(2);
  const job = join(h.dir, 'incompatible.mts');
  writeFileSync(job, INCOMPATIBLE);
  const start = await h.cli(['canary', 'start', h.spec({ candidate: job }), '--json']);
  assert.equal(start.code, 1, start.err);
  const d = JSON.parse(start.out) as { phase: string; abort?: { by: string; reason: string }; preflight?: { compatible: boolean; refusals: string[] } };
  assert.equal(d.phase, 'Aborted');
  assert.equal(d.abort?.by, 'preflight', d.abort?.reason);
  assert.equal(d.preflight?.compatible, false);
  assert.ok(d.preflight.refusals.some((r) => /profile/.test(r)), d.preflight.refusals.join('\n'));
  const s = await h.status();
  const byId = new Map(s.jobs.map((j) => [j.jobId, j.state]));
  assert.equal(byId.get(h.name), 'running');
  assert.equal(byId.get(`${h.name}.candidate`), 'unknown', 'the candidate was never started');
  const gate = await h.cli(['canary', 'gate', h.name]);
  assert.equal(gate.code, 3, 'the gate reports an error, not a verdict');
});

test('a candidate that does not exist or does not load is refused before any savepoint is taken; the authoritative job runs on', { timeout: 180_000 }, async (t) => {
  const h = await canaryHarness(t, 'crash');
  h.startTraffic(500);
  await h.launch(2);
  const crashing = join(h.dir, 'crashing.mts');
  writeFileSync(crashing, CRASHING);
  const cases: [string, string, RegExp][] = [
    [join(h.dir, 'no-such-v2.ts'), 'SPEC_JOB_NOT_FOUND', /candidate\.job in .*\.yaml names .*no-such-v2\.ts, which does not exist/],
    [crashing, 'ENGINE_JOB_NOT_LOADED', /candidate\.job in .*\.yaml: Could not load job module .*crashing\.mts: .*candidate crashed while loading; nothing was started/],
    ['../outside/v2.ts', 'SPEC_JOB_OUTSIDE_PROJECT', /candidate\.job in .*\.yaml \(\.\.\/outside\/v2\.ts\) leads outside the project directory/],
  ];
  for (const [job, code, message] of cases) {
    const start = await h.cli(['canary', 'start', h.spec({ candidate: job })]);
    assert.equal(start.code, 3, `${code}: ${start.out}`);
    assert.match(start.err, new RegExp(`^error \\[${code}\\]: `), start.err);
    assert.match(start.err, message, start.err);
  }
  assert.match((await h.cli(['canary', 'status', h.name])).err, /DEPLOYMENT_NOT_FOUND/, 'no deployment was recorded');
  const savepoints = join(h.dir, 'state', 'savepoints');
  assert.deepEqual(existsSync(savepoints) ? readdirSync(savepoints) : [], [], 'no savepoint was taken');
});

test('engine: flink with a job module instead of a jar is refused by canary launch and canary start before anything runs', { timeout: 120_000 }, async (t) => {
  const h = await canaryHarness(t, 'flink');
  const file = h.spec();
  writeFileSync(file, readFileSync(file, 'utf8').replace(/^(authoritative: \{.*) \}$/m, '$1, engine: flink }'));
  for (const command of ['launch', 'start']) {
    const r = await h.cli(['canary', command, file]);
    assert.equal(r.code, 3, `${command}: ${r.err}`);
    assert.match(r.err, /^error \[CONFIG_INVALID\]: .*\.yaml is invalid:\n/, command);
    assert.match(r.err, /authoritative\.job \(line 3, col \d+\): a Flink job is named by jar and entryClass, not job/, command);
    assert.match(r.err, /authoritative\.jar .*: authoritative\.jar is the path of the Flink job's jar/, command);
  }
  const status = await h.cli(['canary', 'status', h.name]);
  assert.match(status.err, /DEPLOYMENT_NOT_FOUND/, 'no deployment was recorded');
  const jobs = join(h.dir, 'state', 'jobs');
  assert.deepEqual(existsSync(jobs) ? readdirSync(jobs) : [], [], 'no job was started');
});
