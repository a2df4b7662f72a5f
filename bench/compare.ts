/**
 * bench:compare — records compared per second, end to end (read + decode + window
 * + all six checks + judgment) over two topics of N records each, beside a plain
 * kafkajs read of the same two topics in the same run (the limit); the in-memory
 * rate over pre-decoded records; and peak heap at 1M and 10M distinct keys.
 *
 * Uses KAFKA_BROKERS when set, else starts the local dev broker (and stops it).
 * Topics are kept between runs (pitlane-bench-compare-{a,b}-N) and reused when full.
 *   BENCH_COMPARE_RECORDS (default 1000000), BENCH_COMPARE_KEYS (default 10000000 for the memory run)
 */
import { Kafka, logLevel } from 'kafkajs';
import { resolveConnection } from '../src/config/connection.ts';
import { createKafkaClients } from '../src/kafka/index.ts';
import type { KafkaPort, OutgoingRecord } from '../src/kafka/port.ts';
import { silentLogger } from '../src/logger.ts';
import { createComparison, resolveCompareConfig } from '../src/compare/index.ts';
import { WindowSet } from '../src/compare/windows.ts';
import { LINEAGE } from '../src/compare/decode.ts';
import type { CompareRecord, Side, Window } from '../comparators/types.ts';

const N = Number(process.env.BENCH_COMPARE_RECORDS ?? 1_000_000);
const MAX_KEYS = Number(process.env.BENCH_COMPARE_KEYS ?? 10_000_000);
const PARTITIONS = 4;
const KEYS = 100_000;
const BASE = Date.UTC(2024, 0, 1);
const SPAN = 1_000_000; // event time spread: 1000 s → 100 windows of 10 s
const CONFIG = { window: '10s', allowedLateness: 0, minimum: { windows: 3, records: 1000 } };

const valueOf = (i: number) => ({ id: `user-${i % KEYS}`, amount: 10 + (i % 997) / 10, region: ['eu', 'us', 'apac'][i % 3], score: (i % 13) / 13 });
const eventTimeOf = (i: number) => BASE + Math.floor((i / N) * SPAN);

async function ensureTopic(kafka: KafkaPort, topic: string): Promise<void> {
  const exists = (await kafka.listTopics()).includes(topic);
  if (exists) {
    const marks = await kafka.watermarks(topic);
    if (marks.reduce((s, m) => s + m.high - m.low, 0) === N) return;
    await kafka.deleteTopics([topic]);
  }
  await kafka.createTopics([{ topic, partitions: PARTITIONS }]);
  const t0 = performance.now();
  const batch = 10_000;
  for (let i = 0; i < N; i += batch) {
    const records: OutgoingRecord[] = [];
    for (let j = i; j < Math.min(N, i + batch); j++) {
      const et = eventTimeOf(j);
      records.push({ key: `user-${j % KEYS}`, value: JSON.stringify(valueOf(j)), timestamp: et + 100, headers: { [LINEAGE.eventTime]: String(et) } });
    }
    await kafka.produce(topic, records);
  }
  console.log(`  wrote ${N} records to ${topic} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

/** The limit: kafkajs consuming both topics from the beginning to their end, counting messages. */
async function plainRead(brokers: string, topics: string[], kafkaPort: KafkaPort): Promise<number> {
  const ends = new Map<string, number>();
  for (const t of topics) for (const m of await kafkaPort.watermarks(t)) ends.set(`${t}/${m.partition}`, m.high);
  const kafka = new Kafka({ clientId: 'bench-plain', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const groupId = `bench-plain-${Date.now()}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 250 });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  let seen = 0;
  let bytes = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const left = new Set(ends.keys());
    void consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) bytes += m.value?.length ?? 0;
        seen += batch.messages.length;
        const last = Number(batch.lastOffset());
        if (last + 1 >= (ends.get(`${batch.topic}/${batch.partition}`) ?? 0)) left.delete(`${batch.topic}/${batch.partition}`);
        if (left.size === 0) resolve();
      },
    });
  });
  const secs = (performance.now() - t0) / 1000;
  await consumer.disconnect();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteGroups([groupId]).catch(() => undefined);
  await admin.disconnect();
  if (seen < 2 * N) throw new Error(`plain read saw ${seen} of ${2 * N} (${bytes} bytes)`);
  return seen / secs;
}

async function endToEnd(kafka: KafkaPort, a: string, b: string): Promise<{ rate: number; verdict: string; peakHeapMiB: number }> {
  const t0 = performance.now();
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 100);
  const report = await createComparison({ a: { topic: a }, b: { topic: b }, config: resolveCompareConfig(CONFIG) }, { kafka, logger: silentLogger() }).run();
  clearInterval(timer);
  const secs = (performance.now() - t0) / 1000;
  const total = report.sides.a.records + report.sides.b.records;
  if (total !== 2 * N) throw new Error(`comparison saw ${total} of ${2 * N}`);
  return { rate: total / secs, verdict: report.verdict, peakHeapMiB: peak / 2 ** 20 };
}

