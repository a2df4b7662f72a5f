import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kafkaForTest, uniqueName } from './support/kafka.ts';
import { KafkaCutover } from '../src/orchestrator/cutover/kafka-cutover.ts';
import { systemClock } from '../src/clock.ts';
import { silentLogger } from '../src/logger.ts';
import { PromotionError } from '../src/errors.ts';
import type { IncomingRecord, KafkaPort } from '../src/kafka/port.ts';

const lineage = (inPart: number, off: number) => ({ 'pitlane.src.topic': 'payments', 'pitlane.src.partition': String(inPart), 'pitlane.src.offset': String(off), 'pitlane.event-time': String(1_700_000_000_000 + off) });

async function readAll(kafka: KafkaPort, topic: string): Promise<IncomingRecord[]> {
  const out: IncomingRecord[] = [];
  for await (const b of kafka.read({ topics: [topic], from: 'earliest', to: 'end' })) out.push(...b.records);
  return out;
}

const srcOf = (r: IncomingRecord) => `${r.partition}:${r.headers['pitlane.src.offset']!.toString()}`;

test('cutover moves a group to the matching records on the canary topic: no gap, no duplicate', async (t) => {
  const k = kafkaForTest(t);
  const auth = await k.topic('cut-auth', 2);
  const canary = await k.topic('cut-canary', 2);
  const group = k.trackGroup(uniqueName('billing'));
  // Input partition p feeds output partition p. The authoritative job has output
  // for inputs 0..39; the candidate was forked at input 10 and is at input 39 too.
  for (const p of [0, 1]) {
    await k.kafka.produce(auth, Array.from({ length: 40 }, (_, i) => ({ key: `k${p}`, value: `v1-${i}`, headers: lineage(p, i), partition: p })));
    await k.kafka.produce(canary, Array.from({ length: 30 }, (_, j) => ({ key: `k${p}`, value: `v2-${j + 10}`, headers: lineage(p, j + 10), partition: p })));
  }
  // The downstream group has read 25 records of partition 0 and 33 of partition 1.
  await k.kafka.setGroupOffsets(group, [{ topic: auth, partition: 0, offset: 25 }, { topic: auth, partition: 1, offset: 33 }]);

  const cut = new KafkaCutover(k.kafka, systemClock, silentLogger(), { pollMs: 50 });
  const res = await cut.cutover({ requestId: 'r1', groups: [group], from: auth, to: canary, force: false, timeoutMs: 10_000 });
  assert.deepEqual(res[0]?.offsets, [{ topic: canary, partition: 0, offset: 15 }, { topic: canary, partition: 1, offset: 23 }]);
  const onCanary = await k.kafka.groupOffsets(group, canary);
  assert.deepEqual(onCanary.map((o) => [o.partition, o.offset]), [[0, 15], [1, 23]]);

  // What the group saw on auth plus what it will see on canary covers each input exactly once.
  const seen = (await readAll(k.kafka, auth)).filter((r) => r.offset < (r.partition === 0 ? 25 : 33)).map(srcOf);
  const next = (await readAll(k.kafka, canary)).filter((r) => r.offset >= onCanary.find((o) => o.partition === r.partition)!.offset).map(srcOf);
  const all = [...seen, ...next].sort();
  assert.equal(new Set(all).size, all.length, 'no duplicate');
  assert.equal(all.length, 80, 'no gap: all 2×40 inputs');

  // A repeat (a resumed controller) does not rewind a group that moved on.
  await k.kafka.setGroupOffsets(group, [{ topic: canary, partition: 0, offset: 20 }]);
  await cut.cutover({ requestId: 'r1', groups: [group], from: auth, to: canary, force: false, timeoutMs: 10_000 });
  assert.deepEqual((await k.kafka.groupOffsets(group, canary)).map((o) => [o.partition, o.offset]), [[0, 20], [1, 23]]);
});

test('cutover refuses when the topics are partitioned differently, and when the canary cannot catch up', async (t) => {
  const k = kafkaForTest(t);
  const auth = await k.topic('cut-auth', 2);
  const three = await k.topic('cut-three', 3);
  const canary = await k.topic('cut-canary', 1);
  const auth1 = await k.topic('cut-auth1', 1);
  const group = k.trackGroup(uniqueName('g'));
  const cut = new KafkaCutover(k.kafka, systemClock, silentLogger(), { pollMs: 50 });
  await assert.rejects(cut.cutover({ requestId: 'r', groups: [group], from: auth, to: three, force: false, timeoutMs: 1000 }), (e: unknown) => e instanceof PromotionError && e.code === 'CUTOVER_PARTITIONS_DIFFER');
  await k.kafka.produce(auth1, Array.from({ length: 10 }, (_, i) => ({ value: String(i), headers: lineage(0, i), partition: 0 })));
  await k.kafka.produce(canary, Array.from({ length: 3 }, (_, i) => ({ value: String(i), headers: lineage(0, i), partition: 0 })));
  await k.kafka.setGroupOffsets(group, [{ topic: auth1, partition: 0, offset: 8 }]);
  await assert.rejects(cut.cutover({ requestId: 'r', groups: [group], from: auth1, to: canary, force: false, timeoutMs: 300 }), (e: unknown) => e instanceof PromotionError && e.code === 'CUTOVER_TARGET_BEHIND' && e.retriable);
  assert.deepEqual(await k.kafka.groupOffsets(group, canary), [], 'nothing applied');
});
