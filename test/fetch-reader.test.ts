/**
 * The packed read (src/kafka/fetch-reader.ts: Fetch straight to the leaders, record
 * batches handed over as bytes) against kafkajs' consumer on the same topics: the
 * same records, offsets, timestamps, keys, values and headers, through transactions
 * (committed, aborted), gzip batches, null and empty fields and bounded ranges.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { kafkaForTest } from './support/kafka.ts';
import { openFetchReader } from '../src/kafka/fetch-reader.ts';
import { partitionKey } from '../src/kafka/partition-key.ts';
import { unpackRecords } from '../src/kafka/record-batches.ts';
import { silentLogger } from '../src/logger.ts';
import { toKafkaError } from '../src/kafka/kafka-errors.ts';
import { KafkaError } from '../src/errors.ts';
import { freePort } from '../src/process/index.ts';
import type { KafkaPort, ReadOptions, RecordBatch } from '../src/kafka/port.ts';

const HEADERS = ['pitlane.event-time', 'absent'];

interface Seen {
  partition: number;
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: (string | null)[];
}

const text = (b: Buffer | null | undefined) => (b == null ? null : b.toString('utf8'));

/** Every record of the read, from packed batches (either kind) or records, in partition and offset order. */
async function readAll(kafka: KafkaPort, options: ReadOptions): Promise<{ seen: Seen[]; kinds: Set<string> }> {
  const seen: Seen[] = [];
  const kinds = new Set<string>();
  for await (const batch of kafka.read(options)) {
    kinds.add(batch.packed?.kind ?? (batch.packed ? 'fields' : 'records-objects'));
    seen.push(...recordsOf(batch));
  }
  return { seen: seen.sort((x, y) => x.partition - y.partition || x.offset - y.offset), kinds };
}

function recordsOf(batch: RecordBatch): Seen[] {
  const p = batch.packed;
  if (!p) return batch.records.map((r) => ({ partition: r.partition, offset: r.offset, timestamp: r.timestamp, key: text(r.key), value: text(r.value), headers: HEADERS.map((h) => text(r.headers[h])) }));
  assert.equal(p.kind, 'records', 'a packed read over plaintext goes through the fetch reader');
  const u = unpackRecords(Buffer.from(p.buffer, 0, p.size), p.from!, p.to!, HEADERS.map((h) => Buffer.from(h)), p.count);
  const fields = 2 + HEADERS.length;
  const span = (i: number, f: number) => {
    const s = u.spans[2 * (i * fields + f)]!;
    const len = u.spans[2 * (i * fields + f) + 1]!;
    return len < 0 ? null : u.bytes.toString('utf8', s, s + len);
  };
  return Array.from({ length: u.count }, (_, i) => ({
    partition: p.partition,
    offset: u.nums[2 * i]!,
    timestamp: u.nums[2 * i + 1]!,
    key: span(i, 0),
    value: span(i, 1),
    headers: HEADERS.map((_, h) => span(i, 2 + h)),
  }));
}

const both = async (kafka: KafkaPort, options: ReadOptions) => {
  const fast = await readAll(kafka, { ...options, pack: { headers: HEADERS } });
  const plain = await readAll(kafka, options);
  assert.ok([...fast.kinds].every((k) => k === 'records'), `kinds ${[...fast.kinds].join(', ')}`);
  if (fast.seen.length > 0) assert.deepEqual([...fast.kinds], ['records']);
  return { fast: fast.seen, plain: plain.seen };
};

