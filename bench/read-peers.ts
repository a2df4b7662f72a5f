/**
 * The read peers bench:compare sets the comparison beside, each reading whole topics
 * from their beginning to their end and counting records: librdkafka (kcat, the I/O
 * limit), a plain kafkajs consumer (the peer) and pitlane's own fetch reader
 * decoding nothing (the stricter peer). Each checks it saw `expected` records.
 */
import { Kafka, logLevel } from 'kafkajs';
import { spawn } from 'node:child_process';
import type { KafkaPort } from '../src/kafka/port.ts';
import { partitionKey } from '../src/kafka/partition-key.ts';

/**
 * The I/O limit: librdkafka reading both topics (Debian's kcat, one `kcat -C` per topic,
 * at once, read_committed, to the end), counting the records it prints (one byte each).
 */
export async function kcatRead(brokers: string, topics: string[], expected: number): Promise<{ rate: number }> {
  const t0 = performance.now();
  const counts = await Promise.all(
    topics.map(
      (t) =>
        new Promise<number>((resolve, reject) => {
          const p = spawn('kcat', ['-C', '-b', brokers, '-t', t, '-o', 'beginning', '-e', '-q', '-f', 'x', '-X', 'isolation.level=read_committed'], { stdio: ['ignore', 'pipe', 'inherit'] });
          let n = 0;
          p.stdout.on('data', (d: Buffer) => (n += d.length));
          p.once('error', reject);
          p.once('exit', (code) => (code === 0 ? resolve(n) : reject(new Error(`kcat -C ${t} exited ${code}`))));
        }),
    ),
  );
  const secs = (performance.now() - t0) / 1000;
  const total = counts.reduce((a, b) => a + b, 0);
  if (total !== expected) throw new Error(`kcat read ${total} records, expected ${expected}`);
  return { rate: total / secs };
}

/** The limit: kafkajs consuming both topics from the beginning to their end, counting messages. */
export async function plainRead(brokers: string, topics: string[], kafkaPort: KafkaPort, expected: number): Promise<{ rate: number; cpuSeconds: number }> {
  const ends = new Map<string, number>();
  for (const t of topics) for (const m of await kafkaPort.watermarks(t)) ends.set(partitionKey(t, m.partition), m.high);
  const kafka = new Kafka({ clientId: 'bench-plain', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const groupId = `bench-plain-${Date.now()}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 250 });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  let seen = 0;
  let bytes = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await new Promise<void>((resolve) => {
    const left = new Set(ends.keys());
    void consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) bytes += m.value?.length ?? 0;
        seen += batch.messages.length;
        const last = Number(batch.lastOffset());
        if (last + 1 >= (ends.get(partitionKey(batch.topic, batch.partition)) ?? 0)) left.delete(partitionKey(batch.topic, batch.partition));
        if (left.size === 0) resolve();
      },
    });
  });
  const secs = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await consumer.disconnect();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteGroups([groupId]).catch(() => undefined);
  await admin.disconnect();
  if (seen < expected) throw new Error(`plain read saw ${seen} of ${expected} (${bytes} bytes)`);
  return { rate: seen / secs, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

/**
 * A stricter peer: pitlane's own fetch reader (the one the comparison reads with) over
 * both topics, counting the records its batches hold and decoding nothing.
 */
export async function plainFetchRead(kafka: KafkaPort, topics: string[], expected: number): Promise<{ rate: number; cpuSeconds: number }> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let seen = 0;
  for await (const batch of kafka.read({ topics, pack: { headers: [] } })) seen += batch.packed?.count ?? batch.records.length;
  const secs = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  if (seen < expected) throw new Error(`fetch read saw ${seen} of ${expected}`);
  return { rate: seen / secs, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}
