import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kafkaForTest, waitFor } from './support/kafka.ts';
import { json, runJob, values, waitForRecords } from './engine-harness.ts';
import fraudV1 from '../examples/fraud/v1.ts';
import fraudV2 from '../examples/fraud/v2.ts';
import { generateTransactions } from '../examples/fraud/generate.ts';
import type { Flag, Transaction } from '../examples/fraud/model.ts';

const T = 1_700_000_000_000;
const tx = (i: number, userId: string, amount: number): Transaction => ({ txId: `tx-${i}`, userId, amount, ts: T + i * 1000 });
const input = [tx(0, 'ann', 50), tx(1, 'bob', 150), tx(2, 'ann', 600), tx(3, 'ann', 100), tx(4, 'bob', 501), tx(5, 'cat', 100.01)];

test('fraud v1 flags transactions over 100 with the user\'s prior count from state', async (t) => {
  const k = kafkaForTest(t);
  const [inTopic, outTopic] = [await k.topic('fraud-in'), await k.topic('fraud-out')];
  await runJob(t, k, fraudV1, { params: { input: inTopic, output: outTopic }, parallelism: 2, deadLetterTopic: await k.topic('fraud-dlq') });
  await k.kafka.produce(inTopic, json(input, (t: Transaction) => t.userId));
  const flags = values<Flag>(await waitForRecords(k.kafka, outTopic, 4));
  assert.deepEqual(
    flags.map((f) => `${f.txId}:${f.userId}:${f.amount}:${f.threshold}:${f.priorCount}`),
    ['tx-1:bob:150:100:0', 'tx-2:ann:600:100:1', 'tx-4:bob:501:100:1', 'tx-5:cat:100.01:100:0'],
  );
});

test('fraud v2 restored from a v1 snapshot: threshold 500, profile keeps v1 counts and gains maxAmount', async (t) => {
  const k = kafkaForTest(t);
  const [inTopic, out1, out2, dlq] = [await k.topic('fraud-in'), await k.topic('fraud-out1'), await k.topic('fraud-out2'), await k.topic('fraud-dlq')];
  await k.kafka.produce(inTopic, json(input.slice(0, 3), (t: Transaction) => t.userId));
  const v1 = await runJob(t, k, fraudV1, { params: { input: inTopic, output: out1 }, deadLetterTopic: dlq });
  await waitForRecords(k.kafka, out1, 2);
  await waitFor(() => v1.status().operators[0]!.recordsIn === 3);
  const snap = await v1.snapshot();
  await v1.stop();
  assert.deepEqual(snap.sourceOffsets.map((o) => o.offset), [3]);
  const v2 = await runJob(t, k, fraudV2, { params: { input: inTopic, output: out2 }, deadLetterTopic: dlq, restore: snap, parallelism: 3 });
  await k.kafka.produce(inTopic, json(input.slice(3), (t: Transaction) => t.userId));
  const flags = values<Flag>(await waitForRecords(k.kafka, out2, 1));
  await waitFor(() => v2.status().operators[0]!.recordsIn === 3);
  // Only tx-4 (501 > 500) is flagged; bob's prior count (1) came from v1's state.
  assert.deepEqual(flags.map((f) => `${f.txId}:${f.threshold}:${f.priorCount}`), ['tx-4:500:1']);
  const after = await v2.snapshot();
  const profile = after.operators.find((o) => o.uid === 'profile')!;
  assert.equal(profile.keyGroups.flatMap((b) => b.entries).length, 3);
});

test('fraud: the generator is deterministic and v1 output matches a reference computation', async (t) => {
  const txs = generateTransactions({ count: 300, seed: 7, users: 20 });
  assert.deepEqual(txs, generateTransactions({ count: 300, seed: 7, users: 20 }));
  assert.notDeepEqual(txs, generateTransactions({ count: 300, seed: 8, users: 20 }));
  const counts = new Map<string, number>();
  const expected: string[] = [];
  for (const x of txs) {
    if (x.amount > 100) expected.push(`${x.txId}:${counts.get(x.userId) ?? 0}`);
    counts.set(x.userId, (counts.get(x.userId) ?? 0) + 1);
  }
  assert.ok(expected.length > 10);
  const k = kafkaForTest(t);
  const [inTopic, outTopic] = [await k.topic('fraud-gen-in'), await k.topic('fraud-gen-out')];
  await k.kafka.produce(inTopic, json(txs, (t: Transaction) => t.userId));
  await runJob(t, k, fraudV1, { params: { input: inTopic, output: outTopic }, parallelism: 4, deadLetterTopic: await k.topic('fraud-dlq') });
  const flags = values<Flag>(await waitForRecords(k.kafka, outTopic, expected.length));
  assert.deepEqual(flags.map((f) => `${f.txId}:${f.priorCount}`), expected);
});
