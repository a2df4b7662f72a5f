/**
 * npm run bench:engine — a keyed count over 100,000 keys.
 *  (a) in-process source and sink, no Kafka: events/s on one core, beside the target
 *      (1,000,000/s) and beside a bare Map-count loop over the same events (the ceiling).
 *  (b) Kafka → engine → Kafka, beside a plain kafkajs consume→produce pipe over the same
 *      input topic, measured in the same run (target: engine ≥ 80% of the pipe).
 *  (c) Kafka → keyed count → Kafka, EXACTLY-ONCE, on the embedded engine and on Flink (a
 *      local cluster started for the run), beside a consume→produce pipe with Kafka's own
 *      Java client (the I/O limit), on one input topic (engine-flink.ts). BENCH_FLINK_EVENTS
 *      records (default 100,000; docs/benchmarks.md says why not 1,000,000); 0 skips it.
 * Uses KAFKA_BROKERS when set, else starts the local dev broker (and stops it). Everything
 * the run starts is stopped by pid, also on SIGINT/SIGTERM (`onInterrupt` in broker.ts).
 * Last line: {"bench":"engine","figures":{...},"peer":{...},"ratio":{...}}.
 */
import { Kafka, logLevel } from 'kafkajs';
import { defineJob, startJob } from '../src/engine/index.ts';
import { createKafkaClients } from '../src/kafka/index.ts';
import { resolveConnection } from '../src/config/connection.ts';
import { silentLogger } from '../src/logger.ts';
import { withBroker } from './broker.ts';
import { sleep } from '../src/clock.ts';
import { CHECKPOINT_MS, EMBEDDED_PARALLELISM, FLINK_PARALLELISM, FLINK_PARTITIONS, N_FLINK, flinkPeerRuns, type FlinkPeerFigures } from './engine-flink.ts';

const KEYS = 100_000;
const N_MEM = Number(process.env.BENCH_EVENTS ?? 3_000_000);
const N_KAFKA = Number(process.env.BENCH_KAFKA_EVENTS ?? 100_000);
const PARTITIONS = 3;

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

async function waitUntil(probe: () => boolean | Promise<boolean>, what: string, timeoutMs = 300_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function kafkaRuns(brokers: string) {
  const { kafka } = createKafkaClients(resolveConnection({ brokers, env: {} }), silentLogger());
  const suffix = Date.now().toString(36);
  const [input, outEngine, outPipe, dlq] = ['in', 'out-engine', 'out-pipe', 'dlq'].map((n) => `bench-engine-${n}-${suffix}`) as [string, string, string, string];
  await kafka.createTopics([input, outEngine, outPipe, dlq].map((topic) => ({ topic, partitions: PARTITIONS })));
  try {
    for (let i = 0; i < N_KAFKA; i += 10_000) {
      await kafka.produce(input, Array.from({ length: Math.min(10_000, N_KAFKA - i) }, (_, j) => {
        const k = keyNames[((i + j) * 7919) % KEYS]!;
        return { key: k, value: JSON.stringify({ k, ts: i + j }), timestamp: 1_700_000_000_000 + i + j };
      }));
    }

    // Peer: plain kafkajs consume → produce, bytes passed through, one send per fetched batch.
    const kjs = new Kafka({ clientId: 'bench-pipe', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
    const consumer = kjs.consumer({ groupId: `bench-pipe-${suffix}`, maxWaitTimeInMs: 250 });
    const producer = kjs.producer({ idempotent: true, maxInFlightRequests: 1 });
    await Promise.all([consumer.connect(), producer.connect()]);
    await consumer.subscribe({ topics: [input], fromBeginning: true });
    let piped = 0;
    const p0 = performance.now();
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        await producer.send({ topic: outPipe, acks: -1, messages: batch.messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers, timestamp: m.timestamp })) });
        piped += batch.messages.length;
      },
    });
    await waitUntil(() => piped >= N_KAFKA, 'the pipe');
    const pipeSecs = (performance.now() - p0) / 1000;
    await consumer.disconnect();
    await producer.disconnect();
    await kafka.deleteGroups([`bench-pipe-${suffix}`]).catch(() => undefined);

    // The engine: decode JSON, keyed count with state, encode JSON, lineage headers.
    const job = defineJob({
      name: 'bench-kafka',
      version: '1',
      maxParallelism: 128,
      build: (env) =>
        env
          .fromKafka<Ev>({ uid: 'in', topics: input, timestamp: 'record' })
          .map((e) => ({ k: e.k, n: 1 }))
          .keyBy((e) => e.k)
          .reduce('count', (a, b) => ({ k: a.k, n: a.n + b.n }))
          .toKafka({ uid: 'out', topic: outEngine, key: (c) => c.k }),
    });
    const e0 = performance.now();
    const running = await startJob(job, { kafka, logger: silentLogger() }, { parallelism: 4, deadLetterTopic: dlq });
    const sink = () => running.status().operators.find((o) => o.kind === 'sink')!;
    await waitUntil(() => sink().recordsOut >= N_KAFKA, 'the engine');
    const engineSecs = (performance.now() - e0) / 1000;
    await running.stop();
    const written = (await kafka.watermarks(outEngine)).reduce((s, m) => s + m.high, 0);
    if (written !== N_KAFKA) throw new Error(`engine wrote ${written}, expected ${N_KAFKA}`);
    return { engine: N_KAFKA / engineSecs, pipe: N_KAFKA / pipeSecs };
  } finally {
    await kafka.deleteTopics([input, outEngine, outPipe, dlq]).catch(() => undefined);
    await kafka.close();
  }
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
    const b = await kafkaRuns(brokers);
    console.log(`(b) Kafka → keyed count → Kafka, ${fmt(N_KAFKA)} records, ${PARTITIONS} partitions: engine ${fmt(b.engine)} rec/s | plain kafkajs pipe ${fmt(b.pipe)} rec/s (${((b.engine / b.pipe) * 100).toFixed(0)}%, target ≥ 80%)`);
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
      kafkaEngineRecordsPerSec: r(k.engine),
      ...(f ? { exactlyOnceEvents: f.events, exactlyOnceEmbeddedRecordsPerSec: r(f.embedded.recordsPerSec), exactlyOnceEmbeddedSecs: f.embedded.secs } : {}),
    },
    peer: {
      inProcessTarget: TARGET_MEM,
      bareMapLoopEventsPerSec: r(bare),
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
      kafkaEngineVsPipe: x3(k.engine / k.pipe),
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
