/**
 * bench:compare — records compared per second, end to end (read + decode + window
 * + all six checks + judgment) over two topics of N records each, beside a plain
 * kafkajs read of the same two topics in the same run (the limit, measured before
 * and after each comparison; the figure is the median of BENCH_COMPARE_ROUNDS); the
 * same comparison on one thread; the in-memory rate over pre-decoded records; and
 * peak heap at 1M and 10M distinct keys.
 *
 * The default comparison uses two threads: the main thread reads Kafka (as the plain
 * read does) and a worker decodes and checks. The plain read uses one thread. CPU
 * seconds and the machine's load average are printed beside the rates.
 *
 * The I/O limit is a librdkafka read of both topics (kcat -C, counting), measured before
 * and after each comparison like the kafkajs read; compare / kcat is printed as well.
 * The read peers are in read-peers.ts.
 *
 * The comparison reads with pitlane's own fetch reader (src/kafka/fetch-reader.ts), not
 * kafkajs' consumer; a plain read through that reader, decoding nothing, is printed too,
 * as a stricter peer than the issue's plain kafkajs read.
 *
 * Uses KAFKA_BROKERS when set, else starts the local dev broker (and stops it).
 * Topics are kept between runs (pitlane-bench-compare-{a,b}-N) and reused when full.
 *   BENCH_COMPARE_RECORDS (default 1000000), BENCH_COMPARE_KEYS (default 10000000 for the memory run),
 *   BENCH_COMPARE_ROUNDS (default 3: comparisons, each between two plain reads)
 */
import '../src/kafka/kafkajs-grouping.ts'; // before kafkajs loads: the port's produce groups linearly
import { resolveConnection } from '../src/config/connection.ts';
import { createKafkaClients } from '../src/kafka/index.ts';
import type { KafkaPort, OutgoingRecord } from '../src/kafka/port.ts';
import { silentLogger } from '../src/logger.ts';
import { createComparison, resolveCompareConfig } from '../src/compare/index.ts';
import { WindowSet } from '../src/compare/windows.ts';
import { ValueDigester } from '../src/compare/keys/digest.ts';
import { LINEAGE_HEADERS } from '../src/lineage.ts';
import type { CompareRecord, Side, Window } from '../comparators/types.ts';
import { viewOf } from '../comparators/shared/fields.ts';
import { keyHash53 } from '../comparators/shared/hash.ts';
import { cpus, loadavg } from 'node:os';
import { withBroker } from './broker.ts';
import { kcatRead, plainFetchRead, plainRead } from './read-peers.ts';

