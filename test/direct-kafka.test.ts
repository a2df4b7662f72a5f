/**
 * The engine's direct Kafka path against the real broker (issue 16, part 2): the
 * port's idempotent producer writing record batches itself (direct-producer.ts) and
 * the direct read (the fetch reader decoding records in place, batch-records.ts).
 * What the producer reports is where the records are, as the direct read, kcat
 * (librdkafka) and the batches' own headers say; a direct read of a transactional
 * topic skips the aborted transaction and the markers under read_committed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kafkaForTest } from './support/kafka.ts';
import { kcatConsume, recordsByCodec, requireKcat } from './support/producers.ts';
import type { IncomingRecord, KafkaPort, OutgoingRecord, ReadOptions } from '../src/kafka/port.ts';
import { BrokerConnection } from '../src/kafka/fetch-wire.ts';
import { batchHeaders } from '../src/kafka/record-batches.ts';

async function readAll(kafka: KafkaPort, topic: string, extra: Partial<ReadOptions> = {}): Promise<IncomingRecord[]> {
  const out: IncomingRecord[] = [];
  for await (const b of kafka.read({ topics: [topic], from: 'earliest', to: 'end', direct: true, ...extra })) out.push(...b.records);
  return out;
}

test('idempotent producer: records land where the send says, with their headers and timestamps, in batches of the codec and the producer\'s id', async (t) => {
  requireKcat();
  const { kafka, topic } = kafkaForTest(t);
  const out = await topic('direct-out', 3);
  const producer = await kafka.createProducer({ idempotent: true });
  t.after(() => producer.close());
  const sent: { record: OutgoingRecord & { key: string; value: string; headers: { 'pitlane.src.offset': string; bin: Buffer } }; at: { partition: number; offset: number } }[] = [];
  for (const [round, compression] of (['none', 'lz4', 'zstd'] as const).entries()) {
    const records = Array.from({ length: 200 }, (_, i) => ({ key: `k${i % 17}`, value: JSON.stringify({ round, i }), timestamp: 1_700_000_000_000 + round * 1000 + i, headers: { 'pitlane.src.offset': String(i), bin: Buffer.from([round, i % 256]) } }));
    const positions = await producer.send(out, records, { compression });
    records.forEach((record, i) => sent.push({ record, at: positions[i]! }));
  }
  const read = await readAll(kafka, out);
  assert.equal(read.length, 600, 'every record once');
  const at = new Map(read.map((r) => [`${r.partition}@${r.offset}`, r]));
  for (const { record, at: p } of sent) {
    const r = at.get(`${p.partition}@${p.offset}`);
    assert.ok(r, `a record at ${p.partition}@${p.offset}`);
    assert.equal(r.key!.toString(), record.key);
    assert.equal(r.value!.toString(), record.value);
    assert.equal(r.timestamp, record.timestamp);
    assert.equal(r.headers['pitlane.src.offset']!.toString(), record.headers['pitlane.src.offset']);
    assert.deepEqual([...r.headers.bin!], [...record.headers.bin]);
  }
  assert.deepEqual((await kcatConsume(out)).sort(), sent.map((s) => `${s.record.key}|${s.record.value}`).sort(), 'librdkafka reads the same records');
  const codecs = await recordsByCodec(out, 3);
  assert.deepEqual(codecs, { none: 200, lz4: 200, zstd: 200 });
  // The batches carry a producer id (Kafka's idempotence), with sequences the broker accepted.
  const [host, port] = process.env.KAFKA_BROKERS!.split(',')[0]!.split(':');
  const c = new BrokerConnection(host!, Number(port), { clientId: 'direct-probe', connectionTimeoutMs: 5000, requestTimeoutMs: 10000 });
  try {
    const fetched = await c.fetch({ maxWaitMs: 0, minBytes: 0, maxBytes: 8 << 20, readCommitted: false, topics: new Map([[out, [0, 1, 2].map((partition) => ({ partition, offset: 0, maxBytes: 4 << 20 }))]]) });
    const ids = new Set(fetched.flatMap((fp) => batchHeaders(fp.records).map((h) => h.producerId)));
    assert.equal(ids.size, 1);
    assert.ok([...ids][0]! >= 0, 'a producer id from InitProducerId');
  } finally {
    c.close();
  }
});

test('direct read of a transactional topic: read_committed skips the aborted transaction and every marker; read_uncommitted skips only markers', async (t) => {
  const { kafka, topic } = kafkaForTest(t);
  const input = await topic('direct-tx', 2);
  const producer = await kafka.createProducer({ transactionalId: `${input}-writer` });
  t.after(() => producer.close());
  const rows = (tag: string) => Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `${tag}-${i}` }));
  const aborted = await producer.transaction();
  await aborted.send(input, rows('aborted'));
  await aborted.abort();
  const committed = await producer.transaction();
  await committed.send(input, rows('committed'));
  await committed.commit();
  const values = (rs: IncomingRecord[]) => rs.map((r) => r.value!.toString()).sort();
  assert.deepEqual(values(await readAll(kafka, input)), rows('committed').map((r) => r.value).sort());
  assert.deepEqual(values(await readAll(kafka, input, { isolation: 'read_uncommitted' })), [...rows('aborted'), ...rows('committed')].map((r) => r.value).sort());
});