const rec = (i: number, key: string): CompareRecord => ({ key, value: valueOf(i), eventTime: eventTimeOf(i), timestamp: eventTimeOf(i) + 100, lineage: undefined, schemaId: undefined });
const ctx = (window: Window, late: Record<Side, number>) => ({ window, a: { watermark: 0, lateRecords: late.a, schemaFields: undefined }, b: { watermark: 0, lateRecords: late.b, schemaFields: undefined }, compatibility: undefined });

/** All six checks over pre-decoded records, no Kafka: the comparator's own ceiling. */
function inMemory(): number {
  const records = Array.from({ length: N }, (_, i) => rec(i, `user-${i % KEYS}`));
  const ws = new WindowSet(10_000, 0, resolveCompareConfig(CONFIG).checks);
  const t0 = performance.now();
  let judged = 0;
  for (let i = 0; i < N; i++) {
    ws.add('a', records[i]!, false);
    ws.add('b', records[i]!, false);
    if (i % 10_000 === 9_999) judged += ws.closeUpTo(records[i]!.eventTime - 10_000, ctx).length;
  }
  judged += ws.closeUpTo(Infinity, ctx).length;
  if (judged === 0) throw new Error('nothing judged');
  return (2 * N) / ((performance.now() - t0) / 1000);
}

/** Peak heap while all six checks see `keys` distinct keys per side in ONE window (the worst case). */
function memoryAt(keys: number): number {
  globalThis.gc?.();
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  const ws = new WindowSet(Number.MAX_SAFE_INTEGER / 4, 0, resolveCompareConfig(CONFIG).checks);
  for (let i = 0; i < keys; i++) {
    const r: CompareRecord = { key: `k-${i}`, value: { amount: i % 1000, region: 'eu' }, eventTime: 1, timestamp: 2, lineage: undefined, schemaId: undefined };
    ws.add('a', r, false);
    ws.add('b', r, false);
    if (i % 100_000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
  }
  peak = Math.max(peak, process.memoryUsage().heapUsed);
  ws.closeUpTo(Infinity, ctx);
  return (peak - before) / 2 ** 20;
}

async function withBroker<T>(fn: (brokers: string) => Promise<T>): Promise<T> {
  if (process.env.KAFKA_BROKERS) return fn(process.env.KAFKA_BROKERS);
  const { startInfra } = await import('../test/support/infra.ts');
  const infra = await startInfra();
  try {
    return await fn(infra.brokers);
  } finally {
    await infra.stop();
  }
}

await withBroker(async (brokers) => {
  const { kafka } = createKafkaClients(resolveConnection({ brokers, env: {} }), silentLogger());
  try {
    const a = `pitlane-bench-compare-a-${N}`;
    const b = `pitlane-bench-compare-b-${N}`;
    await ensureTopic(kafka, a);
    await ensureTopic(kafka, b);
    const plain = await plainRead(brokers, [a, b], kafka);
    console.log(`plain kafkajs read (limit): ${Math.round(plain).toLocaleString('en')} records/s`);
    const e2e = await endToEnd(kafka, a, b);
    console.log(`end to end compare:         ${Math.round(e2e.rate).toLocaleString('en')} records/s (${((e2e.rate / plain) * 100).toFixed(1)} % of the plain read; target ≥ 70 %), verdict ${e2e.verdict}, peak heap ${e2e.peakHeapMiB.toFixed(0)} MiB`);
    const mem = inMemory();
    console.log(`in memory (pre-decoded):    ${Math.round(mem).toLocaleString('en')} records/s`);
    const m1 = memoryAt(Math.min(1_000_000, MAX_KEYS));
    const m10 = memoryAt(MAX_KEYS);
    console.log(`peak heap growth, one window: ${m1.toFixed(0)} MiB at 1M distinct keys, ${m10.toFixed(0)} MiB at ${MAX_KEYS / 1e6}M distinct keys`);
    console.log(
      JSON.stringify({
        bench: 'compare',
        figures: { records: 2 * N, e2eRecordsPerSec: Math.round(e2e.rate), inMemoryRecordsPerSec: Math.round(mem), e2ePeakHeapMiB: Math.round(e2e.peakHeapMiB), heapMiBAt1MKeys: Math.round(m1), heapMiBAt10MKeys: Math.round(m10) },
        peer: { plainKafkajsReadRecordsPerSec: Math.round(plain) },
        ratio: { e2eVsPlainRead: Number((e2e.rate / plain).toFixed(3)), target: 0.7, heap10MVs1M: Number((m10 / m1).toFixed(2)) },
      }),
    );
  } finally {
    await kafka.close();
  }
});
