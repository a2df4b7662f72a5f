import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kafkaForTest, waitFor } from './support/kafka.ts';
import { runJob, values, waitForRecords, readTopic } from './engine-harness.ts';
import { DEAD_LETTER_HEADERS, LINEAGE_HEADERS, defineJob } from '../src/engine/index.ts';

interface Order {
  id: number;
  qty: number;
}

const job = defineJob({
  name: 'orders',
  version: '1',
  maxParallelism: 32,
  build(env) {
    env
      .fromKafka<Order>({ uid: 'orders', topics: env.param('input') })
      .map((o) => {
        if (o.qty < 0) throw new Error(`negative quantity ${o.qty}`);
        return { id: o.id, double: o.qty * 2 };
      })
      .keyBy((o) => o.id % 3)
      .reduce('sum', (a, b) => ({ id: b.id, double: a.double + b.double }))
      .toKafka({ uid: 'out', topic: env.param('output'), key: (o) => String(o.id) });
  },
});

test('malformed and failing records go to the dead-letter topic with error and position; good ones flow', async (t) => {
  const k = kafkaForTest(t);
  const [inTopic, outTopic, dlq] = [await k.topic('eng-in'), await k.topic('eng-out'), await k.topic('eng-dlq')];
  const running = await runJob(t, k, job, { params: { input: inTopic, output: outTopic }, deadLetterTopic: dlq });
  await k.kafka.produce(inTopic, [
    { value: JSON.stringify({ id: 1, qty: 1 }) },
    { value: '{not json' },
    { value: JSON.stringify({ id: 2, qty: -5 }) },
    { value: JSON.stringify({ id: 4, qty: 3 }) },
  ]);
  const out = values<{ id: number; double: number }>(await waitForRecords(k.kafka, outTopic, 2));
  assert.deepEqual(out, [{ id: 1, double: 2 }, { id: 4, double: 8 }]); // 1 and 4 share key 1 % 3
  const dead = await waitForRecords(k.kafka, dlq, 2);
  assert.equal(dead[0]!.value!.toString(), '{not json');
  assert.equal(dead[0]!.headers[DEAD_LETTER_HEADERS.code]!.toString(), 'SERDE_DECODE_FAILED');
  assert.equal(dead[0]!.headers[DEAD_LETTER_HEADERS.operator]!.toString(), 'fromKafka(orders)');
  assert.equal(dead[0]!.headers[LINEAGE_HEADERS.offset]!.toString(), '1');
  assert.match(dead[1]!.headers[DEAD_LETTER_HEADERS.error]!.toString(), /negative quantity -5/);
  assert.equal(dead[1]!.headers[DEAD_LETTER_HEADERS.operator]!.toString(), 'map#1');
  assert.equal(dead[1]!.headers[LINEAGE_HEADERS.topic]!.toString(), inTopic);
  assert.equal(dead[1]!.headers[LINEAGE_HEADERS.offset]!.toString(), '2');
  await waitFor(() => running.status().deadLetters === 2);
  // The job keeps running: a later good record still comes through.
  await k.kafka.produce(inTopic, [{ value: JSON.stringify({ id: 7, qty: 1 }) }]);
  assert.deepEqual(values(await waitForRecords(k.kafka, outTopic, 3)).at(-1), { id: 7, double: 10 });
});

test('a restart from a snapshot resumes at the exact source offsets: no gap, no duplicate', async (t) => {
  const k = kafkaForTest(t);
  const inTopic = await k.topic('eng-resume-in', 2);
  const [outTopic, dlq] = [await k.topic('eng-resume-out'), await k.topic('eng-dlq')];
  const batch = (from: number) => Array.from({ length: 20 }, (_, i) => ({ value: JSON.stringify({ id: from + i, qty: 1 }), partition: i % 2 }));
  await k.kafka.produce(inTopic, batch(0));
  const one = await runJob(t, k, job, { params: { input: inTopic, output: outTopic }, deadLetterTopic: dlq });
  await waitForRecords(k.kafka, outTopic, 20);
  const snap = await one.snapshot();
  await one.stop();
  assert.deepEqual(snap.sourceOffsets.map((o) => `${o.partition}:${o.offset}`).sort(), ['0:10', '1:10']);
  await k.kafka.produce(inTopic, batch(20));
  await runJob(t, k, job, { params: { input: inTopic, output: outTopic }, deadLetterTopic: dlq, restore: snap, parallelism: 4 });
  const out = values<{ id: number; double: number }>(await waitForRecords(k.kafka, outTopic, 40));
  assert.deepEqual(out.map((o) => o.id).sort((a, b) => a - b), Array.from({ length: 40 }, (_, i) => i));
  // Sums continue from the restored state: the largest per key class is 2 × (number of ids in that class).
  const max = new Map<number, number>();
  for (const o of out) max.set(o.id % 3, Math.max(max.get(o.id % 3) ?? 0, o.double));
  assert.deepEqual([...max.entries()].sort(), [[0, 28], [1, 26], [2, 26]]); // 14, 13 and 13 ids
  assert.equal((await readTopic(k.kafka, outTopic)).length, 40);
});
