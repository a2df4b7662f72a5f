/**
 * npm run bench:engine — a keyed count over 100,000 keys.
 *  (a) in-process source and sink, no Kafka: events/s on one core, beside the target
 *      (1,000,000/s) and beside a bare Map-count loop over the same events (the ceiling).
 *  (b) Kafka → engine → Kafka, at-least-once and exactly-once (commit every 500 ms), beside
 *      the I/O limit — a librdkafka pipe, `kcat -C | kcat -P` (idempotent) — and a plain
 *      kafkajs consume→produce pipe, over the same input topic in the same run, median of
 *      BENCH_KAFKA_ROUNDS (engine-kafka.ts; targets: at-least-once ≥ 0.7×, exactly-once ≥ 0.6× the kcat pipe).
 *  (c) Kafka → keyed count → Kafka, EXACTLY-ONCE, on the embedded engine and on Flink (a
 *      local cluster started for the run), beside a consume→produce pipe with Kafka's own
 *      Java client (the I/O limit), on one input topic (engine-flink.ts). BENCH_FLINK_EVENTS
 *      records (default 100,000; docs/benchmarks.md says why not 1,000,000); 0 skips it.
 * Uses KAFKA_BROKERS when set, else starts the local dev broker (and stops it). Everything
 * the run starts is stopped by pid, also on SIGINT/SIGTERM (`onInterrupt` in broker.ts).
 * Last line: {"bench":"engine","figures":{...},"peer":{...},"ratio":{...}}.
 */
import '../src/kafka/kafkajs-grouping.ts'; // before kafkajs loads (engine-kafka.ts)
import { defineJob, startJob } from '../src/engine/index.ts';
import { createKafkaClients } from '../src/kafka/index.ts';
import { resolveConnection } from '../src/config/connection.ts';
import { silentLogger } from '../src/logger.ts';
import { withBroker } from './broker.ts';
import { cpus, loadavg } from 'node:os';
import { EO_COMMIT_MS, KAFKA_ROUNDS, N_KAFKA, PARTITIONS, kafkaRuns, median } from './engine-kafka.ts';
import { CHECKPOINT_MS, EMBEDDED_PARALLELISM, FLINK_PARALLELISM, FLINK_PARTITIONS, N_FLINK, flinkPeerRuns, type FlinkPeerFigures } from './engine-flink.ts';

const KEYS = 100_000;
const N_MEM = Number(process.env.BENCH_EVENTS ?? 3_000_000);

interface Ev {
  k: string;
  ts: number;
}

const keyNames = Array.from({ length: KEYS }, (_, i) => `key-${i}`);
const events: Ev[] = Array.from({ length: N_MEM }, (_, i) => ({ k: keyNames[(i * 7919) % KEYS]!, ts: i }));

function bareLoop(): number {
  const t0 = performance.now();
  const counts = new Map<string, number>();
  let out = 0;
  for (const e of events) {
    const c = (counts.get(e.k) ?? 0) + 1;
    counts.set(e.k, c);
    out += c > 0 ? 1 : 0;
  }
  if (out !== N_MEM) throw new Error('bare loop miscounted');
  return N_MEM / ((performance.now() - t0) / 1000);
}

