/**
 * Canary deployments of Flink jobs, end to end through the CLI, on a real Flink
 * session cluster (FLINK_REST_URL, or one this file starts) and the real broker:
 * the fraud v1 runs on Flink, v2 is forked from a savepoint of it, shadowed on the
 * canary topic, judged by the same checks and gate, then promoted by a cold
 * savepoint handoff (the orchestrator killed mid-promotion and resumed) and rolled
 * back; a warm handoff is refused before anything runs. Every output is read back
 * read_committed. Failing candidates: flink-canary-failures.test.ts; promotion by
 * consumer cutover: flink-cutover.test.ts (one file each, so no file nears the
 * runner's per-file limit).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { amountOf } from './canary-harness.ts';
import { drained, failuresOf, flinkCluster, flinkHarness, flinkSpec, gatePasses, launch, readBack, runsOf, setUpFlinkCanary, statusOf } from './support/flink-canary.ts';
import { readAll, verifyHandoff, verifyOutputs } from '../src/demo/verify.ts';

before(async () => {
  await setUpFlinkCanary();
});

after(async () => {
  await flinkCluster().stop();
});

const over = (n: number) => (x: unknown) => amountOf(x) > n;

test('a warm handoff of a Flink job is refused before anything runs', { timeout: 120_000 }, async (t) => {
  const h = await flinkHarness(t, 'fl-warm');
  const spec = flinkSpec(h, { promotion: '{ strategy: savepoint-handoff, mode: warm }' });
  const r = await h.cli(['canary', 'start', spec]);
  assert.equal(r.code, 3, r.out);
  assert.match(r.err, /SPEC_PROMOTION_UNSUPPORTED[\s\S]*promotion\.mode: a warm handoff needs engines that can hold, run to offsets and switch its sink; the flink engine \(authoritative\) cannot/);
  assert.match(r.err, /nothing was started/);
  assert.deepEqual(await runsOf(h, h.name), [], 'nothing was submitted to Flink');
  assert.equal((await h.cli(['canary', 'status', h.name])).code, 3, 'no deployment was recorded');
});

test('Flink: pass → cold handoff, the orchestrator killed while promoting and resumed (one new job, no gap, no duplicate), then rollback from the kept savepoint', { timeout: 600_000 }, async (t) => {
  const h = await flinkHarness(t, 'fl-cold');
  h.startTraffic(1000);
  const spec = flinkSpec(h);
  await launch(h, spec);
  const start = await h.cli(['canary', 'start', spec]);
  assert.equal(start.code, 0, start.err);
  let s = await statusOf(h, h.name);
  assert.equal(s.deployment.plan?.strategy === 'savepoint-handoff' && s.deployment.plan.mode, 'cold', 'Flink deployments default to the cold handoff');
  assert.equal(s.jobs.find((j) => j.jobId === `${h.name}.candidate`)?.sinkTopic, h.canary, 'the candidate writes the canary topic');
  assert.ok(s.deployment.fork?.savepoint.watermark !== undefined, 'the fork savepoint carries v1\'s watermark, so the shadow skips the partial windows before it');
  await gatePasses(h, h.name);
  const [v1Run] = await runsOf(h, h.name);
  assert.deepEqual(await failuresOf(v1Run!.flinkJobId), [], 'the fork never disturbed v1 (no fenced transaction, no restart)');

  // kill -9 of the orchestrator right after the handoff (v1 stopped, v2 started), before it is recorded.
  const crashed = await h.cli(['canary', 'promote', h.name], { PITLANE_CRASH_AFTER_EFFECT: 'coldHandoff' });
  assert.equal(crashed.signal, 'SIGKILL', `the promote process was killed (${crashed.code} ${crashed.err})`);
  s = await statusOf(h, h.name);
  assert.equal(s.deployment.phase, 'Promoting');
  assert.equal(s.deployment.pending[0]?.effect.type, 'coldHandoff');
  const resumed = await h.cli(['canary', 'resume', h.name]);
  assert.equal(resumed.code, 0, resumed.err);
  s = await statusOf(h, h.name);
  const d = s.deployment;
  assert.equal(d.phase, 'Promoted');
  assert.deepEqual(d.promotion?.steps.map((x) => x.type), ['stopAnalysis', 'cancelJob', 'coldHandoff']);
  assert.deepEqual((await runsOf(h, `${h.name}.promoted`)).map((r) => r.state), ['RUNNING'], 'the new version was submitted once');
  assert.deepEqual((await runsOf(h, h.name)).map((r) => r.state), ['FINISHED'], 'v1 stopped once, with its savepoint');
  assert.equal(d.jobs.live, `${h.name}.promoted`);
  const handoff = d.promotion!.steps.find((x) => x.type === 'coldHandoff')!.result;
  assert.equal(d.promotion?.rollbackSavepoint?.location, handoff.savepoint?.location, 'the stop savepoint is kept for the rollback');
  const pit = d.promotion?.pitStop;
  assert.ok(pit?.outputGapMs !== undefined && pit.noWriterMs !== undefined, `the pit stop was measured: ${JSON.stringify(pit)}`);
  assert.ok(pit.outputGapMs > 0, 'v2\'s first output became visible after v1\'s last');
  t.diagnostic(`Flink cold handoff pit stop: output gap ${pit.outputGapMs} ms, no writer ${pit.noWriterMs} ms`);

  // Read back (the traffic never stopped): v1's rule before the handoff's input offsets, v2's from them on, once each.
  await new Promise((r) => setTimeout(r, 2000));
  const until = await drained(h, h.name, `${h.name}.promoted`);
  await readBack(() => verifyHandoff(h.k.kafka, { input: h.input, output: h.output, cut: handoff.savepoint!.sourceOffsets, until, before: over(100), after: over(500) }));

  // Rollback: v2 stops; v1 restarts from the savepoint kept at the handoff, on the
  // authoritative topic. The input v2 handled runs through v1 again (Flink cannot
  // hold v1 at v2's offsets): everything v1 writes from here is v1's rule for every
  // input from the kept savepoint's offsets on — no gap — and nothing before them.
  const rb = await h.cli(['canary', 'rollback', h.name, '--reason', 'test']);
  assert.equal(rb.code, 0, rb.err);
  const r = (await h.status()).deployment;
  assert.deepEqual([r.phase, r.jobs.live, r.activeTopic], ['RolledBack', h.name, h.output]);
  assert.deepEqual(r.rollback?.steps.map((x) => x.type), ['stopWithSavepoint', 'startJob']);
  const boundary = r.rollback!.steps[0]!.result.savepoint!.outputOffsets!;
  assert.equal(boundary.length, 4, 'v2\'s stop recorded where its output ends');
  const view = await h.cli(['canary', 'status', h.name]);
  assert.match(view.out, /replayed +input .*@\d+\.\.\d+ ran through both versions/);
  h.startTraffic(1000);
  await new Promise((r) => setTimeout(r, 2000));
  const until2 = await drained(h, h.name, h.name);
  const kept = new Map(handoff.savepoint!.sourceOffsets.map((o) => [o.partition, o.offset]));
  await readBack(async () =>
    verifyOutputs(h.k.kafka, { input: h.input, until: until2, outputs: await readAll(h.k.kafka, h.output, 'end', { offsets: boundary }), ruleAt: (p, o) => (o < (kept.get(p) ?? 0) ? () => false : over(100)) }),
  );
  assert.deepEqual((await runsOf(h, `${h.name}.promoted`)).map((x) => x.state), ['FINISHED']);
});

