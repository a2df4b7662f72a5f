import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kafkaForTest } from './support/kafka.ts';
import { json, runJob, values, waitForRecords } from './engine-harness.ts';
import v1 from '../examples/event-count/v1.ts';
import v2 from '../examples/event-count/v2.ts';

const T = 1_700_000_000_000;
const input = ['click', 'view', 'click', 'buy', 'click', 'view'].map((type, i) => ({ type, ts: T + i * 10 }));

test('event-count v1: a running count per type', async (t) => {
  const k = kafkaForTest(t);
  const [inTopic, outTopic] = [await k.topic('ec-in'), await k.topic('ec-out')];
  await runJob(t, k, v1, { params: { input: inTopic, output: outTopic }, deadLetterTopic: await k.topic('ec-dlq'), parallelism: 2 });
  await k.kafka.produce(inTopic, json(input));
  const out = await waitForRecords(k.kafka, outTopic, 6);
  assert.deepEqual(values(out), [
    { type: 'click', count: 1 },
    { type: 'view', count: 1 },
    { type: 'click', count: 2 },
    { type: 'buy', count: 1 },
    { type: 'click', count: 3 },
    { type: 'view', count: 2 },
  ]);
  assert.deepEqual(out.map((r) => r.key!.toString()), input.map((e) => e.type));
});

test('event-count v2: also the max event time per type', async (t) => {
  const k = kafkaForTest(t);
  const [inTopic, outTopic] = [await k.topic('ec-in'), await k.topic('ec-out')];
  await runJob(t, k, v2, { params: { input: inTopic, output: outTopic }, deadLetterTopic: await k.topic('ec-dlq') });
  await k.kafka.produce(inTopic, json(input));
  const out = values<{ type: string; count: number; maxTs: number }>(await waitForRecords(k.kafka, outTopic, 6));
  assert.deepEqual(out.map((c) => `${c.type}:${c.count}:${c.maxTs - T}`), ['click:1:0', 'view:1:10', 'click:2:20', 'buy:1:30', 'click:3:40', 'view:2:50']);
});
