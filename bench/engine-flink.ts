/**
 * bench:engine (c): the same keyed count, Kafka → job → Kafka, EXACTLY-ONCE, on the
 * embedded engine and on Flink (a local session cluster this run starts and stops by
 * pid), beside a plain consume → produce pipe with Kafka's own Java client (the I/O
 * limit), all on one input topic in the same run.
 *
 * Each peer is timed from its start (the embedded job's recovery and startJob; the
 * Flink run request through the FlinkAdapter, deployment included; the pipe's first
 * poll) to the moment a read_committed reader has seen all N output records: records
 * counted, not offsets, since an exactly-once topic also holds transaction markers.
 * The embedded engine commits every CHECKPOINT_MS, Flink checkpoints (and so commits
 * its Kafka transactions) every CHECKPOINT_MS.
 */
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { defineJob, recoverCheckpoints, startJob, type RunningJob } from '../src/engine/index.ts';
import { createKafkaClients } from '../src/kafka/index.ts';
import type { KafkaPort } from '../src/kafka/port.ts';
import { resolveConnection } from '../src/config/connection.ts';
import { silentLogger } from '../src/logger.ts';
import { devDown } from '../src/dev/launcher.ts';
import { devUpFlink } from '../src/dev/flink-launcher.ts';
import { cacheRoot } from '../src/dev/paths.ts';
import { buildFlinkJobs, FLINK_ENTRY_CLASSES } from '../src/dev/flink-jobs-build.ts';
import { FlinkAdapter } from '../src/engines/flink/adapter.ts';
import { ensureJar } from '../src/engines/flink/jars.ts';
import { JAVA_TOOLS, runJavaTool, startCounter } from './engine-java.ts';
import { onInterrupt } from './broker.ts';
import { ownedTestDevDir } from '../test/support/infra.ts';

export const N_FLINK = Number(process.env.BENCH_FLINK_EVENTS ?? 100_000);
export const FLINK_PARTITIONS = 4;
export const FLINK_PARALLELISM = Number(process.env.BENCH_FLINK_PARALLELISM ?? 2);
export const EMBEDDED_PARALLELISM = 4;
export const CHECKPOINT_MS = 1000;
const KEYS = 100_000;
/** The longest any one peer may take. */
const RUN_TIMEOUT_MS = Number(process.env.BENCH_FLINK_TIMEOUT_MS ?? 1_800_000);

export interface PeerRun {
  readonly recordsPerSec: number;
  readonly secs: number;
  /** 1-minute load average when the run started. */
  readonly load1: number;
}

export interface FlinkPeerFigures {
  readonly events: number;
  readonly embedded: PeerRun;
  /** From the run request (upload done before) to all N committed; deployment included. */
  readonly flink: PeerRun & { readonly deploySecs: number; readonly recordsPerSecFromRunning: number };
  /** From the pipe's first poll to its flush; `wallSecs` from the JVM's start. */
  readonly javaPipe: PeerRun & { readonly wallSecs: number };
}

interface Ev {
  k: string;
  ts: number;
}

const load1 = () => +loadavg()[0]!.toFixed(2);
const run = (records: number, secs: number, load: number): PeerRun => ({ recordsPerSec: records / secs, secs: +secs.toFixed(2), load1: load });

async function committedSum(kafka: KafkaPort, topic: string): Promise<number> {
  return (await kafka.watermarks(topic)).reduce((s, m) => s + m.high, 0);
}

