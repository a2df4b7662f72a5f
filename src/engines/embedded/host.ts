/**
 * The job host: one process per job the orchestrator manages. It runs the job on
 * the embedded engine (`startJob`, unchanged) over a gated Kafka client
 * (gated-kafka.ts) and answers the adapter through the local control channel
 * (src/server). Jobs live in their own processes so that a crash — or `kill -9` —
 * of the orchestrator never takes the jobs down: a restarted orchestrator finds
 * them by name and continues.
 *
 * Controls: status, metrics, watermark, savepoint (job keeps running), hold (stop
 * taking input right where it is), runUntil (take input up to given offsets, then
 * hold), switchSink (move the sink to another topic, then release the hold),
 * resume, stop (optionally with a final savepoint; then the process exits).
 */
import { existsSync } from 'node:fs';
import { PromotionError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import type { KafkaPort, TopicPartitionOffset } from '../../kafka/port.ts';
import type { SchemaRegistryPort } from '../../kafka/registry.ts';
import { buildJob, startJob, type JobDefinition, type RunningJob } from '../../engine/index.ts';
import type { JobSnapshot } from '../../engine/snapshot/model.ts';
import { readSavepoint, readSavepointMetadata, writeSavepoint } from '../../engine/savepoint/index.ts';
import { startControlServer, type ControlServer } from '../../server/control-server.ts';
import { gatedKafka, InputGate, type OutputTimes } from './gated-kafka.ts';
import type { HostConfig, HostStatus, HostMetrics } from './protocol.ts';
import type { SavepointResult } from '../adapter.ts';

export interface HostDeps {
  readonly kafka: KafkaPort;
  readonly registry?: SchemaRegistryPort | undefined;
  readonly logger: Logger;
  readonly loadJob: (file: string) => Promise<JobDefinition>;
  readonly now?: () => number;
}

export interface Host {
  readonly finished: Promise<void>;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The snapshot a job starts from: a savepoint, or empty state at a position of the input. */
async function startSnapshot(config: HostConfig, def: JobDefinition, kafka: KafkaPort, now: number): Promise<JobSnapshot | undefined> {
  const from = config.from;
  if ('savepoint' in from) return readSavepoint(from.savepoint);
  if (from.input === 'earliest') return undefined; // the engine's own default
  const sourceOffsets: TopicPartitionOffset[] = [];
  for (const topic of config.inputs) {
    if (from.input === 'latest') for (const w of await kafka.watermarks(topic)) sourceOffsets.push({ topic, partition: w.partition, offset: w.high });
    else sourceOffsets.push(...(await kafka.offsetsForTimestamp(topic, from.input.timestamp)));
  }
  // No operator state: only the positions. Restore matches operators by uid, so none are touched.
  return { job: { name: def.name, version: def.version }, maxParallelism: def.maxParallelism, operators: [], sourceOffsets, watermarks: [], createdAt: now, type: 'savepoint' };
}

export async function runJobHost(config: HostConfig, deps: HostDeps): Promise<Host> {
  const now = deps.now ?? (() => Date.now());
  const def = await deps.loadJob(config.job);
  const params = { input: config.inputs.join(','), output: config.sinkTopic, ...(config.params ?? {}) };
  const gate = new InputGate();
  const out: OutputTimes = { first: new Map(), last: new Map(), records: 0 };
  const kafka = gatedKafka(deps.kafka, gate, out, now);
  const restore = await startSnapshot(config, def, deps.kafka, now());
  if (config.holdAtStart) gate.runUntil(restore?.sourceOffsets ?? []);
  const sinkUids = buildJob(def, params).graph.nodes.flatMap((n) => (n.kind === 'sink' && n.sink.type === 'kafka' && n.uid !== undefined ? [{ uid: n.uid, topic: n.sink.topic }] : []));
  const job: RunningJob = await startJob(def, { kafka, registry: deps.registry, logger: deps.logger }, { parallelism: config.parallelism, params, ...(restore ? { restore } : {}) });
  let sinkTopic = config.sinkTopic;
  const log = deps.logger.child({ job: config.jobId });

  const positions = (): TopicPartitionOffset[] =>
    job.status().operators.flatMap((o) => (o.partitions ?? []).filter((p) => !p.topic.startsWith('items:')).map((p) => ({ topic: p.topic, partition: p.partition, offset: p.nextOffset })));

  /** Waits until the engine has consumed up to `target` and flushed the output it caused. */
  async function settle(target: readonly TopicPartitionOffset[], timeoutMs = 120_000): Promise<void> {
    const deadline = now() + timeoutMs;
    for (;;) {
      const pos = new Map(positions().map((p) => [`${p.topic}/${p.partition}`, p.offset]));
      if (target.every((t) => (pos.get(`${t.topic}/${t.partition}`) ?? 0) >= t.offset)) break;
      if (job.status().state === 'failed') throw new PromotionError('ENGINE_JOB_FAILED', `Job ${config.jobId} failed while running to its hold offsets.`, { hint: 'See the job log in the orchestrator state directory.' });
      if (now() > deadline) throw new PromotionError('ENGINE_HOLD_TIMEOUT', `Job ${config.jobId} did not reach ${JSON.stringify(target)} within ${timeoutMs} ms.`, { retriable: true, hint: 'The job may be slow or its input unavailable; retry the step.' });
      await sleep(5);
    }
    // The tick runs under the engine's batch lock and flushes the sinks: once it
    // returns, every output of the records below the hold is written.
    await job.tick();
  }

  const status = (): HostStatus => {
    const s = job.status();
    return { jobId: config.jobId, state: s.state === 'running' && gate.held ? 'holding' : s.state === 'stopped' ? 'finished' : s.state, positions: positions(), sinkTopic, held: gate.held, job: s.job };
  };

  async function metrics(): Promise<HostMetrics> {
    const s = job.status();
    const src = s.operators.filter((o) => o.kind === 'source');
    const sink = s.operators.filter((o) => o.kind === 'sink');
    let inputLag = 0;
    const pos = new Map(positions().map((p) => [`${p.topic}/${p.partition}`, p.offset]));
    for (const topic of config.inputs) {
      for (const w of await deps.kafka.watermarks(topic)) inputLag += Math.max(0, w.high - (pos.get(`${topic}/${w.partition}`) ?? w.low));
    }
    const lastOutputAt = out.last.get(sinkTopic);
    const firstOutputAt = out.first.get(sinkTopic);
    return {
      recordsIn: src.reduce((a, o) => a + o.recordsIn, 0),
      recordsOut: sink.reduce((a, o) => a + o.recordsIn, 0),
      inputLag,
      inRate: 0,
      ...(lastOutputAt !== undefined ? { lastOutputAt } : {}),
      ...(firstOutputAt !== undefined ? { firstOutputAt } : {}),
      watermark: Math.min(...src.map((o) => o.watermark ?? Number.NEGATIVE_INFINITY)),
    };
  }

  async function savepointTo(dir: string): Promise<SavepointResult> {
    if (existsSync(dir)) {
      // Same request again: the savepoint is already there; answer with it.
      const meta = await readSavepointMetadata(dir);
      return { location: dir, sourceOffsets: meta.sourceOffsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset })), completedAt: meta.createdAt };
    }
    // Hold the input for the instant of the snapshot, so the sink topic's end
    // offsets read now are exactly the output of the input before the savepoint.
    const wasHeld = gate.held;
    let snap: JobSnapshot;
    let outputOffsets: TopicPartitionOffset[];
    try {
      if (!wasHeld) await settle(gate.holdHere());
      snap = await job.snapshot('savepoint');
      outputOffsets = (await deps.kafka.watermarks(sinkTopic)).map((w) => ({ topic: sinkTopic, partition: w.partition, offset: w.high }));
    } finally {
      if (!wasHeld) gate.release();
    }
    await writeSavepoint(dir, snap);
    const marks = snap.watermarks.map((w) => w.watermark).filter((w) => Number.isFinite(w));
    return { location: dir, sourceOffsets: snap.sourceOffsets.map((o) => ({ ...o })), completedAt: now(), outputOffsets, ...(marks.length > 0 ? { watermark: Math.max(...marks) } : {}) };
  }

  let stopping: Promise<unknown> | undefined;
  const handlers: Record<string, (b: Record<string, unknown>) => Promise<unknown>> = {
    status: async () => status(),
    metrics: async () => metrics(),
    savepoint: async (b) => savepointTo(String(b.dir)),
    hold: async () => {
      const at = gate.holdHere();
      await settle(at);
      return { positions: at, ...(out.last.has(sinkTopic) ? { lastOutputAt: out.last.get(sinkTopic) } : {}) };
    },
    runUntil: async (b) => {
      const offsets = b.offsets as TopicPartitionOffset[];
      const past = gate.pastOf(offsets);
      if (past.length > 0) {
        throw new PromotionError('ENGINE_PAST_OFFSETS', `Job ${config.jobId} has already consumed past ${past.map((p) => `${p.topic}/${p.partition}@${p.offset}`).join(', ')}.`, { hint: 'Choose hold offsets at or beyond every job\'s position (hold the jobs first, then take the furthest).' });
      }
      gate.runUntil(offsets);
      await settle(offsets);
      return { positions: offsets, ...(out.last.has(sinkTopic) ? { lastOutputAt: out.last.get(sinkTopic) } : {}) };
    },
    switchSink: async (b) => {
      const to = String(b.to);
      const from = sinkTopic;
      if (from !== to) {
        for (const s of sinkUids) if (s.topic === config.sinkTopic || s.topic === from) job.redirectSink(s.uid, to);
        sinkTopic = to;
      }
      if (b.keepHold === true) return { from, to };
      gate.release();
      const waitMs = Number(b.waitFirstOutputMs ?? 10_000);
      const deadline = now() + waitMs;
      while (!out.first.has(to) && now() < deadline) await sleep(1);
      const first = out.first.get(to);
      return { from, to, ...(first !== undefined ? { firstOutputAt: first } : {}) };
    },
    resume: async () => {
      gate.release();
      return {};
    },
    firstOutput: async (b) => {
      const topic = String(b.topic ?? sinkTopic);
      const deadline = now() + Number(b.waitMs ?? 10_000);
      while (!out.first.has(topic) && now() < deadline) await sleep(1);
      return { firstOutputAt: out.first.get(topic) ?? null };
    },
    stop: async (b) => {
      stopping ??= (async () => {
        // Sources stop where they are; what was read is applied and flushed; the
        // savepoint is taken of exactly that; no output follows it.
        const at = gate.holdHere();
        await settle(at);
        const sp = typeof b.dir === 'string' ? await savepointTo(b.dir) : undefined;
        const m = await metrics();
        // Held and flushed, the job writes nothing more; closing its clients is
        // teardown, done after answering so it stays off a handoff's critical path.
        log.info({ savepoint: sp?.location }, 'job stopped');
        setTimeout(() => void shutdown(), 0);
        return { savepoint: sp, metrics: { ...m, lastOutputAt: out.last.get(sinkTopic) } };
      })();
      return stopping;
    },
  };

  const server: ControlServer = await startControlServer({ dir: config.jobsDir, name: config.jobId, version: def.version, jobFile: config.job, handlers });
  let closed = false;
  async function shutdown(): Promise<void> {
    if (closed) return;
    closed = true;
    await job.stop().catch(() => undefined);
    // The control server waits for idle keep-alive connections of a long-lived
    // client (a supervisor, a benchmark); a job that has stopped must not.
    await Promise.race([server.close(), new Promise((r) => setTimeout(r, 1000).unref())]);
  }
  const finished = job.finished.finally(() => shutdown());
  log.info({ job: def.name, version: def.version, sink: sinkTopic, from: config.from }, 'job host running');
  return { finished, close: shutdown };
}
