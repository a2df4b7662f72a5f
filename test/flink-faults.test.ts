/**
 * Faults of Flink canary deployments, end to end through the CLI on a real Flink
 * session cluster (FLINK_REST_URL, or one this file starts) and the real broker:
 *
 * - the orchestrator killed with kill -9 during the fork — right after v1's savepoint,
 *   and while the candidate is being submitted — and the shadow supervisor killed
 *   during the shadow, each time `canary resume`d: one savepoint of v1, one candidate
 *   run on Flink, promoted once, v1 untouched until its promotion; and the promotion
 *   killed right after v1's stop with savepoint ended it, resumed: one new job;
 * - Flink restarting a job during the shadow (its checkpoint storage refuses a
 *   checkpoint, Flink fails the job over and restores it): the deployment goes on and
 *   `canary status` shows the restart; once Flink gives up (its restart limit) the
 *   deployment aborts with Flink's cause and v1 runs on.
 *
 * Flink's runs are read from its REST API, not from pitlane.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './support/kafka.ts';
import { failuresOf, flinkCluster, flinkHarness, flinkSpec, gatePasses, launch, setUpFlinkCanary, statusOf, V2, type Harness } from './support/flink-canary.ts';
import { jobPrefix } from '../src/engines/flink/ids.ts';

before(async () => {
  await setUpFlinkCanary();
});

after(async () => {
  await flinkCluster().stop();
});

const BIN = fileURLToPath(new URL('../bin/pitlane.mjs', import.meta.url));

/** The CLI as a child process of this test, so the test can kill it when it chooses. */
function spawnCli(h: Harness, args: readonly string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { env: h.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
  child.stdout.resume();
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; err: string }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, err })));
  return { child, done };
}

interface FlinkRun {
  jid: string;
  state: string;
}

/** The cluster's runs of a pitlane job (by its JobID prefix), straight from Flink's REST API. */
async function flinkRuns(jobId: string): Promise<FlinkRun[]> {
  const res = await fetch(`${flinkCluster().rest}/jobs/overview`);
  assert.ok(res.ok, `GET /jobs/overview: HTTP ${res.status}`);
  const { jobs } = (await res.json()) as { jobs: FlinkRun[] };
  return jobs.filter((j) => j.jid.startsWith(jobPrefix(jobId))).map((j) => ({ jid: j.jid, state: j.state }));
}

/** A setting of the cluster's JobManager (GET /jobmanager/config). */
async function clusterSetting(key: string): Promise<string | undefined> {
  const res = await fetch(`${flinkCluster().rest}/jobmanager/config`);
  assert.ok(res.ok, `GET /jobmanager/config: HTTP ${res.status}`);
  return ((await res.json()) as { key: string; value: string }[]).find((e) => e.key === key)?.value;
}

/** A local directory the cluster names as a file:// URI (its checkpoint or savepoint directory). */
function localDir(uri: string | undefined, what: string): string {
  if (!uri?.startsWith('file:')) assert.fail(`the cluster's ${what} is not a local directory (${uri})`);
  return fileURLToPath(uri.startsWith('file:///') ? uri : uri.replace(/^file:/, 'file://'));
}

/** The savepoints the cluster wrote of a run (Flink names them savepoint-<first 6 of the JobID>-…). */
async function savepointsOfRun(jid: string): Promise<string[]> {
  const dir = localDir(await clusterSetting('execution.checkpointing.savepoint-dir'), 'savepoint directory');
  return readdirSync(dir).filter((n) => n.startsWith(`savepoint-${jid.slice(0, 6)}-`));
}

