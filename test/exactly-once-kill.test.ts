// Exactly-once across a crash: `pitlane run` with checkpoints and a transactional sink
// is killed with SIGKILL while a transaction holds output, then the same command is
// started again. A read_committed reader must see every expected record exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { kafkaForTest, uniqueName, waitFor } from './support/kafka.ts';
import { cli, jsonValues, readAll, startRun, workspace, topicOf } from './savepoint-runtime-support.ts';
import { checkpointGroupOf } from '../src/engine/checkpoint/coordinator.ts';
import { callJob } from '../src/engines/embedded/control/client.ts';
import { listCheckpoints } from '../src/engine/checkpoint/store.ts';

const T = 1_700_000_000_000;
const TYPES = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];

test('exactly-once: kill -9 mid-transaction, restart the same command: read_committed output is exact', async (t) => {
  const k = kafkaForTest(t);
  const ws = await workspace(t);
  const [inTopic, outTopic, dlq] = [await topicOf(k, 'eo-in', 3), await topicOf(k, 'eo-out', 2), await topicOf(k, 'eo-dlq')];
  const name = uniqueName('eo');
  k.trackGroup(checkpointGroupOf(name));
  const chk = join(ws.root, 'chk');
  const args = ['examples/event-count/v1.ts', '--param', `input=${inTopic}`, '--param', `output=${outTopic}`, '--dlq-topic', dlq, '--parallelism', '2', '--checkpoint-dir', chk, '--checkpoint-interval', '2s'];

  let sent = 0;
  const sendBatch = async (n: number) => {
    const events = Array.from({ length: n }, (_, i) => ({ type: TYPES[(sent + i) % TYPES.length]!, ts: T + sent + i }));
    await k.kafka.produce(inTopic, events.map((e) => ({ key: e.type, value: JSON.stringify(e), timestamp: e.ts })));
    sent += n;
  };

  const first = await startRun(t, ws, name, args);
  // A steady stream until the kill, so the kill lands mid-stream.
  let feeding = true;
  // Paced (about 2,000 records a second), so a slow machine does not pile up a backlog.
  const feeder = (async () => {
    while (feeding && sent < 20000) {
      await sendBatch(20);
      await delay(10);
    }
  })();
  // Kill once some output is committed and more sits in an open transaction: the
  // read_committed read returns right after a commit, and the raw log runs ahead of it
  // only with records of the transaction opened since.
  const atKill = await waitFor(
    async () => {
      const committed = (await readAll(k.kafka, outTopic)).length;
      const raw = (await readAll(k.kafka, outTopic, 'read_uncommitted')).length;
      return committed >= 100 && raw > committed && { committed, raw };
    },
    { timeoutMs: 60000, intervalMs: 50, message: 'committed output, and more in an open transaction' },
  );
  await first.kill9();
  feeding = false;
  await feeder;
  assert.ok((await listCheckpoints(chk)).length > 0, 'checkpoints were written before the kill');

  // The same command again: fences the dead producer (aborting its transaction) and
  // resumes from the checkpoint whose transaction committed.
  const second = await startRun(t, ws, name, args);
  assert.match(second.output().stderr, /restoring .* from .*chk-\d+/);
  for (let i = 0; i < 5; i++) await sendBatch(50);
  await waitFor(async () => (await readAll(k.kafka, outTopic)).length >= sent, { timeoutMs: 120000, intervalMs: 500, message: `${sent} committed records` }).catch(async (e: unknown) => {
    // What the restarted job was doing, to tell a stall from a slow machine.
    const status = await callJob(ws.jobsDir, name, 'status').catch((x: unknown) => String(x));
    // raw > committed is expected (the killed transaction's records stay in the log,
    // aborted). A log start above 0 means the broker deleted records (retention).
    const counts = {
      committed: (await readAll(k.kafka, outTopic)).length,
      raw: (await readAll(k.kafka, outTopic, 'read_uncommitted')).length,
      sent,
      checkpoints: (await listCheckpoints(chk)).map((c) => c.id),
      committedCheckpoint: await k.kafka.groupOffsets(checkpointGroupOf(name), inTopic),
      outEnds: await k.kafka.watermarks(outTopic),
      inEnds: await k.kafka.watermarks(inTopic),
    };
    t.diagnostic(`${JSON.stringify(counts)}\n${JSON.stringify(status)}\nkilled run:\n${first.output().stderr.slice(-2000)}\nrestarted run (exit ${await Promise.race([second.exited, Promise.resolve('none yet')])}):\n${second.output().stderr.slice(-3000)}`);
    throw e;
  });
  const stopped = await cli(ws, ['stop', name]);
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.equal(await second.exited, 0);

  const out = jsonValues<{ type: string; count: number }>(await readAll(k.kafka, outTopic));
  assert.equal(out.length, sent, 'one output record per input record: nothing lost, nothing duplicated');
  const perType = new Map<string, number[]>();
  for (const c of out) perType.set(c.type, [...(perType.get(c.type) ?? []), c.count]);
  for (const type of TYPES) {
    const expected = Array.from({ length: Math.floor(sent / TYPES.length) + (TYPES.indexOf(type) < sent % TYPES.length ? 1 : 0) }, (_, i) => i + 1);
    assert.deepEqual(perType.get(type), expected, `counts of ${type}`);
  }
  // The killed process held output in its open transaction (the raw log ran ahead of
  // the committed view); the restart produced those records again from the checkpoint.
  // Without the transaction, a reader would have seen them twice.
  t.diagnostic(`at the kill: ${atKill.committed} committed, ${atKill.raw} written; in the end ${out.length} committed for ${sent} inputs`);
  assert.ok(atKill.raw > atKill.committed);
});

