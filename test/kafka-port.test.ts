import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kafkaForTest, uniqueName } from './support/kafka.ts';
import { createKafkaClients } from '../src/kafka/index.ts';
import { resolveConnection } from '../src/config/connection.ts';
import { silentLogger } from '../src/logger.ts';
import { KafkaError } from '../src/errors.ts';
import { freePort } from '../src/process/index.ts';
import type { KafkaPort, ReadOptions } from '../src/kafka/port.ts';

async function readAll(kafka: KafkaPort, options: ReadOptions) {
  const out = [];
  for await (const batch of kafka.read(options)) out.push(...batch.records);
  return out;
}

test('produce/consume round trip keeps keys, values, headers, timestamps and positions', async (t) => {
  const k = kafkaForTest(t);
  const topic = await k.topic('roundtrip', 3);
  const records = Array.from({ length: 300 }, (_, i) => ({
    key: `user-${i % 17}`,
    value: JSON.stringify({ i }),
    headers: { 'pitlane.src': `in:${i}` },
    timestamp: 1_700_000_000_000 + i,
  }));
  const positions = await k.kafka.produce(topic, records);
  assert.equal(positions.length, 300);

  const read = await readAll(k.kafka, { topics: [topic], from: 'earliest', to: 'end' });
  assert.equal(read.length, 300);
  const byI = new Map(read.map((r) => [(JSON.parse(r.value!.toString()) as { i: number }).i, r]));
  for (let i = 0; i < 300; i++) {
    const r = byI.get(i)!;
    assert.equal(r.key!.toString(), `user-${i % 17}`);
    assert.equal(r.headers['pitlane.src']!.toString(), `in:${i}`);
    assert.equal(r.timestamp, 1_700_000_000_000 + i);
    // The reported position of every record is where it was actually read.
    assert.deepEqual({ p: positions[i]!.partition, o: positions[i]!.offset }, { p: r.partition, o: r.offset });
  }
  // Same key → same partition (Kafka's default partitioner).
  const partOf = new Map<string, number>();
  for (const r of read) {
    const key = r.key!.toString();
    if (partOf.has(key)) assert.equal(partOf.get(key), r.partition);
    partOf.set(key, r.partition);
  }
});

test('consume from explicit offsets and to explicit end offsets', async (t) => {
  const k = kafkaForTest(t);
  const topic = await k.topic('explicit', 2);
  await k.kafka.produce(topic, Array.from({ length: 50 }, (_, i) => ({ value: String(i), partition: i % 2 })));
  // partition 0 holds 0,2,4..48 at offsets 0..24; partition 1 holds 1,3,..49.
  const read = await readAll(k.kafka, {
    topics: [topic],
    from: { offsets: [{ topic, partition: 0, offset: 20 }, { topic, partition: 1, offset: 10 }] },
    to: { offsets: [{ topic, partition: 0, offset: 23 }, { topic, partition: 1, offset: 12 }] },
  });
  const got = read.map((r) => `${r.partition}:${r.offset}:${r.value!.toString()}`).sort();
  assert.deepEqual(got, ['0:20:40', '0:21:42', '0:22:44', '1:10:21', '1:11:23'].sort());
});

test('a read restricted to one partition and a read from latest', async (t) => {
  const k = kafkaForTest(t);
  const topic = await k.topic('restrict', 2);
  await k.kafka.produce(topic, Array.from({ length: 20 }, (_, i) => ({ value: String(i), partition: i % 2 })));
  const only1 = await readAll(k.kafka, { topics: [topic], partitions: [{ topic, partition: 1 }] });
  assert.equal(only1.length, 10);
  assert.ok(only1.every((r) => r.partition === 1));
  assert.equal((await readAll(k.kafka, { topics: [topic], from: 'latest', to: 'end' })).length, 0);
});

test('follow mode sees records produced after it opened', async (t) => {
  const k = kafkaForTest(t);
  const topic = await k.topic('follow');
  const reader = k.kafka.read({ topics: [topic], from: 'latest', to: 'follow' });
  const seen: string[] = [];
  const done = (async () => {
    for await (const b of reader) {
      for (const r of b.records) seen.push(r.value!.toString());
      if (seen.length >= 5) break;
    }
  })();
  // The reader may join after the first produce; produce until it has seen enough.
  for (let i = 0; i < 200 && seen.length < 5; i++) {
    await k.kafka.produce(topic, [{ value: `v${i}` }]);
    await new Promise((r) => setTimeout(r, 50));
  }
  await done;
  assert.ok(seen.length >= 5);
  assert.deepEqual(reader.positions().length, 1);
});

test('consumer-group offsets are written and read back', async (t) => {
  const k = kafkaForTest(t);
  const topic = await k.topic('groups', 3);
  await k.kafka.produce(topic, Array.from({ length: 30 }, (_, i) => ({ value: String(i), partition: i % 3 })));
  const group = k.trackGroup(uniqueName('grp'));
  assert.deepEqual(await k.kafka.groupOffsets(group, topic), []);
  await k.kafka.setGroupOffsets(group, [
    { topic, partition: 0, offset: 3 },
    { topic, partition: 1, offset: 7 },
    { topic, partition: 2, offset: 10 },
  ]);
  assert.deepEqual(await k.kafka.groupOffsets(group, topic), [
    { topic, partition: 0, offset: 3 },
    { topic, partition: 1, offset: 7 },
    { topic, partition: 2, offset: 10 },
  ]);
  const g = await k.kafka.describeGroup(group);
  assert.equal(g.members, 0);
  assert.ok((await k.kafka.listGroups()).includes(group));
});