const N = Number(process.env.BENCH_COMPARE_RECORDS ?? 1_000_000);
const MAX_KEYS = Number(process.env.BENCH_COMPARE_KEYS ?? 10_000_000);
const ROUNDS = Number(process.env.BENCH_COMPARE_ROUNDS ?? 3);
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
  // Event times are in 2024: without retention.ms=-1 the broker's time retention would
  // delete the records soon after they are written.
  await kafka.createTopics([{ topic, partitions: PARTITIONS, config: { 'retention.ms': '-1' } }]);
  const t0 = performance.now();
  const batch = 10_000;
  for (let i = 0; i < N; i += batch) {
    const records: OutgoingRecord[] = [];
    for (let j = i; j < Math.min(N, i + batch); j++) {
      const et = eventTimeOf(j);
      records.push({ key: `user-${j % KEYS}`, value: JSON.stringify(valueOf(j)), timestamp: et + 100, headers: { [LINEAGE_HEADERS.eventTime]: String(et) } });
    }
    await kafka.produce(topic, records);
  }
  console.log(`  wrote ${N} records to ${topic} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

interface E2E {
  rate: number;
  verdict: string;
  peakHeapMiB: number;
  peakRssMiB: number;
  cpuSeconds: number;
}

/**
 * The comparison end to end over the two topics. `worker: undefined` is the default
 * (a bounded comparison this size decodes and checks in a worker thread while the
 * main thread reads); `worker: false` keeps everything on one thread.
 */
async function endToEnd(kafka: KafkaPort, a: string, b: string, worker: boolean | undefined): Promise<E2E> {
  globalThis.gc?.();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let peak = 0;
  let peakRss = 0;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    peak = Math.max(peak, m.heapUsed);
    peakRss = Math.max(peakRss, m.rss);
  }, 100);
  const report = await createComparison({ a: { topic: a }, b: { topic: b }, config: resolveCompareConfig(CONFIG) }, { kafka, logger: silentLogger(), worker }).run();
  clearInterval(timer);
  const secs = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const total = report.sides.a.records + report.sides.b.records;
  if (total !== 2 * N) throw new Error(`comparison saw ${total} of ${2 * N}`);
  return { rate: total / secs, verdict: report.verdict, peakHeapMiB: peak / 2 ** 20, peakRssMiB: peakRss / 2 ** 20, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

/** A record as the decoder hands it over: value parsed, fields flattened, key hashed. */
const decoded = (key: string, value: unknown, eventTime: number, timestamp: number): CompareRecord => ({ key, value, eventTime, timestamp, lineage: undefined, schemaId: undefined, fields: viewOf(value), keyHash: keyHash53(key) });
const rec = (i: number, key: string): CompareRecord => decoded(key, valueOf(i), eventTimeOf(i), eventTimeOf(i) + 100);
const ctx = (window: Window, late: Record<Side, number>) => ({ window, a: { watermark: 0, lateRecords: late.a, schemaFields: undefined }, b: { watermark: 0, lateRecords: late.b, schemaFields: undefined }, compatibility: undefined });

/** All six checks (and the key-range checksums) over pre-decoded records, no Kafka: the comparator's own ceiling. */
function inMemory(keys = true): number {
  const records = Array.from({ length: N }, (_, i) => rec(i, `user-${i % KEYS}`));
  // With the key-range checksums of the diverging-keys search, as the comparison keeps them (keys = false: without, the peer).
  const ws = new WindowSet(10_000, 0, resolveCompareConfig(CONFIG).checks, keys ? new ValueDigester() : undefined);
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
  const ws = new WindowSet(Number.MAX_SAFE_INTEGER / 4, 0, resolveCompareConfig(CONFIG).checks, new ValueDigester());
  for (let i = 0; i < keys; i++) {
    const r = decoded(`k-${i}`, { amount: i % 1000, region: 'eu' }, 1, 2);
    ws.add('a', r, false);
    ws.add('b', r, false);
    if (i % 100_000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
  }
  peak = Math.max(peak, process.memoryUsage().heapUsed);
  ws.closeUpTo(Infinity, ctx);
  return (peak - before) / 2 ** 20;
}

await withBroker(async (brokers) => {
  const { kafka } = createKafkaClients(resolveConnection({ brokers, env: {} }), silentLogger());
  try {
    const a = `pitlane-bench-compare-a-${N}`;
    const b = `pitlane-bench-compare-b-${N}`;
    await ensureTopic(kafka, a);
    await ensureTopic(kafka, b);
    const load0 = loadavg()[0]!;
    // Interleaved: plain, comparison, plain, comparison, …, plain. Each comparison is set
    // against the mean of the plain reads just before and after it, so a change of the
    // machine's load during the run weighs on both; the figure is the median of ROUNDS.
    const fmt = (r: number) => Math.round(r).toLocaleString('en');
    const kcats = [await kcatRead(brokers, [a, b], 2 * N)];
    console.log(`kcat read of both topics (librdkafka, the I/O limit): ${fmt(kcats[0]!.rate)} records/s`);
    const plains = [await plainRead(brokers, [a, b], kafka, 2 * N)];
    const runs: { e2e: E2E; ratio: number; kcatRatio: number; load: number }[] = [];
    console.log(`plain kafkajs read (limit): ${fmt(plains[0]!.rate)} records/s, ${plains[0]!.cpuSeconds.toFixed(1)} s CPU`);
    for (let i = 0; i < ROUNDS; i++) {
      const e2e = await endToEnd(kafka, a, b, undefined);
      const nextKcat = await kcatRead(brokers, [a, b], 2 * N);
      kcats.push(nextKcat);
      const next = await plainRead(brokers, [a, b], kafka, 2 * N);
      plains.push(next);
      const ratio = e2e.rate / ((plains[i]!.rate + next.rate) / 2);
      const kcatRatio = e2e.rate / ((kcats[i]!.rate + nextKcat.rate) / 2);
      runs.push({ e2e, ratio, kcatRatio, load: loadavg()[0]! });
      console.log(`kcat read (I/O limit):      ${fmt(nextKcat.rate)} records/s → compare / kcat ${kcatRatio.toFixed(3)}`);
      console.log(`end to end compare:         ${fmt(e2e.rate)} records/s, ${e2e.cpuSeconds.toFixed(1)} s CPU (read thread + check worker), verdict ${e2e.verdict}, peak heap ${e2e.peakHeapMiB.toFixed(0)} MiB (read thread), peak RSS ${e2e.peakRssMiB.toFixed(0)} MiB`);
      console.log(`plain kafkajs read (limit): ${fmt(next.rate)} records/s, ${next.cpuSeconds.toFixed(1)} s CPU  → ratio ${ratio.toFixed(3)}, load average ${loadavg()[0]!.toFixed(1)}`);
    }
    const single = await endToEnd(kafka, a, b, false);
    const after = await plainRead(brokers, [a, b], kafka, 2 * N);
    const singleRatio = single.rate / ((plains[plains.length - 1]!.rate + after.rate) / 2);
    console.log(`end to end, one thread:     ${fmt(single.rate)} records/s, ${single.cpuSeconds.toFixed(1)} s CPU, verdict ${single.verdict}, peak heap ${single.peakHeapMiB.toFixed(0)} MiB  → ratio ${singleRatio.toFixed(3)} (plain after: ${fmt(after.rate)})`);
    const fetchPeer = await plainFetchRead(kafka, [a, b], 2 * N);
    console.log(`plain fetch read (pitlane's reader, nothing decoded): ${fmt(fetchPeer.rate)} records/s, ${fetchPeer.cpuSeconds.toFixed(1)} s CPU`);
    const kcatRatios = runs.map((r) => r.kcatRatio).sort((x, y) => x - y);
    const kcatMedian = kcatRatios[kcatRatios.length >> 1]!;
    console.log(`compare / kcat read (median of ${ROUNDS}) ${kcatMedian.toFixed(3)} (target ≥ 0.70): ${runs.map((r) => r.kcatRatio.toFixed(3)).join(', ')}; kcat reads ${kcats.map((k) => fmt(k.rate)).join(', ')} records/s`);
    const byRatio = [...runs].sort((x, y) => x.ratio - y.ratio);
    const median = byRatio[byRatio.length >> 1]!;
    const e2e = median.e2e;
    const plain = e2e.rate / median.ratio;
    const load1 = loadavg()[0]!;
    const cpuPlain = plains.reduce((sum, x) => sum + x.cpuSeconds, 0) / plains.length;
    console.log(`ratio (median of ${ROUNDS}) ${median.ratio.toFixed(3)} (target ≥ 0.70): ${runs.map((r) => r.ratio.toFixed(3)).join(', ')}; one thread ${singleRatio.toFixed(3)}; CPU seconds plain ${cpuPlain.toFixed(1)} vs compare ${e2e.cpuSeconds.toFixed(1)}; load average ${load0.toFixed(1)} → ${load1.toFixed(1)} on ${cpus().length} cores`);
    // Interleaved, with and without the key-range checksums: what they cost, on the same load.
    const memRuns: number[] = [];
    const memPeer: number[] = [];
    for (let i = 0; i < 3; i++) {
      memPeer.push(inMemory(false));
      memRuns.push(inMemory(true));
    }
    const middle = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;
    const mem = middle(memRuns);
    const memWithoutKeys = middle(memPeer);
    console.log(`in memory without the key-range checksums (peer): ${Math.round(memWithoutKeys).toLocaleString('en')} records/s; with: ${memRuns.map((r) => Math.round(r).toLocaleString('en')).join(' / ')}`);
    console.log(`in memory (pre-decoded):    ${Math.round(mem).toLocaleString('en')} records/s`);
    const m1 = memoryAt(Math.min(1_000_000, MAX_KEYS));
    const m10 = memoryAt(MAX_KEYS);
    console.log(`peak heap growth, one window: ${m1.toFixed(0)} MiB at 1M distinct keys, ${m10.toFixed(0)} MiB at ${MAX_KEYS / 1e6}M distinct keys`);
    console.log(
      JSON.stringify({
        bench: 'compare',
        figures: {
          records: 2 * N,
          e2eRecordsPerSec: Math.round(e2e.rate),
          e2eThreads: 2,
          e2eCpuSeconds: Number(e2e.cpuSeconds.toFixed(1)),
          e2eRuns: runs.map((r) => Math.round(r.e2e.rate)),
          e2eOneThreadRecordsPerSec: Math.round(single.rate),
          e2eOneThreadCpuSeconds: Number(single.cpuSeconds.toFixed(1)),
          inMemoryRecordsPerSec: Math.round(mem),
          inMemoryWithoutKeyChecksumsRecordsPerSec: Math.round(memWithoutKeys),
          e2ePeakHeapMiB: Math.round(e2e.peakHeapMiB),
          e2ePeakRssMiB: Math.round(e2e.peakRssMiB),
          heapMiBAt1MKeys: Math.round(m1),
          heapMiBAt10MKeys: Math.round(m10),
          loadAverage: [Number(load0.toFixed(1)), Number(load1.toFixed(1))],
        },
        peer: { kcatReadRecordsPerSec: kcats.map((k) => Math.round(k.rate)), plainKafkajsReadRecordsPerSec: Math.round(plain), runs: [...plains, after].map((x) => Math.round(x.rate)), plainCpuSeconds: Number(cpuPlain.toFixed(1)), plainFetchReadRecordsPerSec: Math.round(fetchPeer.rate), plainFetchReadCpuSeconds: Number(fetchPeer.cpuSeconds.toFixed(1)) },
        ratio: {
          e2eVsKcatRead: Number(kcatMedian.toFixed(3)),
          e2eVsKcatReadRuns: runs.map((r) => Number(r.kcatRatio.toFixed(3))),
          e2eVsPlainRead: Number(median.ratio.toFixed(3)),
          e2eRuns: runs.map((r) => Number(r.ratio.toFixed(3))),
          e2eOneThreadVsPlainRead: Number(singleRatio.toFixed(3)),
          e2eVsPlainFetchRead: Number((e2e.rate / fetchPeer.rate).toFixed(3)),
          cpuPlainVsE2e: Number((cpuPlain / e2e.cpuSeconds).toFixed(3)),
          target: 0.7,
          heap10MVs1M: Number((m10 / m1).toFixed(2)),
        },
      }),
    );
  } finally {
    await kafka.close();
  }
});