test('a second run under a running job\'s name is refused before it opens the transactional id: the running job is not fenced', async (t) => {
  const k = kafkaForTest(t);
  const ws = await workspace(t);
  const [inTopic, outTopic, dlq] = [await topicOf(k, 'eo2-in'), await topicOf(k, 'eo2-out'), await topicOf(k, 'eo2-dlq')];
  const name = uniqueName('eo2');
  k.trackGroup(checkpointGroupOf(name));
  const args = (chk: string) => ['examples/event-count/v1.ts', '--param', `input=${inTopic}`, '--param', `output=${outTopic}`, '--dlq-topic', dlq, '--checkpoint-dir', join(ws.root, chk), '--checkpoint-interval', '1s'];
  const send = (from: number, n: number) => k.kafka.produce(inTopic, Array.from({ length: n }, (_, i) => ({ key: 'a', value: JSON.stringify({ type: 'a', ts: T + from + i }), timestamp: T + from + i })));
  const running = await startRun(t, ws, name, args('chk-a'));
  await send(0, 10);
  await waitFor(async () => (await readAll(k.kafka, outTopic)).length === 10, { timeoutMs: 60000, message: '10 committed records' });

  const second = await cli(ws, ['run', ...args('chk-b'), '--name', name]);
  assert.equal(second.code, 3, second.stderr);
  assert.match(second.stderr, /JOB_ALREADY_RUNNING/);

  // Still the only writer of pitlane.<name>: its next commits go through.
  await send(10, 10);
  await waitFor(async () => (await readAll(k.kafka, outTopic)).length === 20, { timeoutMs: 60000, message: '20 committed records' });
  assert.equal(((await callJob(ws.jobsDir, name, 'status')) as { state: string }).state, 'running');
  const stopped = await cli(ws, ['stop', name]);
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.equal(await running.exited, 0);
  assert.deepEqual(jsonValues<{ count: number }>(await readAll(k.kafka, outTopic)).map((c) => c.count), Array.from({ length: 20 }, (_, i) => i + 1));
});