test('offsets for a timestamp and watermarks', async (t) => {
  const k = kafkaForTest(t);
  const topic = await k.topic('ts');
  const base = 1_700_000_000_000;
  await k.kafka.produce(topic, Array.from({ length: 10 }, (_, i) => ({ value: String(i), timestamp: base + i * 1000 })));
  assert.deepEqual(await k.kafka.watermarks(topic), [{ partition: 0, low: 0, high: 10 }]);
  assert.deepEqual(await k.kafka.offsetsForTimestamp(topic, base + 4500), [{ topic, partition: 0, offset: 5 }]);
  assert.deepEqual(await k.kafka.offsetsForTimestamp(topic, base - 1), [{ topic, partition: 0, offset: 0 }]);
  // Later than every record: the next offset.
  assert.deepEqual(await k.kafka.offsetsForTimestamp(topic, base + 60_000), [{ topic, partition: 0, offset: 10 }]);
  const fromTs = await readAll(k.kafka, { topics: [topic], from: { timestamp: base + 7000 }, to: 'end' });
  assert.deepEqual(fromTs.map((r) => r.value!.toString()), ['7', '8', '9']);
});

test('a missing topic is a clear error', async (t) => {
  const k = kafkaForTest(t);
  const missing = uniqueName('missing');
  await assert.rejects(k.kafka.watermarks(missing), (e: unknown) => e instanceof KafkaError && e.code === 'KAFKA_TOPIC_NOT_FOUND' && e.message.includes(missing));
  const reader = k.kafka.read({ topics: [missing] });
  await assert.rejects(
    (async () => {
      for await (const _ of reader) void _;
    })(),
    (e: unknown) => e instanceof KafkaError && e.code === 'KAFKA_TOPIC_NOT_FOUND',
  );
});

test('a broker that is down is a retriable error that says what to do', async () => {
  const port = await freePort();
  const conn = resolveConnection({ brokers: `127.0.0.1:${port}`, env: {} });
  const { kafka } = createKafkaClients({ ...conn, connectionTimeoutMs: 500 }, silentLogger());
  try {
    await assert.rejects(kafka.listTopics(), (e: unknown) => e instanceof KafkaError && e.code === 'KAFKA_UNREACHABLE' && e.retriable && /pitlane dev up/.test(e.hint ?? ''));
  } finally {
    await kafka.close();
  }
});

test('transactional producer: aborted records are never read, committed ones are', async (t) => {
  const k = kafkaForTest(t);
  const topic = await k.topic('tx');
  const producer = await k.kafka.createProducer({ transactionalId: uniqueName('txid') });
  t.after(() => producer.close());
  const tx1 = await producer.transaction();
  await tx1.send(topic, [{ value: 'a1' }, { value: 'a2' }]);
  await tx1.abort();
  const tx2 = await producer.transaction();
  await tx2.send(topic, [{ value: 'c1' }]);
  await tx2.commit();
  const read = await readAll(k.kafka, { topics: [topic], to: 'end' });
  assert.deepEqual(read.map((r) => r.value!.toString()), ['c1']);
  const uncommitted = await readAll(k.kafka, { topics: [topic], to: 'end', isolation: 'read_uncommitted' });
  assert.deepEqual(uncommitted.map((r) => r.value!.toString()), ['a1', 'a2', 'c1']);
});

test('a fresh client used concurrently opens one admin and one producer, and close() releases them', async (t) => {
  const k = kafkaForTest(t);
  const topics = [uniqueName('conc'), uniqueName('conc')];
  const fresh = createKafkaClients(resolveConnection({ env: process.env }), silentLogger());
  try {
    await Promise.all(topics.map((topic) => fresh.kafka.createTopics([{ topic }])));
    await Promise.all([...topics.map((topic) => fresh.kafka.produce(topic, [{ value: 'x' }])), fresh.kafka.listTopics(), fresh.kafka.listTopics()]);
    for (const topic of topics) assert.deepEqual(await fresh.kafka.watermarks(topic), [{ partition: 0, low: 0, high: 1 }]);
  } finally {
    await fresh.kafka.close();
    await k.kafka.deleteTopics(topics);
  }
  // A leaked connection would keep this test file's process alive past the runner's timeout.
});

test('a closed client refuses further calls instead of silently reconnecting', async () => {
  const { kafka } = createKafkaClients(resolveConnection({ env: process.env }), silentLogger());
  await kafka.listTopics();
  await kafka.close();
  await kafka.close(); // idempotent
  await assert.rejects(kafka.listTopics(), (e: unknown) => e instanceof KafkaError && e.code === 'KAFKA_CLIENT_CLOSED');
  await assert.rejects(kafka.produce('any', [{ value: 'x' }]), (e: unknown) => e instanceof KafkaError && e.code === 'KAFKA_CLIENT_CLOSED');
  assert.throws(() => kafka.read({ topics: ['any'] }), (e: unknown) => e instanceof KafkaError && e.code === 'KAFKA_CLIENT_CLOSED');
});