test('Flink: kill -9 of the orchestrator during the fork (after v1\'s savepoint; while the candidate is submitted), of the supervisor during the shadow and of the orchestrator during v1\'s stop, each resumed: one savepoint of v1 per step, one candidate run, one new job, promoted once', { timeout: 600_000 }, async (t) => {
  const h = await flinkHarness(t, 'ff-kill');
  h.startTraffic(1000);
  const spec = flinkSpec(h);
  await launch(h, spec);
  const v1 = await flinkRuns(h.name);
  assert.deepEqual(v1.map((r) => r.state), ['RUNNING']);
  const candidate = `${h.name}.candidate`;

  // 1. Killed right after v1's savepoint was taken, before the store recorded it.
  const crashed = await h.cli(['canary', 'start', spec], { PITLANE_CRASH_AFTER_EFFECT: 'triggerSavepoint' });
  assert.equal(crashed.signal, 'SIGKILL', `the start process was killed (${crashed.code} ${crashed.err})`);
  let s = await statusOf(h, h.name);
  assert.deepEqual([s.deployment.phase, s.deployment.pending[0]?.effect.type], ['Forking', 'triggerSavepoint']);
  assert.deepEqual(await flinkRuns(candidate), [], 'no candidate was submitted');

  // 2. Resumed, and killed while the candidate is submitted: as soon as Flink lists its run.
  const resuming = spawnCli(h, ['canary', 'resume', h.name]);
  const submitted = await waitFor(async () => (await flinkRuns(candidate))[0], { timeoutMs: 180_000, intervalMs: 20, message: 'the candidate is submitted' });
  resuming.child.kill('SIGKILL');
  const killed = await resuming.done;
  assert.equal(killed.signal, 'SIGKILL', `the resume was killed mid-submission (${killed.code} ${killed.err})`);
  t.diagnostic(`killed while the candidate run ${submitted.jid} was ${submitted.state}`);
  s = await statusOf(h, h.name);
  assert.equal(s.deployment.phase, 'Forking');
  assert.equal(s.deployment.pending[0]?.effect.type, 'startJob', 'the candidate\'s start is still pending in the store');
  assert.ok(s.deployment.fork?.savepoint.location, 'the savepoint was recorded by the resume');

  // 3. Resumed again: the fork completes on the run already submitted.
  const resumed = await h.cli(['canary', 'resume', h.name]);
  assert.equal(resumed.code, 0, resumed.err);
  s = await statusOf(h, h.name);
  // The fork is done; the shadow may already have judged enough windows to move on.
  assert.ok(['Shadowing', 'Analyzing', 'Passed'].includes(s.deployment.phase), `the fork completed (${s.deployment.phase})`);
  assert.deepEqual(await flinkRuns(candidate), [{ jid: submitted.jid, state: 'RUNNING' }], 'one candidate run: the one submitted before the kill');
  assert.deepEqual(await savepointsOfRun(v1[0]!.jid), [s.deployment.fork!.savepoint.location.split('/').at(-1)], 'v1 was savepointed once');

  // 4. The shadow supervisor killed; the jobs run on; resume starts a new one.
  const pid = s.supervisor;
  assert.ok(pid, 'a supervisor runs the analysis');
  process.kill(pid, 'SIGKILL');
  s = await statusOf(h, h.name);
  assert.equal(s.supervisor, null);
  assert.deepEqual(s.jobs.map((j) => j.state), ['running', 'running'], 'v1 and the candidate run on');
  const again = await h.cli(['canary', 'resume', h.name]);
  assert.equal(again.code, 0, again.err);
  s = await statusOf(h, h.name);
  assert.ok(s.supervisor && s.supervisor !== pid, 'a new supervisor runs');
  await gatePasses(h, h.name);
  assert.deepEqual(await flinkRuns(candidate), [{ jid: submitted.jid, state: 'RUNNING' }], 'still one candidate run');
  assert.deepEqual(await flinkRuns(h.name), v1, 'v1 runs on, the same run');
  assert.deepEqual(await failuresOf(v1[0]!.jid), [], 'v1 was never disturbed (no fenced transaction, no restart)');

  // 5. Killed during the promotion, as soon as v1's stop with savepoint has ended it (before
  // the outcome is kept, before v2 is submitted); resume finishes the handoff from that stop.
  const promoting = spawnCli(h, ['canary', 'promote', h.name]);
  await waitFor(async () => (await flinkRuns(h.name))[0]?.state === 'FINISHED', { timeoutMs: 180_000, intervalMs: 20, message: 'v1 stopped' });
  promoting.child.kill('SIGKILL');
  const cut = await promoting.done;
  assert.equal(cut.signal, 'SIGKILL', `the promote was killed mid-stop (${cut.code} ${cut.err})`);
  const mid = (await statusOf(h, h.name)).deployment;
  assert.deepEqual([mid.phase, mid.pending[0]?.effect.type], ['Promoting', 'coldHandoff']);
  t.diagnostic(`killed with v1 stopped and ${(await flinkRuns(`${h.name}.promoted`)).length} run(s) of v2 submitted`);
  const finished = await h.cli(['canary', 'resume', h.name]);
  assert.equal(finished.code, 0, finished.err);
  // Promoted once: a second promote is refused, and one new job runs.
  const twice = await h.cli(['canary', 'promote', h.name]);
  assert.equal(twice.code, 3, twice.out);
  assert.match(twice.err, /ALREADY_PROMOTED/);
  const d = (await statusOf(h, h.name)).deployment;
  assert.deepEqual([d.phase, d.jobs.live], ['Promoted', `${h.name}.promoted`]);
  assert.deepEqual((await flinkRuns(`${h.name}.promoted`)).map((r) => r.state), ['RUNNING'], 'the new version was submitted once');
  assert.deepEqual((await flinkRuns(candidate)).map((r) => r.jid), [submitted.jid], 'no second candidate run, ever');
  assert.deepEqual((await flinkRuns(h.name)).map((r) => r.state), ['FINISHED'], 'v1 stopped once, with its savepoint');
  const handoff = d.promotion?.steps.find((x) => x.type === 'coldHandoff')?.result.savepoint?.location;
  assert.equal(d.promotion?.rollbackSavepoint?.location, handoff, 'the stop\'s savepoint is kept for the rollback');
  assert.equal((await savepointsOfRun(v1[0]!.jid)).length, 2, 'v1 was savepointed twice in all: the fork, and the stop');
});

