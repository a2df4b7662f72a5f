/**
 * Flink canaries that must not pass, on a real Flink session cluster and the real
 * broker: a buggy candidate fails the gate and is aborted, a candidate whose state
 * cannot restore is refused with the uid and the fix (or Flink's own cause), and one
 * cancelled on the cluster later fails the verdict; v1 runs on untouched, the same
 * run, through all three.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cancelRuns } from './support/flink.ts';
import { failuresOf, flinkCluster, flinkHarness, flinkSpec, launch, runsOf, setUpFlinkCanary, statusOf, V2, V2_BUGGY } from './support/flink-canary.ts';
import { jobPrefix } from '../src/engines/flink/ids.ts';

before(async () => {
  await setUpFlinkCanary();
});

after(async () => {
  await flinkCluster().stop();
});

test('Flink: the buggy candidate fails and is aborted; a candidate that cannot restore is aborted with Flink\'s cause; one that stops later fails and is aborted; v1 runs on untouched', { timeout: 600_000 }, async (t) => {
  const h = await flinkHarness(t, 'fl-bad');
  h.startTraffic(1000);
  const bug = `${h.name}-bug`;
  const bugSpec = flinkSpec(h, { name: bug, candidate: V2_BUGGY() });
  await launch(h, bugSpec);
  const v1Run = (await runsOf(h, h.name)).map((r) => r.flinkJobId);
  assert.equal((await h.cli(['canary', 'start', bugSpec])).code, 0);
  const gate = await h.cli(['canary', 'gate', bug, '--wait', '--timeout', '180s', '--json']);
  assert.equal(gate.code, 1, `gate: ${gate.out} ${gate.err}`);
  const abort = await h.cli(['canary', 'abort', bug, '--reason', 'key coverage failed']);
  assert.equal(abort.code, 0, abort.err);
  const a = await statusOf(h, bug);
  assert.equal(a.deployment.phase, 'Aborted');
  assert.match(a.deployment.verdict?.reason ?? '', /key-coverage/);
  assert.ok(a.deployment.abort?.debugSavepoint, 'the candidate stopped with a savepoint kept for debugging');
  assert.equal(a.jobs.find((j) => j.jobId === `${bug}.candidate`)?.state, 'finished');
  assert.equal(a.jobs.find((j) => j.jobId === h.name)?.state, 'running', 'v1 was not touched');

  // v2 whose keyed step has another uid: the saved "profile" state has no operator to go to.
  const uid = `${h.name}-uid`;
  const args = "args: ['--bootstrap-servers', '{bootstrapServers}', '--input', '{inputs}', '--output', '{sinkTopic}', '--group-id', '{identity}', '--transactional-id-prefix', '{identity}', '--checkpoint-interval-ms', '{commitIntervalMs}', '--profile-uid', 'profile-v2']";
  const uidSpec = flinkSpec(h, { name: uid, candidate: `${V2()}, ${args}` });
  const refused = await h.cli(['canary', 'start', uidSpec]);
  assert.equal(refused.code, 1, `${refused.out} ${refused.err}`);
  const u = await statusOf(h, uid);
  assert.equal(u.deployment.phase, 'Aborted');
  // Refused by pitlane's Flink preflight (flink/savepoint-tool) before anything is submitted, naming the uid
  // and the fix; a preflight that could not judge it leaves it to Flink's own restore, refused with Flink's cause.
  assert.match(u.deployment.abort?.reason ?? '', /uid "profile"[^]*no operator with that uid|Cannot map checkpoint\/savepoint state for operator [0-9a-f]{32} — the vertex "profile/);
  assert.deepEqual((await runsOf(h, `${uid}.candidate`)).filter((r) => r.state !== 'FAILED' && r.state !== 'CANCELED'), [], 'nothing of the candidate is left running');

  // A candidate that stops later (cancelled on the cluster, outside pitlane) fails the
  // verdict; the abort finds it down and goes on without a debug savepoint.
  const gone = `${h.name}-gone`;
  const goneSpec = flinkSpec(h, { name: gone });
  assert.equal((await h.cli(['canary', 'start', goneSpec])).code, 0);
  assert.equal((await h.cli(['flink', 'cancel', `${gone}.candidate`])).code, 0);
  const goneGate = await h.cli(['canary', 'gate', gone, '--wait', '--timeout', '120s']);
  assert.equal(goneGate.code, 1, `gate: ${goneGate.out} ${goneGate.err}`);
  assert.equal((await h.cli(['canary', 'abort', gone, '--reason', 'candidate down'])).code, 0);
  const g = await statusOf(h, gone);
  assert.match(g.deployment.verdict?.reason ?? '', /the candidate job is not running: cancelled/);
  assert.deepEqual([g.deployment.phase, g.deployment.pending.length, g.deployment.abort?.debugSavepoint], ['Aborted', 0, undefined]);

  assert.deepEqual((await runsOf(h, h.name)).map((r) => [r.flinkJobId, r.state]), v1Run.map((id) => [id, 'RUNNING']), 'v1 runs on, the same run, through all three');
  assert.deepEqual(await failuresOf(v1Run[0]!), [], 'three forks and aborts never disturbed v1 (no fenced transaction, no restart)');
  await cancelRuns(flinkCluster().rest, [jobPrefix(h.name)]);
});

