import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kafkaForTest, waitFor } from './support/kafka.ts';
import { json, runJob, values, waitForRecords, readTopic } from './engine-harness.ts';
import v1, { type Reading, type WindowSum } from '../examples/window-sum/v1.ts';
import v2 from '../examples/window-sum/v2.ts';
import { LINEAGE_HEADERS } from '../src/engine/index.ts';

const M = 60_000;
const T = 1_700_000_040_000 - (1_700_000_040_000 % M); // a minute boundary
const r = (key: string, value: number, ms: number): Reading => ({ key, value, ts: T + ms });

test('window-sum v1: sums per key per minute; late-but-allowed updates, too-late goes to the late topic', async (t) => {
  const k = kafkaForTest(t);
  const [inTopic, outTopic, lateTopic] = [await k.topic('ws-in'), await k.topic('ws-out'), await k.topic('ws-late')];
  const job = await runJob(t, k, v1, { params: { input: inTopic, output: outTopic, late: lateTopic, latenessMs: '30000' }, deadLetterTopic: await k.topic('ws-dlq'), parallelism: 2 });
  await k.kafka.produce(inTopic, json([r('a', 1, 0), r('b', 10, 1000), r('a', 2, 59_999), r('a', 4, M + 5000)]));
  // The watermark reached T + M + 4999: window [T, T+M) fired for a and b.
  const first = values<WindowSum>(await waitForRecords(k.kafka, outTopic, 2));
  assert.deepEqual(first.map((s) => `${s.key}:${s.windowStart - T}:${s.sum}:${s.count}`).sort(), ['a:0:3:2', 'b:0:10:1']);
  // Late within 30 s of the window end: re-emits the updated window. Then time moves on.
  // The watermark advances per input batch, so the too-late record is sent once it has moved on.
  await k.kafka.produce(inTopic, json([r('a', 8, 30_000), r('c', 1, 2 * M + 40_000)]));
  await waitFor(() => (job.status().operators.find((o) => o.kind === 'window')!.watermark ?? 0) >= T + 2 * M + 39_999);
  await k.kafka.produce(inTopic, json([r('a', 16, 10)]));
  const all = values<WindowSum>(await waitForRecords(k.kafka, outTopic, 4));
  assert.deepEqual(all.slice(2).map((s) => `${s.key}:${(s.windowStart - T) / M}:${s.sum}:${s.count}`), ['a:0:11:3', 'a:1:4:1']);
  const late = values<Reading>(await waitForRecords(k.kafka, lateTopic, 1));
  assert.deepEqual(late, [r('a', 16, 10)]);
  await waitFor(() => job.status().operators.find((o) => o.kind === 'window')!.late === 1);
  const out = await readTopic(k.kafka, outTopic);
  assert.equal(out[0]!.headers[LINEAGE_HEADERS.eventTime]!.toString(), String(T + M - 1));
});

test('window-sum v2: an idle partition does not stall the watermark; output carries the mean', async (t) => {
  const k = kafkaForTest(t);
  const inTopic = await k.topic('ws-idle-in', 3);
  const [outTopic, lateTopic] = [await k.topic('ws-out'), await k.topic('ws-late')];
  const job = await runJob(t, k, v2, { params: { input: inTopic, output: outTopic, late: lateTopic, idleTimeoutMs: '500' }, deadLetterTopic: await k.topic('ws-dlq') });
  // Everything goes to partition 0; partitions 1 and 2 stay silent.
  await k.kafka.produce(inTopic, json([r('x', 3, 0), r('x', 5, 1000), r('x', 1, M + 1)]).map((m) => ({ ...m, partition: 0 })));
  const out = values<WindowSum & { mean: number }>(await waitForRecords(k.kafka, outTopic, 1));
  assert.deepEqual(out, [{ key: 'x', windowStart: T, windowEnd: T + M, sum: 8, count: 2, mean: 4 }]);
  // Partitions 1 and 2 never saw a record (no watermark of their own): only their idleness let the window fire.
  const src = job.status().operators.find((o) => o.kind === 'source')!;
  assert.deepEqual(src.partitions!.map((p) => p.watermark !== null), [true, false, false]);
  assert.deepEqual(src.partitions!.map((p) => p.idle), [true, true, true]);
});