/**
 * Makes the cluster's checkpoint storage refuse checkpoints of one run: a directory
 * where Flink writes a checkpoint's `_metadata` file, for `count` checkpoint ids from
 * `ahead` past the latest one Flink reports (its statistics lag by a few). Flink fails
 * that checkpoint ("Failure to finalize"), and with no failed checkpoint tolerated
 * (its default) fails the job over by its restart strategy, from its latest
 * checkpoint. Nothing of pitlane's is involved, and nothing of other runs. Returns
 * the planted directories (Flink removes those of the checkpoints it tried).
 */
async function refuseCheckpoints(jid: string, o: { ahead: number; count: number }): Promise<string[]> {
  const dir = join(localDir(await clusterSetting('execution.checkpointing.dir'), 'checkpoint directory'), jid);
  const res = await fetch(`${flinkCluster().rest}/jobs/${jid}/checkpoints`);
  assert.ok(res.ok, `checkpoints of ${jid}: HTTP ${res.status}`);
  const { counts } = (await res.json()) as { counts: { total: number } };
  // The latest id Flink has written may be past its (cached) statistics.
  const written = readdirSync(dir).map((n) => /^chk-(\d+)$/.exec(n)?.[1]).filter((n) => n !== undefined).map(Number);
  const planted: string[] = [];
  for (let id = Math.max(counts.total, ...written) + o.ahead; planted.length < o.count; id++) {
    const chk = join(dir, `chk-${id}`);
    if (existsSync(chk)) continue;
    mkdirSync(join(chk, '_metadata'), { recursive: true });
    planted.push(chk);
  }
  return planted;
}

async function flinkRestarts(jid: string): Promise<number> {
  const res = await fetch(`${flinkCluster().rest}/jobs/${jid}/metrics?get=numRestarts`);
  assert.ok(res.ok, `numRestarts of ${jid}: HTTP ${res.status}`);
  return Number(((await res.json()) as { value: string }[])[0]?.value ?? 0);
}

