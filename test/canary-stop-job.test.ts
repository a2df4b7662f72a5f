/**
 * `pitlane canary stop-job` against a job host that cannot answer (frozen with
 * SIGSTOP): the stop falls back to the host's pid, so a cancelled job never runs on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { canaryHarness } from './canary-harness.ts';
import { isAlive } from '../src/process/index.ts';
import { readEntry } from '../src/engines/embedded/control/job-directory.ts';

test('stop-job: a host that does not answer is stopped by its pid', { timeout: 180_000 }, async (t) => {
  const h = await canaryHarness(t, 'stopjob');
  await h.launch(2);
  const entry = readEntry(join(h.dir, 'state', 'jobs'), h.name)!;
  assert.ok(isAlive(entry.pid));
  process.kill(entry.pid, 'SIGSTOP');
  t.after(() => {
    if (isAlive(entry.pid)) process.kill(entry.pid, 'SIGKILL');
  });
  const stop = await h.cli(['canary', 'stop-job', h.name, '--json']);
  assert.equal(stop.code, 0, stop.err);
  assert.equal(isAlive(entry.pid), false, 'the frozen host is gone');
  assert.deepEqual(JSON.parse(stop.out), { jobId: h.name, stopped: true });
});
