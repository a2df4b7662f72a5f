// Issue 12: a well-formed record whose field has the wrong type (`"amount": "abc"`
// into fraud v1) used to put a string into the `double` of the Avro profile, and the
// next checkpoint (or every savepoint) failed for good. Through the real CLI on the
// real broker: the record lands in the dead-letter topic with its position and the
// field path, the job goes on, and checkpoints and `savepoint trigger` still work.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { kafkaForTest, uniqueName, waitFor } from './support/kafka.ts';
import { cli, readAll, jsonValues, startRun, workspace, topicOf, type Workspace } from './savepoint-runtime-support.ts';
import { json } from './engine-harness.ts';
import { callJob } from '../src/engines/embedded/control/client.ts';
import { checkpointGroupOf } from '../src/engine/checkpoint/coordinator.ts';
import { listCheckpoints } from '../src/engine/checkpoint/store.ts';
import { DEAD_LETTER_HEADERS, LINEAGE_HEADERS, type RunnerStatus } from '../src/engine/index.ts';
import type { Flag, Transaction } from '../examples/fraud/model.ts';

const T = 1_700_000_000_000;
const status = async (ws: Workspace, name: string) => (await callJob(ws.jobsDir, name, 'status')) as RunnerStatus;
const sourceIn = async (ws: Workspace, name: string) => (await status(ws, name)).operators.find((o) => o.kind === 'source')!.recordsIn;

test('fraud v1: a poison record goes to the dead-letter topic with its position and field path; the job, its checkpoints and savepoints go on', async (t) => {
  const k = kafkaForTest(t);
  const ws = await workspace(t);
  const [inTopic, out, dlq] = [await topicOf(k, 'poison-in'), await topicOf(k, 'poison-out'), await topicOf(k, 'poison-dlq')];
  const name = uniqueName('poison');
  k.trackGroup(checkpointGroupOf(name));
  const chk = join(ws.root, 'chk');
  const tx = (i: number, userId: string, amount: unknown) => ({ txId: `tx-${i}`, userId, amount, ts: T + i * 1000 }) as unknown as Transaction;
  const run = await startRun(t, ws, name, ['examples/fraud/v1.ts', '--param', `input=${inTopic}`, '--param', `output=${out}`, '--dlq-topic', dlq, '--checkpoint-dir', chk, '--checkpoint-interval', '1s']);

  await k.kafka.produce(inTopic, json([tx(0, 'ann', 50), tx(1, 'ann', 'abc'), tx(2, 'ann', 600), tx(3, 'bob', 150)], (x: Transaction) => x.userId));
  await waitFor(async () => (await sourceIn(ws, name)) === 4, { timeoutMs: 30000, message: '4 records read' });

  // The poison record, in the dead-letter topic: where it was read, what state and field it broke.
  const letters = await waitFor(async () => {
    const recs = await readAll(k.kafka, dlq);
    return recs.length > 0 && recs;
  }, { timeoutMs: 30000, message: 'a dead letter' });
  assert.equal(letters.length, 1);
  const h = (n: string) => letters[0]!.headers[n]?.toString();
  assert.deepEqual([h(LINEAGE_HEADERS.topic), h(LINEAGE_HEADERS.partition), h(LINEAGE_HEADERS.offset)], [inTopic, '0', '1']);
  assert.equal(h(DEAD_LETTER_HEADERS.code), 'STATE_VALUE_INVALID');
  assert.equal(h(DEAD_LETTER_HEADERS.operator), 'process(profile)');
  assert.match(h(DEAD_LETTER_HEADERS.error)!, /state "profile" \(value\) of key "ann": field "total" must be double, not "50abc"\. The update was not applied\./);
  assert.deepEqual(JSON.parse(letters[0]!.value!.toString()), { txId: 'tx-1', userId: 'ann', amount: 'abc', ts: T + 1000 });

  // The records after it were processed: ann's 600 is flagged with the one good record before it.
  const flags = await waitFor(async () => {
    const f = jsonValues<Flag>(await readAll(k.kafka, out));
    return f.length >= 2 && f;
  }, { timeoutMs: 30000, message: '2 flags committed' });
  assert.deepEqual(flags.map((f) => `${f.txId}:${f.priorCount}`).sort(), ['tx-2:1', 'tx-3:0']);

  // A checkpoint taken after the poison record, while the job keeps running.
  const before = (await listCheckpoints(chk)).length;
  await waitFor(async () => (await listCheckpoints(chk)).length > before, { timeoutMs: 30000, message: 'a checkpoint after the poison record' });
  assert.equal((await status(ws, name)).state, 'running');
  assert.equal((await status(ws, name)).deadLetters, 1);

  // A savepoint of the running job, with ann's profile as the two good records left it.
  const sp = await cli(ws, ['savepoint', 'trigger', name, '--dir', join(ws.root, 'sp'), '--json']);
  assert.equal(sp.code, 0, sp.stderr);
  const path = (JSON.parse(sp.stdout) as { path: string }).path;
  const read = await cli(ws, ['savepoint', 'read', path, '--uid', 'profile', '--state', 'profile']);
  assert.equal(read.code, 0, read.stderr);
  const profiles = new Map(read.stdout.trim().split('\n').map((l) => JSON.parse(l) as { key: string; value: unknown }).map((e) => [e.key, e.value]));
  assert.deepEqual(profiles.get('ann'), { count: 2, total: 650 });
  assert.deepEqual(profiles.get('bob'), { count: 1, total: 150 });

  // And the job still takes new records.
  await k.kafka.produce(inTopic, json([tx(4, 'ann', 700)], (x: Transaction) => x.userId));
  const more = await waitFor(async () => {
    const f = jsonValues<Flag>(await readAll(k.kafka, out));
    return f.length >= 3 && f;
  }, { timeoutMs: 30000, message: '3 flags committed' });
  assert.equal(more.find((f) => f.txId === 'tx-4')?.priorCount, 2);
  const stop = await cli(ws, ['stop', name]);
  assert.equal(stop.code, 0, stop.stderr);
  assert.equal(await run.exited, 0);
});
