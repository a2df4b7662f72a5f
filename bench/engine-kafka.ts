/**
 * bench:engine (b): Kafka → keyed count → Kafka on the embedded engine, at-least-once
 * and exactly-once (a checkpoint and commit every EO_COMMIT_MS), beside the I/O limit
 * measured in the same run over the same input topic — a librdkafka consume → produce
 * pipe (`kcat -C … | kcat -P …`, Debian's kcat, idempotent producer) — and a plain
 * kafkajs consume → produce pipe.
 *
 * Each run is timed from its start to the moment its output is all in Kafka:
 * - the kcat pipe: until its producer exited (it flushes everything at the end of its input);
 * - at-least-once: until the output topic's high watermarks sum to N;
 * - exactly-once: until a commit point's afterCommit saw the sink's count reach N (commit
 *   points run under the job's lock, so every record counted before one is in the
 *   transaction it commits).
 * Afterwards (untimed) every output is checked to hold exactly N records (read_committed).
 * BENCH_KAFKA_EVENTS records (default 300,000), BENCH_KAFKA_ROUNDS rounds (default 3; the
 * figures are medians); the kafkajs pipe, at a twentieth of the others' speed, runs once.
 */
import '../src/kafka/kafkajs-grouping.ts'; // before kafkajs loads: the pipe peer gets the same linear grouping
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { defineJob, recoverCheckpoints, startJob, type RunningJob } from '../src/engine/index.ts';
import { checkpointGroupOf } from '../src/engine/checkpoint/coordinator.ts';
import type { KafkaPort } from '../src/kafka/port.ts';
import { silentLogger } from '../src/logger.ts';
import { sleep } from '../src/clock.ts';
import { onInterrupt } from './broker.ts';
import { ownedTestDevDir } from '../test/support/infra.ts';

export const N_KAFKA = Number(process.env.BENCH_KAFKA_EVENTS ?? 300_000);
export const KAFKA_ROUNDS = Number(process.env.BENCH_KAFKA_ROUNDS ?? 3);
export const PARTITIONS = 3;
export const EO_COMMIT_MS = 500;
const KEYS = 100_000;
const PARALLELISM = 4;
const keyNames = Array.from({ length: KEYS }, (_, i) => `key-${i}`);

interface Ev {
  k: string;
  ts: number;
}

