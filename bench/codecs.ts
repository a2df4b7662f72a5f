/**
 * bench:codecs — what reading a compressed topic costs beside the same topic
 * uncompressed (issue 16: at most 1.3× the time). The same N JSON records (~75 bytes,
 * 100,000 keys, 3 partitions) are written by kcat (librdkafka, as production
 * producers batch them) once per codec: none, gzip, snappy, lz4, zstd. Each topic is
 * then read three ways, every codec once per round, rounds interleaved:
 *
 * - fetch: the comparator's read alone — pitlane's fetch reader (which inflates
 *   compressed batches, natively on libuv's threads), then every batch walked into
 *   its packed layout (unpackRecords), decoding no value. The strictest view: the
 *   inflate is most of what changes;
 * - compare: `pitlane compare`'s pipeline end to end (the topic against itself, the
 *   checks in a worker thread) — what a user waits for;
 * - direct: the engine's sources' read (`direct`: the same fetch reader, each record
 *   decoded into the port's record object, batch-records.ts);
 * - kafkajs: the port's kafkajs read (the store, the cutover), record objects included.
 *
 * Each figure is the median over the rounds of time(codec) / time(none) in the same
 * round. Needs kcat (`npm run setup`). Uses KAFKA_BROKERS when set, else starts the
 * local dev broker (and stops it). Topics are kept between runs
 * (pitlane-bench-codecs-CODEC-N) and reused when full.
 *   BENCH_CODECS_RECORDS (default 1000000), BENCH_CODECS_ROUNDS (default 3)
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { resolveConnection } from '../src/config/connection.ts';
import { createKafkaClients } from '../src/kafka/index.ts';
import type { KafkaPort } from '../src/kafka/port.ts';
import { unpackRecords } from '../src/kafka/record-batches.ts';
import { createComparison, resolveCompareConfig } from '../src/compare/index.ts';
import { silentLogger } from '../src/logger.ts';
import { withBroker } from './broker.ts';
import { storedBatches } from '../test/support/producers.ts';

const N = Number(process.env.BENCH_CODECS_RECORDS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_CODECS_ROUNDS ?? 3);
const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
type Codec = (typeof CODECS)[number];
const PARTITIONS = 3;
const KEYS = 100_000;
const BASE = Date.UTC(2024, 0, 1);
const CONFIG = { window: '10s', allowedLateness: 0, a: { eventTime: { field: 'ts' } }, b: { eventTime: { field: 'ts' } }, minimum: { windows: 3, records: 1000 } };
const PATHS = ['fetch', 'compare', 'direct', 'kafkajs'] as const;
type Path = (typeof PATHS)[number];

const SPAN = 1_000_000; // event time spread: 1000 s → 100 windows of 10 s, whatever N
const line = (i: number) => `user-${i % KEYS}|{"id":"user-${i % KEYS}","amount":${10 + (i % 997) / 10},"region":"${['eu', 'us', 'apac'][i % 3]}","ts":${BASE + Math.floor((i / N) * SPAN)}}`;

async function ensureTopic(kafka: KafkaPort, brokers: string, topic: string, codec: Codec): Promise<void> {
  if ((await kafka.listTopics()).includes(topic)) {
    const marks = await kafka.watermarks(topic);
    if (marks.reduce((s, m) => s + m.high - m.low, 0) === N) return;
    await kafka.deleteTopics([topic]);
  }
  // Event times are in 2024: without retention.ms=-1 time retention would delete the records.
  await kafka.createTopics([{ topic, partitions: PARTITIONS, config: { 'retention.ms': '-1' } }]);
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const kcat = spawn('kcat', ['-P', '-b', brokers, '-t', topic, '-z', codec, '-K', '|'], { stdio: ['pipe', 'ignore', 'inherit'] });
    kcat.on('error', reject);
    kcat.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`kcat exited ${code}`))));
    const chunk = 50_000;
    let i = 0;
    const write = () => {
      while (i < N) {
        const end = Math.min(N, i + chunk);
        const text = Array.from({ length: end - i }, (_, j) => line(i + j)).join('\n') + '\n';
        i = end;
        if (!kcat.stdin.write(text)) return void kcat.stdin.once('drain', write);
      }
      kcat.stdin.end();
    };
    write();
  });
  const bytes = await storedBytes(topic);
  console.log(`  wrote ${N} records to ${topic} with kcat -z ${codec} in ${((performance.now() - t0) / 1000).toFixed(1)} s (${(bytes / 2 ** 20).toFixed(1)} MiB of batches)`);
}

/** The size of a topic's record batches as stored (for the compression ratio). */
const storedBytes = async (topic: string): Promise<number> => (await storedBatches(topic, PARTITIONS)).bytes;

interface Timing {
  secs: number;
  cpuSeconds: number;
}