async function inProcess(): Promise<number> {
  let seen = 0;
  const job = defineJob({
    name: 'bench-count',
    version: '1',
    maxParallelism: 128,
    build: (env) =>
      env
        .fromItems({ uid: 'in', items: events, timestamp: (e) => e.ts, batchSize: 10_000 })
        .map((e) => ({ k: e.k, n: 1 }))
        .keyBy((e) => e.k)
        .reduce('count', (a, b) => ({ k: a.k, n: a.n + b.n }))
        .toCallback({ uid: 'out', fn: () => void seen++ }),
  });
  const t0 = performance.now();
  const running = await startJob(job, { logger: silentLogger() }, { parallelism: 4 });
  await running.finished;
  const secs = (performance.now() - t0) / 1000;
  const keys = running.status().operators.find((o) => o.kind === 'reduce')!.keysInState;
  if (seen !== N_MEM || keys !== KEYS) throw new Error(`engine miscounted: ${seen} out, ${keys} keys`);
  return N_MEM / secs;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const TARGET_MEM = 1_000_000;

bareLoop(); // warm-up
const bare = bareLoop();
await inProcess(); // warm-up (JIT)
const mem = await inProcess();
console.log(`(a) in-process keyed count, ${fmt(N_MEM)} events, ${fmt(KEYS)} keys: engine ${fmt(mem)} ev/s | target ${fmt(TARGET_MEM)} ev/s (${(mem / TARGET_MEM).toFixed(2)}×) | bare Map loop ${fmt(bare)} ev/s`);
const { k, f } = await withBroker(
  async (brokers) => {
    const { kafka } = createKafkaClients(resolveConnection({ brokers, env: {} }), silentLogger());
    console.log(`(b) Kafka → keyed count → Kafka, ${fmt(N_KAFKA)} records, ${PARTITIONS} partitions, ${KAFKA_ROUNDS} rounds (load average at start ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores):`);
    const runs = await kafkaRuns(kafka, brokers, (line) => console.log(line)).finally(() => kafka.close());
    const b = { kcat: median(runs.kcatPipe), alo: median(runs.atLeastOnce), eo: median(runs.exactlyOnce), pipe: runs.kafkajsPipe, runs };
    console.log(`(b) medians: engine at-least-once ${fmt(b.alo)} rec/s (${(b.alo / b.kcat).toFixed(2)}× the kcat pipe, target ≥ 0.7×) | exactly-once, commit every ${EO_COMMIT_MS} ms ${fmt(b.eo)} rec/s (${(b.eo / b.kcat).toFixed(2)}×, target ≥ 0.6×) | kcat pipe ${fmt(b.kcat)} rec/s | kafkajs pipe ${fmt(b.pipe)} rec/s (once)`);
    if (N_FLINK <= 0) return { k: b, f: undefined };
    console.log(`(c) Kafka → keyed count → Kafka, exactly-once, ${fmt(N_FLINK)} records, ${FLINK_PARTITIONS} partitions, commit/checkpoint every ${CHECKPOINT_MS} ms:`);
    return { k: b, f: await flinkPeerRuns(brokers, (line) => console.log(line)) };
  },
  { registry: false },
);
if (f) printFlinkPeers(f);

function printFlinkPeers(c: FlinkPeerFigures): void {
  const pct = (a: number, b: number) => `${((a / b) * 100).toFixed(0)}%`;
  const [e, fl, j] = [c.embedded.recordsPerSec, c.flink.recordsPerSec, c.javaPipe.recordsPerSec];
  console.log(`(c) embedded engine (parallelism ${EMBEDDED_PARALLELISM}, one Node thread) ${fmt(e)} rec/s | Flink (parallelism ${FLINK_PARALLELISM}) ${fmt(fl)} rec/s (${fmt(c.flink.recordsPerSecFromRunning)} rec/s once running) | Java pipe ${fmt(j)} rec/s`);
  console.log(`(c) embedded / Flink ${(e / fl).toFixed(2)}× | embedded / Java pipe ${pct(e, j)} | Flink / Java pipe ${pct(fl, j)}`);
}

const r = (n: number) => Math.round(n);
const x3 = (n: number) => +n.toFixed(3);
console.log(
  JSON.stringify({
    bench: 'engine',
    figures: {
      inProcessEventsPerSec: r(mem),
      kafkaEngineRecordsPerSec: r(k.alo),
      kafkaEngineExactlyOnceRecordsPerSec: r(k.eo),
      kafkaRuns: { atLeastOnce: k.runs.atLeastOnce.map(r), exactlyOnce: k.runs.exactlyOnce.map(r), kcatPipe: k.runs.kcatPipe.map(r), load1: k.runs.load1 },
      ...(f ? { exactlyOnceEvents: f.events, exactlyOnceEmbeddedRecordsPerSec: r(f.embedded.recordsPerSec), exactlyOnceEmbeddedSecs: f.embedded.secs } : {}),
    },
    peer: {
      inProcessTarget: TARGET_MEM,
      bareMapLoopEventsPerSec: r(bare),
      kcatPipeRecordsPerSec: r(k.kcat),
      kafkajsPipeRecordsPerSec: r(k.pipe),
      ...(f
        ? {
            exactlyOnceFlinkRecordsPerSec: r(f.flink.recordsPerSec),
            exactlyOnceFlinkSecs: f.flink.secs,
            exactlyOnceFlinkDeploySecs: f.flink.deploySecs,
            exactlyOnceFlinkRecordsPerSecFromRunning: r(f.flink.recordsPerSecFromRunning),
            flinkParallelism: FLINK_PARALLELISM,
            javaPipeRecordsPerSec: r(f.javaPipe.recordsPerSec),
            javaPipeSecs: f.javaPipe.secs,
            javaPipeWallSecs: f.javaPipe.wallSecs,
          }
        : {}),
    },
    ratio: {
      inProcessVsTarget: x3(mem / TARGET_MEM),
      inProcessVsBareLoop: x3(mem / bare),
      kafkaEngineVsKcatPipe: x3(k.alo / k.kcat),
      kafkaEngineExactlyOnceVsKcatPipe: x3(k.eo / k.kcat),
      kafkaEngineVsKafkajsPipe: x3(k.alo / k.pipe),
      ...(f
        ? {
            exactlyOnceEmbeddedVsFlink: x3(f.embedded.recordsPerSec / f.flink.recordsPerSec),
            exactlyOnceEmbeddedVsJavaPipe: x3(f.embedded.recordsPerSec / f.javaPipe.recordsPerSec),
            exactlyOnceFlinkVsJavaPipe: x3(f.flink.recordsPerSec / f.javaPipe.recordsPerSec),
          }
        : {}),
    },
    ...(f ? { load1: { javaPipe: f.javaPipe.load1, embedded: f.embedded.load1, flink: f.flink.load1 } } : {}),
  }),
);
