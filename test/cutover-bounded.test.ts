/**
 * The bounded cutover translation on the real broker, over transactional topics
 * long enough that a full scan reads far more than the bounded one: the same
 * offsets as the full translation (both topics read whole, translatePartition),
 * from a small share of their records, counted by the translator.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kafkaForTest, uniqueName } from './support/kafka.ts';
import { KafkaCutover } from '../src/orchestrator/cutover/kafka-cutover.ts';
import { translatePartition } from '../src/orchestrator/cutover/translate.ts';
import { systemClock } from '../src/clock.ts';
import { silentLogger } from '../src/logger.ts';
import type { IncomingRecord, KafkaPort, OutgoingRecord } from '../src/kafka/port.ts';

const INPUTS = 12_000;
const FORK = 1_500;
const PARTITIONS = 3;

/** A job's output: per partition p, one record per input in [first, INPUTS) with lineage in:p@i and an old event time, in transactions of 1,000 per partition, one aborted. */
async function writeJob(kafka: KafkaPort, topic: string, first: number): Promise<void> {
  const producer = await kafka.createProducer({ transactionalId: `${topic}-tx` });
  try {
    for (let from = first; from < INPUTS; from += 1000) {
      const records: OutgoingRecord[] = [];
      for (let p = 0; p < PARTITIONS; p++) {
        for (let i = from; i < Math.min(INPUTS, from + 1000); i++) {
          const ts = 1_600_000_000_000 + i * 7;
          records.push({ key: `k${p}-${i % 50}`, value: `v${i}`, partition: p, timestamp: ts, headers: { 'pitlane.src.topic': 'in', 'pitlane.src.partition': String(p), 'pitlane.src.offset': String(i), 'pitlane.event-time': String(ts) } });
        }
      }
      const tx = await producer.transaction();
      await tx.send(topic, records);
      await tx.commit();
      if (from === 5000 + (first % 1000)) {
        // Records no reader may see: lineage far ahead, so counting them would move every offset.
        const aborted = await producer.transaction();
        await aborted.send(topic, Array.from({ length: 300 }, (_, j) => ({ key: 'x', value: 'aborted', partition: j % PARTITIONS, timestamp: 1_600_000_000_000, headers: { 'pitlane.src.topic': 'in', 'pitlane.src.partition': String(j % PARTITIONS), 'pitlane.src.offset': String(900_000 + j), 'pitlane.event-time': '1600000000000' } })));
        await aborted.abort();
      }
    }
  } finally {
    await producer.close();
  }
}

async function readAll(kafka: KafkaPort, topic: string): Promise<Map<number, IncomingRecord[]>> {
  const out = new Map<number, IncomingRecord[]>();
  for await (const b of kafka.read({ topics: [topic], from: 'earliest', to: 'end', isolation: 'read_committed' })) out.set(b.partition, [...(out.get(b.partition) ?? []), ...b.records]);
  return out;
}

test('bounded cutover over long transactional topics: the full translation’s offsets from a fraction of the records', { timeout: 240_000 }, async (t) => {
  const k = kafkaForTest(t);
  const auth = await k.topic('cutb-auth', PARTITIONS);
  const canary = await k.topic('cutb-canary', PARTITIONS);
  const group = k.trackGroup(uniqueName('cutb-group'));
  await writeJob(k.kafka, auth, 0);
  await writeJob(k.kafka, canary, FORK);
  const authMarks = await k.kafka.watermarks(auth);
  // Partition 0 mid-stream, partition 1 at the end of the topic, partition 2 without a commit.
  await k.kafka.setGroupOffsets(group, [{ topic: auth, partition: 0, offset: 7_777 }, { topic: auth, partition: 1, offset: authMarks[1]!.high }]);

  const plan = await new KafkaCutover(k.kafka, systemClock, silentLogger()).plan(group, auth, canary);
  assert.equal(plan.complete, true, JSON.stringify(plan.partitions.map((p) => p.outcome)));

  // The reference: both topics read whole, and the full translation.
  const [source, target] = await Promise.all([readAll(k.kafka, auth), readAll(k.kafka, canary)]);
  const targetMarks = await k.kafka.watermarks(canary);
  const committed = [7_777, authMarks[1]!.high, 0];
  const want = [0, 1, 2].map((p) => translatePartition({ partition: p, committed: committed[p]!, source: source.get(p)!, target: target.get(p)!, targetLow: targetMarks[p]!.low, targetHigh: targetMarks[p]!.high }));
  assert.deepEqual(plan.partitions.map((p) => p.outcome), want);
  assert.deepEqual(want.map((w) => w.kind === 'matched' && w.by), ['lineage', 'lineage', 'nothing-seen']);
  // The twin of the last record seen on partition 0: same input, on the canary.
  assert.equal(plan.partitions[0]!.lastSeen!.headers['pitlane.src.offset']!.toString(), plan.partitions[0]!.matched!.headers['pitlane.src.offset']!.toString());

  const total = [...source.values(), ...target.values()].reduce((n, r) => n + r.length, 0);
  assert.ok(total > 60_000, `a full scan reads ${total} records`);
  assert.ok(plan.recordsRead * 8 < total, `the bounded translation read ${plan.recordsRead} records, a full scan ${total}`);
});