export interface KafkaFigures {
  /** records/s, one entry per round */
  readonly kcatPipe: number[];
  readonly atLeastOnce: number[];
  readonly exactlyOnce: number[];
  readonly kafkajsPipe: number;
  /** 1-minute load average at the start of each round */
  readonly load1: number[];
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function waitUntil(probe: () => boolean | Promise<boolean>, what: string, timeoutMs = 600_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const highSum = async (kafka: KafkaPort, topic: string) => (await kafka.watermarks(topic)).reduce((s, m) => s + m.high, 0);

/** Records a read_committed reader sees in the topic (untimed check). */
async function committedCount(kafka: KafkaPort, topic: string): Promise<number> {
  let n = 0;
  for await (const b of kafka.read({ topics: [topic], from: 'earliest', to: 'end', isolation: 'read_committed', direct: true })) n += b.records.length;
  return n;
}

function countJob(input: string, output: string) {
  return defineJob({
    name: 'bench-kafka',
    version: '1',
    maxParallelism: 128,
    build: (env) =>
      env
        .fromKafka<Ev>({ uid: 'in', topics: input, timestamp: 'record' })
        .map((e) => ({ k: e.k, n: 1 }))
        .keyBy((e) => e.k)
        .reduce('count', (a, b) => ({ k: a.k, n: a.n + b.n }))
        .toKafka({ uid: 'out', topic: output, key: (c) => c.k }),
  });
}

/** librdkafka consume → produce: `kcat -C` (read_committed, to the end) piped into `kcat -P` (idempotent). */
async function kcatPipe(brokers: string, input: string, output: string): Promise<number> {
  const t0 = performance.now();
  const consume = spawn('kcat', ['-C', '-b', brokers, '-t', input, '-o', 'beginning', '-e', '-q', '-f', '%k\t%s\n', '-X', 'isolation.level=read_committed'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const produce = spawn('kcat', ['-P', '-b', brokers, '-t', output, '-K', '\t', '-X', 'enable.idempotence=true', '-X', 'linger.ms=5'], { stdio: ['pipe', 'ignore', 'inherit'] });
  consume.stdout.pipe(produce.stdin);
  const exited = (p: ReturnType<typeof spawn>, name: string) =>
    new Promise<void>((resolve, reject) => p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${name} exited ${code}`)))));
  await Promise.all([exited(consume, 'kcat -C'), exited(produce, 'kcat -P')]);
  return (performance.now() - t0) / 1000;
}

/** Plain kafkajs consume → produce, bytes passed through, one send per fetched batch. */
async function kafkajsPipe(kafka: KafkaPort, brokers: string, input: string, output: string, suffix: string): Promise<number> {
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
      await producer.send({ topic: output, acks: -1, messages: batch.messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers, timestamp: m.timestamp })) });
      piped += batch.messages.length;
    },
  });
  await waitUntil(() => piped >= N_KAFKA, 'the kafkajs pipe');
  const secs = (performance.now() - p0) / 1000;
  await consumer.disconnect();
  await producer.disconnect();
  await kafka.deleteGroups([`bench-pipe-${suffix}`]).catch(() => undefined);
  return secs;
}

async function atLeastOnce(kafka: KafkaPort, input: string, output: string, dlq: string): Promise<number> {
  const t0 = performance.now();
  const running = await startJob(countJob(input, output), { kafka, logger: silentLogger() }, { parallelism: PARALLELISM, deadLetterTopic: dlq });
  try {
    await waitUntil(async () => (await highSum(kafka, output)) >= N_KAFKA, 'the engine (at-least-once)');
    return (performance.now() - t0) / 1000;
  } finally {
    await running.stop();
  }
}

async function exactlyOnce(kafka: KafkaPort, input: string, output: string, dlq: string, name: string): Promise<number> {
  const owned = ownedTestDevDir();
  const forget = onInterrupt(async () => rmSync(owned, { recursive: true, force: true }));
  let running: RunningJob | undefined;
  let doneAt: number | undefined;
  try {
    const t0 = performance.now();
    const recovery = await recoverCheckpoints(kafka, { name, dir: join(owned, 'checkpoints'), intervalMs: EO_COMMIT_MS, retained: 2, delivery: 'exactly-once', anchorTopic: input }, silentLogger());
    const sinkOut = () => running?.status().operators.find((o) => o.kind === 'sink')?.recordsOut ?? 0;
    running = await startJob(countJob(input, output), { kafka, logger: silentLogger() }, {
      parallelism: PARALLELISM,
      deadLetterTopic: dlq,
      output: recovery.output,
      checkpointIntervalMs: EO_COMMIT_MS,
      commitHooks: {
        beforeCommit: (s, tx) => recovery.hooks.beforeCommit(s, tx),
        afterCommit: async (s) => {
          await recovery.hooks.afterCommit?.(s);
          if (doneAt === undefined && sinkOut() >= N_KAFKA) doneAt = performance.now();
        },
      },
    });
    const live = running;
    await waitUntil(() => {
      if (['failed', 'stopped', 'finished'].includes(live.status().state)) throw new Error(`the exactly-once job ended (${live.status().state}) before its output was committed`);
      return doneAt !== undefined;
    }, 'the engine (exactly-once)');
    return (doneAt! - t0) / 1000;
  } finally {
    await running?.stop().catch(() => undefined);
    await kafka.deleteGroups([checkpointGroupOf(name)]).catch(() => undefined);
    forget();
    rmSync(owned, { recursive: true, force: true });
  }
}

/** Writes the input once, then runs every path over it; `log` gets a line per run. */
export async function kafkaRuns(kafka: KafkaPort, brokers: string, log: (line: string) => void, o: { kafkajsPipe?: boolean } = {}): Promise<KafkaFigures> {
  const suffix = Date.now().toString(36);
  const input = `bench-engine-in-${suffix}`;
  const topics: string[] = [input];
  const fresh = async (what: string) => {
    const t = `bench-engine-${what}-${suffix}`;
    topics.push(t);
    await kafka.createTopics([{ topic: t, partitions: PARTITIONS }]);
    return t;
  };
  await kafka.createTopics([{ topic: input, partitions: PARTITIONS }]);
  const figures: KafkaFigures = { kcatPipe: [], atLeastOnce: [], exactlyOnce: [], kafkajsPipe: 0, load1: [] };
  try {
    for (let i = 0; i < N_KAFKA; i += 10_000) {
      await kafka.produce(input, Array.from({ length: Math.min(10_000, N_KAFKA - i) }, (_, j) => {
        const k = keyNames[((i + j) * 7919) % KEYS]!;
        return { key: k, value: JSON.stringify({ k, ts: i + j }), timestamp: 1_700_000_000_000 + i + j };
      }));
    }
    const rate = (secs: number) => N_KAFKA / secs;
    const check = async (topic: string, what: string) => {
      const n = await committedCount(kafka, topic);
      if (n !== N_KAFKA) throw new Error(`${what} wrote ${n} records, expected ${N_KAFKA}`);
    };
    for (let round = 1; round <= KAFKA_ROUNDS; round++) {
      figures.load1.push(+loadavg()[0]!.toFixed(2));
      const kOut = await fresh(`kcat-${round}`);
      figures.kcatPipe.push(rate(await kcatPipe(brokers, input, kOut)));
      await check(kOut, 'the kcat pipe');
      const aOut = await fresh(`alo-${round}`);
      figures.atLeastOnce.push(rate(await atLeastOnce(kafka, input, aOut, await fresh(`alo-dlq-${round}`))));
      await check(aOut, 'the engine at-least-once');
      const eOut = await fresh(`eo-${round}`);
      figures.exactlyOnce.push(rate(await exactlyOnce(kafka, input, eOut, await fresh(`eo-dlq-${round}`), `bench-eo-${suffix}-${round}`)));
      await check(eOut, 'the engine exactly-once');
      log(`    round ${round} (load ${figures.load1.at(-1)}): kcat pipe ${Math.round(figures.kcatPipe.at(-1)!)} | at-least-once ${Math.round(figures.atLeastOnce.at(-1)!)} | exactly-once ${Math.round(figures.exactlyOnce.at(-1)!)} rec/s`);
    }
    if (o.kafkajsPipe === false) return figures;
    const jOut = await fresh('kafkajs');
    (figures as { kafkajsPipe: number }).kafkajsPipe = rate(await kafkajsPipe(kafka, brokers, input, jOut, suffix));
    return figures;
  } finally {
    await kafka.deleteTopics(topics).catch(() => undefined);
  }
}
