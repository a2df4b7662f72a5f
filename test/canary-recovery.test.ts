/**
 * A managed job host killed with `kill -9` mid-stream is restarted by its keeper
 * from its latest committed checkpoint, with no output lost or repeated (read back
 * read_committed); a crash past the restart strategy's limit leaves the job failed,
 * and `canary status` says so. Through the CLI, against the test run's broker.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { canaryHarness, amountOf } from './canary-harness.ts';
import { waitFor } from './support/kafka.ts';
import { readAll, verifyOutputs } from '../src/demo/verify.ts';
import { readEntry } from '../src/engines/embedded/control/job-directory.ts';
import { isAlive } from '../src/process/index.ts';

type Harness = Awaited<ReturnType<typeof canaryHarness>>;

const hostPid = (h: Harness): number | undefined => {
  const e = readEntry(join(h.dir, 'state', 'jobs'), h.name);
  return e && isAlive(e.pid) ? e.pid : undefined;
};
const job = async (h: Harness) => (await h.status()).jobs.find((j) => j.jobId === h.name)!;

/** Kills the authoritative host with SIGKILL once it has committed output, and waits for its keeper to restart it. */
async function killAndAwaitRestart(h: Harness, restarts: number): Promise<void> {
  await waitFor(async () => ((await job(h)).metrics?.recordsOut ?? 0) > 0, { timeoutMs: 60_000 });
  const pid = hostPid(h);
  assert.ok(pid, 'the job host runs');
  process.kill(pid, 'SIGKILL');
  await waitFor(async () => {
    const j = await job(h);
    const now = hostPid(h);
    return j.state === 'running' && j.restarts === restarts && now !== undefined && now !== pid;
  }, { timeoutMs: 60_000 });
}

test('kill -9 of the authoritative job host mid-stream: its keeper restarts it from its checkpoint, 0 lost, 0 duplicated', { timeout: 420_000 }, async (t) => {
  const h = await canaryHarness(t, 'recover-kill');
  h.startTraffic(1000);
  const spec = { parallelism: 2, extra: 'checkpoints: { interval: 500ms, retained: 2 }' };
  await h.launch(4, spec);
  assert.equal((await h.cli(['canary', 'start', h.spec(spec)])).code, 0);
  // Let checkpoints commit, so the restart resumes from one (not from the start).
  await new Promise((r) => setTimeout(r, 3000));
  await killAndAwaitRestart(h, 1);
  const j = await job(h);
  assert.match(j.lastFailure?.reason ?? '', /killed by SIGKILL/);
  const text = await h.cli(['canary', 'status', h.name]);
  assert.match(text.out, /restarted 1 time\(s\); last failure .*: the job host was killed by SIGKILL/);

  // Traffic runs on through the restart; then everything produced is consumed and committed.
  await new Promise((r) => setTimeout(r, 3000));
  await h.stopTraffic();
  const until = await h.highs(h.input);
  await h.caughtUp(h.name);
  const v = await waitFor(async () => {
    const r = await verifyOutputs(h.k.kafka, { input: h.input, until, outputs: await readAll(h.k.kafka, h.output, 'end'), ruleAt: () => (x) => amountOf(x) > 100 });
    return r.missing === 0 ? r : undefined;
  }, { timeoutMs: 30_000 });
  assert.ok(v.expected > 100, `enough output to check (${v.expected})`);
  assert.deepEqual({ missing: v.missing, duplicates: v.duplicates, unexpected: v.unexpected }, { missing: 0, duplicates: 0, unexpected: 0 }, v.examples.join('; '));
});

test('a crash past the restart limit leaves the job failed, and canary status says why', { timeout: 420_000 }, async (t) => {
  const h = await canaryHarness(t, 'recover-limit');
  h.startTraffic(200);
  const spec = { parallelism: 2, extra: 'checkpoints: { interval: 500ms }\nrestart: { strategy: fixed-delay, attempts: 1, delay: 200ms }' };
  await h.launch(2, spec);
  assert.equal((await h.cli(['canary', 'start', h.spec(spec)])).code, 0);
  await killAndAwaitRestart(h, 1);
  process.kill(hostPid(h)!, 'SIGKILL');
  const failed = await waitFor(async () => {
    const j = await job(h);
    return j.state === 'failed' ? j : undefined;
  }, { timeoutMs: 30_000 });
  assert.equal(failed.restarts, 1);
  assert.match(failed.failure ?? '', /killed by SIGKILL; not restarted: restart limit reached: 1 restart/);
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(hostPid(h), undefined, 'nothing restarted it');
  const text = await h.cli(['canary', 'status', h.name]);
  assert.match(text.out, new RegExp(`✗ ${h.name.replace(/[.]/g, '\\.')} failed: the job host was killed by SIGKILL; not restarted: restart limit reached`));
});