/** The embedded keyed count with exactly-once output, as a standalone job with checkpoints runs it. */
async function embeddedRun(kafka: KafkaPort, o: { input: string; output: string; dlq: string; suffix: string; toolsJar: string; brokers: string }): Promise<PeerRun> {
  const job = defineJob({
    name: 'bench-kafka-eo',
    version: '1',
    maxParallelism: 128,
    build: (env) =>
      env
        .fromKafka<Ev>({ uid: 'in', topics: o.input, timestamp: 'record' })
        .map((e) => ({ k: e.k, n: 1 }))
        .keyBy((e) => e.k)
        .reduce('count', (a, b) => ({ k: a.k, n: a.n + b.n }))
        .toKafka({ uid: 'out', topic: o.output, key: (c) => c.k }),
  });
  // In a dev dir this run owns (reaped by the next run if this one is killed), removed on SIGINT/SIGTERM.
  const owned = ownedTestDevDir();
  const forget = onInterrupt(async () => rmSync(owned, { recursive: true, force: true }));
  const dir = join(owned, 'checkpoints');
  const counter = await startCounter(o.toolsJar, o.brokers, o.output, N_FLINK);
  let running: RunningJob | undefined;
  try {
    const load = load1();
    const t0 = Date.now();
    const recovery = await recoverCheckpoints(kafka, { name: `bench-eo-${o.suffix}`, dir, intervalMs: CHECKPOINT_MS, retained: 2, delivery: 'exactly-once', anchorTopic: o.input }, silentLogger());
    running = await startJob(job, { kafka, logger: silentLogger() }, {
      parallelism: EMBEDDED_PARALLELISM,
      deadLetterTopic: o.dlq,
      output: recovery.output,
      commitHooks: recovery.hooks,
      checkpointIntervalMs: CHECKPOINT_MS,
    });
    // A job that fails (finished rejects) or ends before its output is all committed ends the wait.
    const live = running;
    const ended = running.finished.then(() => {
      throw new Error(`the embedded job ended (${live.status().state}) before ${N_FLINK} records were committed`);
    });
    ended.catch(() => undefined); // the race below observes it; the stop after it ends the job as planned
    const at = await Promise.race([counter.reachedAt(RUN_TIMEOUT_MS), ended]);
    await running.stop();
    const total = await counter.total();
    if (total !== N_FLINK) throw new Error(`the embedded engine committed ${total} records, expected ${N_FLINK}`);
    return run(N_FLINK, (at - t0) / 1000, load);
  } finally {
    counter.stop();
    if (running && ['starting', 'running'].includes(running.status().state)) await running.stop().catch(() => undefined);
    forget();
    rmSync(owned, { recursive: true, force: true });
  }
}

/** The Flink keyed count on a local cluster started for it, submitted through the FlinkAdapter. */
async function flinkRun(kafka: KafkaPort, o: { input: string; output: string; suffix: string; toolsJar: string; jobJar: string; brokers: string }, log: (line: string) => void): Promise<FlinkPeerFigures['flink']> {
  const devDir = ownedTestDevDir();
  // Registered before the start: a cluster interrupted while it starts is stopped by pid too.
  const forget = onInterrupt(() => devDown(devDir, { purge: true }));
  try {
    const t0 = Date.now();
    const cluster = await devUpFlink({ devDir, cacheDir: cacheRoot(), readyTimeoutMs: 180_000 });
    log(`    Flink cluster up in ${((Date.now() - t0) / 1000).toFixed(1)} s (pids ${cluster.map((s) => s.pid).join(', ')}, ${cluster[0]!.url})`);
    const adapter = new FlinkAdapter({ restUrl: cluster[0]!.url, stateDir: join(devDir, 'adapter'), bootstrapServers: o.brokers, kafka, logger: silentLogger() });
    await ensureJar(adapter.rest, o.jobJar); // the upload is not the job's work
    const counter = await startCounter(o.toolsJar, o.brokers, o.output, N_FLINK);
    const jobId = `bench-keyed-count-${o.suffix}`;
    try {
      const load = load1();
      const f0 = Date.now();
      await adapter.start({
        requestId: `bench-${o.suffix}`,
        jobId,
        job: o.jobJar,
        flink: { entryClass: FLINK_ENTRY_CLASSES.keyedCount.entryClass },
        parallelism: FLINK_PARALLELISM,
        inputs: [o.input],
        from: { input: 'earliest' },
        sinkTopic: o.output,
        identity: `bench-flink-${o.suffix}`,
        delivery: { mode: 'exactly-once', commitIntervalMs: CHECKPOINT_MS },
      });
      const f1 = Date.now();
      const at = await counter.reachedAt(RUN_TIMEOUT_MS);
      await adapter.cancel(jobId, { requestId: `bench-cancel-${o.suffix}` });
      const total = await counter.total();
      if (total !== N_FLINK) throw new Error(`Flink committed ${total} records, expected ${N_FLINK}`);
      return { ...run(N_FLINK, (at - f0) / 1000, load), deploySecs: +((f1 - f0) / 1000).toFixed(2), recordsPerSecFromRunning: N_FLINK / ((at - f1) / 1000) };
    } finally {
      counter.stop();
      await adapter.cancel(jobId, { requestId: `bench-cancel-final-${o.suffix}` }).catch(() => undefined);
    }
  } finally {
    forget();
    await devDown(devDir, { purge: true });
  }
}

