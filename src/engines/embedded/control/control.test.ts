import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlServer } from './server.ts';
import { callJob } from './client.ts';
import { listEntries, writeEntry } from './job-directory.ts';
import type { SavepointRequest, ServedHandlers } from './protocol.ts';
import { PitlaneError, PromotionError } from '../../../errors.ts';

/** A temporary directory, removed after the test. */
const tempDir = (t: TestContext) => {
  const dir = mkdtempSync(join(tmpdir(), 'pl-ctl-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

/** The transport carries any command and JSON body: this test speaks to it off the protocol (protocol.ts types the real ones). */
const call = (dir: string, name: string, command: string, body: object = {}) => callJob(dir, name, command as 'savepoint', body as SavepointRequest);

test('a job is found by name, answers commands, and errors keep their code and hint', async (t) => {
  const dir = tempDir(t);
  const server = await startControlServer({
    dir,
    name: 'fraud',
    version: 'v1',
    handlers: {
      status: async () => ({ records: 42 }),
      echo: async (body: unknown) => body,
      fail: async () => {
        throw new PromotionError('NOPE', 'refused', { hint: 'do X' });
      },
    } as unknown as ServedHandlers,
  });
  try {
    assert.deepEqual(listEntries(dir).map((e) => [e.name, e.version, e.pid]), [['fraud', 'v1', process.pid]]);
    assert.deepEqual(await callJob(dir, 'fraud', 'status'), { records: 42 });
    assert.deepEqual(await call(dir, 'fraud', 'echo', { a: [1, 2] }), { a: [1, 2] });
    await assert.rejects(call(dir, 'fraud', 'fail'), (e: unknown) => e instanceof PromotionError && e.code === 'NOPE' && e.hint === 'do X');
    await assert.rejects(call(dir, 'fraud', 'nonsense'), (e: unknown) => e instanceof PitlaneError && e.code === 'CONTROL_UNKNOWN_COMMAND' && /status, echo, fail/.test(e.message));
    // A second job with the same name is refused while the first runs.
    await assert.rejects(startControlServer({ dir, name: 'fraud', version: 'v2', handlers: {} }).then(() => undefined), (e: unknown) => e instanceof PitlaneError && e.code === 'JOB_ALREADY_RUNNING');
  } finally {
    await server.close();
  }
  assert.deepEqual(listEntries(dir), []);
  assert.equal(existsSync(server.socket), false);
});

test('a job that is not running, or whose process died, is a clear error', async (t) => {
  const dir = tempDir(t);
  await assert.rejects(callJob(dir, 'ghost', 'status'), (e: unknown) => e instanceof PitlaneError && e.code === 'JOB_NOT_RUNNING' && /pitlane jobs/.test(e.hint ?? ''));
  writeEntry(dir, { name: 'dead', version: 'v1', pid: 2 ** 22 + 11, socket: join(dir, 'dead.sock'), startedAt: new Date().toISOString() });
  await assert.rejects(callJob(dir, 'dead', 'status'), (e: unknown) => e instanceof PitlaneError && e.code === 'JOB_NOT_RUNNING');
  assert.deepEqual(listEntries(dir), [], 'the stale entry is cleaned up');
});