test('Flink restarts the candidate during the shadow: the deployment goes on and passes, canary status shows the restart; once Flink gives up (its restart limit) the verdict fails with Flink\'s cause and the abort leaves v1 untouched', { timeout: 600_000 }, async (t) => {
  const h = await flinkHarness(t, 'ff-restart');
  h.startTraffic(1000);
  // The candidate's runs restart at most twice, a second apart (Flink's fixed-delay strategy, set per job).
  const restart = 'flinkConfiguration: { restart-strategy.type: fixed-delay, restart-strategy.fixed-delay.attempts: 2, restart-strategy.fixed-delay.delay: 1 s }';
  const spec = flinkSpec(h, { candidate: `${V2()}, ${restart}` });
  await launch(h, spec);
  const [v1] = await flinkRuns(h.name);
  const start = await h.cli(['canary', 'start', spec]);
  assert.equal(start.code, 0, `${start.out} ${start.err}`);
  const candidate = `${h.name}.candidate`;
  const [run] = await flinkRuns(candidate);
  assert.ok(run, 'the candidate runs on Flink');
  const planted: string[] = [];
  t.after(() => {
    for (const p of planted) rmSync(p, { recursive: true, force: true });
  });

  // One refused checkpoint: Flink fails the candidate over once and it recovers, under the same JobID.
  planted.push(...(await refuseCheckpoints(run.jid, { ahead: 12, count: 1 })));
  await waitFor(async () => (await flinkRestarts(run.jid)) === 1, { timeoutMs: 60_000, intervalMs: 500, message: 'Flink restarted the candidate' });
  const recovered = await waitFor(async () => {
    const j = (await statusOf(h, h.name)).jobs.find((x) => x.jobId === candidate);
    return j?.state === 'running' ? j : undefined;
  }, { timeoutMs: 60_000, intervalMs: 1000, message: 'the candidate runs again' });
  assert.equal(recovered.restarts, 1);
  assert.match(recovered.lastFailure?.reason ?? '', /Exceeded checkpoint tolerable failure threshold/);
  const text = await h.cli(['canary', 'status', h.name]);
  assert.match(text.out, /↻ \S+\.candidate restarted 1 time\(s\); last failure .*Exceeded checkpoint tolerable failure threshold/);
  const during = (await statusOf(h, h.name)).deployment;
  assert.notEqual(during.phase, 'Failed', `a restart that recovers does not fail the canary: ${during.verdict?.reason}`);
  // The comparison went on through the restart (exactly-once: nothing lost or repeated) and passes.
  await gatePasses(h, h.name);
  assert.deepEqual(await flinkRuns(candidate), [{ jid: run.jid, state: 'RUNNING' }], 'the same run, restarted by Flink');

  // Every checkpoint refused from here: Flink restarts it once more, then gives up (FAILED).
  planted.push(...(await refuseCheckpoints(run.jid, { ahead: 8, count: 400 })));
  const failed = await waitFor(async () => {
    const d = (await statusOf(h, h.name)).deployment;
    return d.verdict?.status === 'fail' ? d : undefined;
  }, { timeoutMs: 120_000, intervalMs: 1000, message: 'the verdict fails once Flink gives up' });
  assert.equal(failed.phase, 'Failed');
  assert.match(failed.verdict?.reason ?? '', /the candidate job is not running: failed: .*(Exceeded checkpoint tolerable failure threshold|Recovery is suppressed by FixedDelayRestartBackoffTimeStrategy)/);
  assert.deepEqual(await flinkRuns(candidate), [{ jid: run.jid, state: 'FAILED' }]);
  assert.equal(await flinkRestarts(run.jid).catch(() => 2), 2, 'Flink restarted it twice, its limit');
  const gate = await h.cli(['canary', 'gate', h.name]);
  assert.equal(gate.code, 1, gate.out);
  const abort = await h.cli(['canary', 'abort', h.name, '--reason', 'candidate failed on Flink']);
  assert.equal(abort.code, 0, abort.err);
  const a = (await statusOf(h, h.name)).deployment;
  assert.deepEqual([a.phase, a.pending.length, a.abort?.debugSavepoint], ['Aborted', 0, undefined], 'aborted; the failed candidate has no state to keep');
  assert.deepEqual(await flinkRuns(h.name), [v1], 'v1 runs on, the same run');
  assert.deepEqual(await failuresOf(v1!.jid), [], 'v1 was never disturbed');
});