export async function flinkPeerRuns(brokers: string, log: (line: string) => void): Promise<FlinkPeerFigures> {
  const jars = await buildFlinkJobs();
  if (jars.built) log(`    built the Flink jobs and tools (flink/, hash ${jars.hash}) in ${(jars.ms / 1000).toFixed(0)} s`);
  const toolsJar = jars.jars['kafka-pipe'];
  const jobJar = jars.jars['keyed-count'];
  const { kafka } = createKafkaClients(resolveConnection({ brokers, env: {} }), silentLogger());
  const suffix = Date.now().toString(36);
  const [input, outPipe, outEmbedded, outFlink, dlq] = ['in', 'out-pipe', 'out-embedded', 'out-flink', 'dlq'].map((n) => `bench-flink-${n}-${suffix}`) as [string, string, string, string, string];
  const topics = [input, outPipe, outEmbedded, outFlink, dlq];
  await kafka.createTopics(topics.map((topic) => ({ topic, partitions: FLINK_PARTITIONS })));
  try {
    await runJavaTool(toolsJar, JAVA_TOOLS.generate, { 'bootstrap-servers': brokers, topic: input, records: N_FLINK, keys: KEYS }, 'records', RUN_TIMEOUT_MS);
    if ((await committedSum(kafka, input)) !== N_FLINK) throw new Error('the input topic does not hold the records written');

    // The I/O limit: Kafka's Java client, consume → produce, nothing in between.
    const pipeLoad = load1();
    const p0 = Date.now();
    const piped = await runJavaTool(toolsJar, JAVA_TOOLS.pipe, { 'bootstrap-servers': brokers, input, output: outPipe, records: N_FLINK }, 'ms', RUN_TIMEOUT_MS);
    const pipeWall = (Date.now() - p0) / 1000;
    // Not transactional: no markers, so the end offsets count the records.
    if ((await committedSum(kafka, outPipe)) !== N_FLINK) throw new Error(`the Java pipe wrote ${await committedSum(kafka, outPipe)} records, expected ${N_FLINK}`);
    const javaPipe = { ...run(N_FLINK, Number(piped.ms) / 1000, pipeLoad), wallSecs: +pipeWall.toFixed(2) };
    log(`    Java pipe: ${Math.round(javaPipe.recordsPerSec)} rec/s (${javaPipe.secs} s; load ${pipeLoad})`);

    const embedded = await embeddedRun(kafka, { input, output: outEmbedded, dlq, suffix, toolsJar, brokers });
    log(`    embedded, exactly-once: ${Math.round(embedded.recordsPerSec)} rec/s (${embedded.secs} s; load ${embedded.load1})`);

    const flink = await flinkRun(kafka, { input, output: outFlink, suffix, toolsJar, jobJar, brokers }, log);
    log(`    Flink, exactly-once: ${Math.round(flink.recordsPerSec)} rec/s (${flink.secs} s, ${flink.deploySecs} s of it deploying; load ${flink.load1})`);
    return { events: N_FLINK, embedded, flink, javaPipe };
  } finally {
    await kafka.deleteTopics(topics).catch(() => undefined);
    await kafka.close();
  }
}