test('fetch reader: the same records as kafkajs through committed and aborted transactions, gzip batches, null and empty fields', async (t) => {
  const k = kafkaForTest(t);
  const topic = await k.topic('fetch-same', 3);
  const brokers = process.env.KAFKA_BROKERS!.split(',');
  // Plain records: keys and nulls, unicode, headers wanted and not, explicit timestamps.
  await k.kafka.produce(topic, Array.from({ length: 300 }, (_, i) => ({
    key: i % 7 === 0 ? null : `user-${i % 11}`,
    value: i % 13 === 0 ? null : i % 17 === 0 ? '' : JSON.stringify({ i, name: i % 5 === 0 ? 'Zoë ✓' : 'plain' }),
    headers: (i % 3 === 0 ? { 'pitlane.event-time': String(1_700_000_000_000 + i), other: 'x' } : { other: 'y' }) as Record<string, string>,
    timestamp: 1_700_000_000_000 + i * 10,
    partition: i % 3,
  })));
  // A committed transaction, an aborted one, then another committed one.
  const txp = await k.kafka.createProducer({ transactionalId: `t-fetch-${topic}` });
  for (const [label, outcome] of [['c1', 'commit'], ['a1', 'abort'], ['c2', 'commit']] as const) {
    const tx = await txp.transaction();
    await tx.send(topic, Array.from({ length: 40 }, (_, i) => ({ key: `${label}-${i}`, value: JSON.stringify({ label, i }), partition: i % 3 })));
    await (outcome === 'commit' ? tx.commit() : tx.abort());
  }
  await txp.close();
  // gzip-compressed batches, written by kafkajs directly (test/codecs.test.ts covers the other codecs and producers).
  const kafkajs = new Kafka({ brokers, logLevel: logLevel.NOTHING });
  const producer = kafkajs.producer();
  await producer.connect();
  try {
    for (let b = 0; b < 3; b++) {
      await producer.send({ topic, compression: CompressionTypes.GZIP, messages: Array.from({ length: 50 }, (_, i) => ({ key: `gz-${b}-${i}`, value: JSON.stringify({ gz: true, b, i }), partition: i % 3, headers: { 'pitlane.event-time': String(b * 100 + i) } })) });
    }
  } finally {
    await producer.disconnect();
  }

  const committed = await both(k.kafka, { topics: [topic] });
  assert.equal(committed.fast.length, 300 + 80 + 150);
  assert.deepEqual(committed.fast, committed.plain);
  assert.ok(!committed.fast.some((r) => r.key?.startsWith('a1-')), 'no record of the aborted transaction');
  assert.ok(committed.fast.some((r) => r.value === null) && committed.fast.some((r) => r.value === '') && committed.fast.some((r) => r.key === null));

  const uncommitted = await both(k.kafka, { topics: [topic], isolation: 'read_uncommitted' });
  assert.equal(uncommitted.fast.length, 300 + 120 + 150);
  assert.deepEqual(uncommitted.fast, uncommitted.plain);
});

test('fetch reader: bounded ranges that start and end inside a batch, one partition, and from latest', async (t) => {
  const k = kafkaForTest(t);
  const topic = await k.topic('fetch-range', 2);
  // One produce call per partition: each is one record batch of 100 records.
  for (const partition of [0, 1]) await k.kafka.produce(topic, Array.from({ length: 100 }, (_, i) => ({ value: `${partition}:${i}`, partition, timestamp: 1_600_000_000_000 + i })));
  const range = await both(k.kafka, {
    topics: [topic],
    from: { offsets: [{ topic, partition: 0, offset: 37 }, { topic, partition: 1, offset: 5 }] },
    to: { offsets: [{ topic, partition: 0, offset: 41 }, { topic, partition: 1, offset: 6 }] },
  });
  assert.deepEqual(range.fast.map((r) => r.value), ['0:37', '0:38', '0:39', '0:40', '1:5']);
  assert.deepEqual(range.fast, range.plain);
  const byTime = await both(k.kafka, { topics: [topic], from: { timestamp: 1_600_000_000_090 }, partitions: [{ topic, partition: 1 }] });
  assert.deepEqual(byTime.fast.map((r) => r.value), Array.from({ length: 10 }, (_, i) => `1:${90 + i}`));
  assert.deepEqual(byTime.fast, byTime.plain);
  const latest = await both(k.kafka, { topics: [topic], from: 'latest' });
  assert.deepEqual(latest.fast, []);
});

test('fetch reader: a leader that cannot be reached ends the read with KAFKA_UNREACHABLE once the tolerance is spent', async () => {
  const port = await freePort();
  const reader = openFetchReader({ topics: ['t'], pack: { headers: [] } }, {
    watermarks: async () => [{ partition: 0, low: 0, high: 10 }],
    offsetsForTimestamp: async () => [],
    leaders: async () => new Map([[partitionKey('t', 0), `127.0.0.1:${port}`]]),
    fail: (e, action) => toKafkaError(e, action, [`127.0.0.1:${port}`]),
    onClose: () => undefined,
    logger: silentLogger(),
    clientId: 'test',
    connectionTimeoutMs: 500,
    requestTimeoutMs: 1000,
    outageToleranceMs: 600,
  });
  await assert.rejects(
    async () => {
      for await (const _ of reader) assert.fail('no batch can arrive');
    },
    (e: unknown) => e instanceof KafkaError && e.code === 'KAFKA_UNREACHABLE' && /ECONNREFUSED/.test(e.message) && e.hint !== undefined,
  );
});
