/**
 * End to end through the CLI: pass → COLD savepoint handoff. The shadow candidate
 * is cancelled, a standby of the candidate version is pre-started beside the
 * authoritative job, then the authoritative job stops with a savepoint and the
 * standby restores it and takes over the authoritative topic (the Flink way).
 * Every job writes exactly-once (the default). Read back read_committed: one
 * alert per qualifying payment, v1's rule before the savepoint's offsets and v2's
 * from them on.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { canaryHarness, amountOf } from './canary-harness.ts';
import { waitFor } from './support/kafka.ts';
import { isAlive } from '../src/process/index.ts';
import { readEntry } from '../src/engines/embedded/control/job-directory.ts';
import { verifyHandoff } from '../src/demo/verify.ts';

type Harness = Awaited<ReturnType<typeof canaryHarness>>;
type Deployment = Awaited<ReturnType<Harness['status']>>['deployment'];

/** A cold-handoff canary whose gate has passed, with traffic running. */
async function passedColdCanary(t: TestContext, prefix: string): Promise<Harness> {
  const h = await canaryHarness(t, prefix);
  h.startTraffic(1000);
  await h.launch(4);
  const start = await h.cli(['canary', 'start', h.spec({ promotion: '{ strategy: savepoint-handoff, mode: cold }' })]);
  assert.equal(start.code, 0, start.err);
  const gate = await h.cli(['canary', 'gate', h.name, '--wait', '--timeout', '120s']);
  assert.equal(gate.code, 0, `gate: ${gate.out} ${gate.err}`);
  return h;
}

/** Kills the pre-started standby (`kill -9`) and waits until it is gone. */
async function killStandby(h: Harness): Promise<void> {
  const standby = readEntry(join(h.dir, 'state', 'jobs'), `${h.name}.promoted`);
  assert.ok(standby && isAlive(standby.pid), 'the standby is up');
  process.kill(standby.pid, 'SIGKILL');
  await waitFor(() => !isAlive(standby.pid));
}

/** Lets the new job run a little, stops traffic, and reads the output back read_committed: no alert lost, doubled or unexpected. */
async function assertNoGapOrDuplicate(h: Harness, d: Deployment): Promise<void> {
  const handoff = d.promotion!.steps.find((x) => x.type === 'coldHandoff')!.result;
  await new Promise((r) => setTimeout(r, 1500));
  await h.stopTraffic();
  await h.caughtUp(d.jobs.live);
  const v = await verifyHandoff(h.k.kafka, { input: h.input, output: h.output, cut: handoff.savepoint!.sourceOffsets, until: await h.highs(h.input), before: (x) => amountOf(x) > 100, after: (x) => amountOf(x) > 500 });
  assert.ok(v.expected > 100, `enough alerts to judge (${v.expected})`);
  assert.deepEqual({ missing: v.missing, duplicates: v.duplicates, unexpected: v.unexpected }, { missing: 0, duplicates: 0, unexpected: 0 }, v.examples.join('; '));
}

test('pass → cold handoff: restored from the stop savepoint, no alert lost or duplicated', { timeout: 240_000 }, async (t) => {
  const h = await passedColdCanary(t, 'cold');
  const promote = await h.cli(['canary', 'promote', h.name]);
  assert.equal(promote.code, 0, promote.err);

  const s = await h.status();
  const d = s.deployment;
  assert.equal(d.phase, 'Promoted');
  assert.deepEqual(d.promotion?.steps.map((x) => x.type), ['stopAnalysis', 'cancelJob', 'prepareStandby', 'restoreStandby', 'coldHandoff']);
  const handoff = d.promotion!.steps.find((x) => x.type === 'coldHandoff')!.result;
  assert.equal(handoff.standby, true, 'the pre-started standby took over');
  assert.equal(handoff.delta?.applied, true, `the standby restored the base ahead and applied the delta (${handoff.delta?.reason ?? ''})`);
  assert.ok((handoff.delta?.keys ?? 0) > 0, 'keys changed between the base and the stop');
  assert.ok(existsSync(join(handoff.savepoint!.location, '_metadata')), 'the full savepoint (kept for rollback) was written too');
  assert.ok(handoff.delta?.location && handoff.delta.base, 'the result names the delta and its base');
  assert.deepEqual([existsSync(handoff.delta.location), existsSync(handoff.delta.base)], [false, false], 'once the handoff is recorded, its base savepoint and delta are deleted');
  assert.equal(d.jobs.live, `${h.name}.promoted`);
  assert.ok(d.promotion?.pitStop?.outputGapMs !== undefined, 'the pit stop was measured');
  const states = new Map(s.jobs.map((j) => [j.jobId, j.state]));
  assert.equal(states.get(`${h.name}.promoted`), 'running');

  await assertNoGapOrDuplicate(h, d);
});

test('the standby lost its base before the stop: the handoff falls back to the full savepoint, no gap or duplicate', { timeout: 240_000 }, async (t) => {
  const h = await passedColdCanary(t, 'cold-fallback');

  // The orchestrator dies right after the standby restored the base, before recording it…
  const crashed = await h.cli(['canary', 'promote', h.name], { PITLANE_CRASH_AFTER_EFFECT: 'restoreStandby' });
  assert.equal(crashed.signal, 'SIGKILL', `the promote process was killed (${crashed.code} ${crashed.err})`);
  // …and the standby dies with the base it restored. The resumed step answers from the
  // request log (base taken, restored), so the handoff finds out only when it hands over.
  await killStandby(h);

  const resume = await h.cli(['canary', 'resume', h.name]);
  assert.equal(resume.code, 0, resume.err);
  const d = (await h.status()).deployment;
  assert.equal(d.phase, 'Promoted');
  const handoff = d.promotion!.steps.find((x) => x.type === 'coldHandoff')!.result;
  assert.equal(handoff.delta?.applied, false, 'the delta was not used');
  assert.match(handoff.delta?.reason ?? '', /ENGINE_DELTA_UNUSABLE|no standby holding/, 'the fallback says why');
  assert.equal(handoff.standby, false, 'a new process restored the full savepoint');

  await assertNoGapOrDuplicate(h, d);
});

test('kill -9 of the orchestrator after the standby came up, and the standby gone too: resume starts the job anew, no gap or duplicate', { timeout: 240_000 }, async (t) => {
  const h = await passedColdCanary(t, 'cold-crash');

  // The orchestrator dies right after starting the standby, before recording it.
  const crashed = await h.cli(['canary', 'promote', h.name], { PITLANE_CRASH_AFTER_EFFECT: 'prepareStandby' });
  assert.equal(crashed.signal, 'SIGKILL', `the promote process was killed (${crashed.code} ${crashed.err})`);
  const mid = await h.status();
  assert.equal(mid.deployment.phase, 'Promoting');
  assert.equal(mid.deployment.pending[0]?.effect.type, 'prepareStandby');
  assert.equal(mid.jobs.find((j) => j.jobId === h.name)?.state, 'running', 'the old job still writes');
  // …and then the standby dies as well: the handoff must not depend on it.
  await killStandby(h);

  const resume = await h.cli(['canary', 'resume', h.name]);
  assert.equal(resume.code, 0, resume.err);
  const d = (await h.status()).deployment;
  assert.equal(d.phase, 'Promoted');
  const handoff = d.promotion!.steps.find((x) => x.type === 'coldHandoff')!.result;
  assert.equal(handoff.standby, false, 'no standby was left: the job started in a new process');

  await assertNoGapOrDuplicate(h, d);
});