async function timed(fn: () => Promise<number>, expect: number, what: string): Promise<Timing> {
  globalThis.gc?.();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const seen = await fn();
  const secs = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  if (seen !== expect) throw new Error(`${what} saw ${seen} of ${expect}`);
  return { secs, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

const read: Record<Path, (kafka: KafkaPort, topic: string) => Promise<Timing>> = {
  fetch: (kafka, topic) =>
    timed(
      async () => {
        let n = 0;
        for await (const b of kafka.read({ topics: [topic], pack: { headers: [] } })) {
          const p = b.packed!;
          n += unpackRecords(Buffer.from(p.buffer, 0, p.size), p.from ?? 0, p.to ?? Infinity, [], p.count).count;
        }
        return n;
      },
      N,
      `fetch read of ${topic}`,
    ),
  compare: (kafka, topic) =>
    timed(
      async () => {
        const report = await createComparison({ a: { topic }, b: { topic }, config: resolveCompareConfig(CONFIG) }, { kafka, logger: silentLogger() }).run();
        if (report.verdict !== 'Successful') throw new Error(`comparing ${topic} with itself: ${report.verdict}`);
        return report.sides.a.records + report.sides.b.records;
      },
      2 * N,
      `comparison of ${topic}`,
    ),
  direct: (kafka, topic) =>
    timed(
      async () => {
        let n = 0;
        for await (const b of kafka.read({ topics: [topic], direct: true })) n += b.records.length;
        return n;
      },
      N,
      `direct read of ${topic}`,
    ),
  kafkajs: (kafka, topic) =>
    timed(
      async () => {
        let n = 0;
        for await (const b of kafka.read({ topics: [topic] })) n += b.records.length;
        return n;
      },
      N,
      `kafkajs read of ${topic}`,
    ),
};

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const r3 = (x: number) => Number(x.toFixed(3));

if (spawnSync('kcat', ['-V']).status !== 0) {
  console.error('bench:codecs writes its topics with kcat, which is not installed: run `npm run setup` (or `apt-get install -y kcat`).');
  process.exit(1);
}

await withBroker(async (brokers) => {
  const { kafka } = createKafkaClients(resolveConnection({ brokers, env: {} }), silentLogger());
  try {
    const topicOf = (codec: Codec) => `pitlane-bench-codecs-${codec}-${N}`;
    for (const codec of CODECS) await ensureTopic(kafka, brokers, topicOf(codec), codec);
    const sizes = Object.fromEntries(await Promise.all(CODECS.map(async (c) => [c, await storedBytes(topicOf(c))] as const))) as Record<Codec, number>;
    const load0 = loadavg()[0]!;
    // times[path][codec][round]
    const times = Object.fromEntries(PATHS.map((p) => [p, Object.fromEntries(CODECS.map((c) => [c, [] as Timing[]]))])) as Record<Path, Record<Codec, Timing[]>>;
    for (let round = 0; round < ROUNDS; round++) {
      for (const path of PATHS) {
        for (const codec of CODECS) {
          const t = await read[path](kafka, topicOf(codec));
          times[path][codec].push(t);
          console.log(`round ${round + 1} ${path.padEnd(7)} ${codec.padEnd(6)} ${t.secs.toFixed(2)} s, ${t.cpuSeconds.toFixed(2)} s CPU (${Math.round((path === 'compare' ? 2 * N : N) / t.secs).toLocaleString('en')} records/s)`);
        }
      }
    }
    const ratio = Object.fromEntries(
      PATHS.map((p) => [p, Object.fromEntries(CODECS.filter((c) => c !== 'none').map((c) => [c, r3(median(times[p][c].map((t, i) => t.secs / times[p].none[i]!.secs)))]))]),
    ) as Record<Path, Record<Exclude<Codec, 'none'>, number>>;
    const load1 = loadavg()[0]!;
    for (const p of PATHS) console.log(`time vs uncompressed, ${p}: ${Object.entries(ratio[p]).map(([c, r]) => `${c} ${r}`).join(', ')} (target ≤ 1.3)`);
    console.log(`load average ${load0.toFixed(1)} → ${load1.toFixed(1)} on ${cpus().length} cores`);
    console.log(
      JSON.stringify({
        bench: 'codecs',
        figures: {
          records: N,
          mibOfBatches: Object.fromEntries(CODECS.map((c) => [c, Number((sizes[c] / 2 ** 20).toFixed(1))])),
          secondsMedian: Object.fromEntries(PATHS.map((p) => [p, Object.fromEntries(CODECS.map((c) => [c, r3(median(times[p][c].map((t) => t.secs)))]))])),
          cpuSecondsMedian: Object.fromEntries(PATHS.map((p) => [p, Object.fromEntries(CODECS.map((c) => [c, r3(median(times[p][c].map((t) => t.cpuSeconds)))]))])),
          loadAverage: [Number(load0.toFixed(1)), Number(load1.toFixed(1))],
        },
        peer: { uncompressedSeconds: Object.fromEntries(PATHS.map((p) => [p, times[p].none.map((t) => r3(t.secs))])) },
        ratio: { ...ratio, target: 1.3 },
      }),
    );
  } finally {
    await kafka.close();
  }
});
