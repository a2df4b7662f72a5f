/**
 * The controls of a managed job once it runs (managed.ts): status, metrics,
 * savepoint, hold, runUntil, switchSink, resume, firstOutput and stop. They act on
 * the unchanged engine through the input gate and the output observation of the
 * gated Kafka client (gated-kafka.ts).
 *
 * Every control that promises "output committed" (hold, runUntil, savepoint,
 * stop) ends at an engine commit point, so with exactly-once delivery what a
 * read_committed reader sees matches the positions returned.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { EngineError } from '../../../errors.ts';
import type { Logger } from '../../../logger.ts';
import type { KafkaPort, TopicPartitionOffset } from '../../../kafka/port.ts';
import { type RunningJob, deltaKeyCount, writeDelta, writeSavepoint, type JobSnapshot } from '../../../engine/index.ts';
import { partitionKey } from '../../../kafka/partition-key.ts';
import type { SavepointResult } from '../../adapter.ts';
import type { InputGate, OutputTimes } from './gated-kafka.ts';
import type { DeltaRef, DeltaStop, HostMetrics, HostStatus, ManagedStop } from '../control/protocol.ts';
import { savepointOnDisk } from '../savepoint-files.ts';
import type { HostConfig } from './config.ts';
import type { JobControls } from './host.ts';
import { sleep } from '../../../clock.ts';

/**
 * After a stop with a delta, how long the full savepoint waits for the stop that
 * asks for it before it is written anyway (a crashed orchestrator must not leave
 * the job without its rollback savepoint).
 */
const FULL_SAVEPOINT_GRACE_MS = 30_000;

export interface HostedJobContext {
  readonly config: HostConfig;
  readonly job: RunningJob;
  readonly gate: InputGate;
  readonly out: OutputTimes;
  /** The real client (not gated): metadata reads. */
  readonly kafka: KafkaPort;
  readonly sinkUids: readonly { readonly uid: string; readonly topic: string }[];
  readonly now: () => number;
  readonly log: Logger;
  /** Closes the host once a stop has answered. */
  readonly shutdown: () => Promise<void>;
  /** A handoff control now holds the job (`why`), or none does any more (undefined): a crash while held is not restarted. */
  readonly onHandoff?: (why: string | undefined) => void;
}


export function managedControls(c: HostedJobContext): JobControls<'managed'> {
  const { config, job, gate, out, now, log } = c;
  let sinkTopic = config.sinkTopic;
  const handoff = (why: string | undefined) => c.onHandoff?.(why);

  const positions = (): TopicPartitionOffset[] =>
    job.status().operators.flatMap((o) => (o.partitions ?? []).filter((p) => !p.topic.startsWith('items:')).map((p) => ({ topic: p.topic, partition: p.partition, offset: p.nextOffset })));

  /** Waits until the engine has consumed up to `target`, then makes a commit point: the output it caused is flushed and committed. */
  async function settle(target: readonly TopicPartitionOffset[], timeoutMs = 120_000): Promise<void> {
    const deadline = now() + timeoutMs;
    for (;;) {
      const pos = new Map(positions().map((p) => [partitionKey(p.topic, p.partition), p.offset]));
      if (target.every((t) => (pos.get(partitionKey(t.topic, t.partition)) ?? 0) >= t.offset)) break;
      if (job.status().state === 'failed') throw new EngineError('ENGINE_JOB_FAILED', `Job ${config.jobId} failed while running to its hold offsets.`, { hint: 'See the job log in the orchestrator state directory.' });
      if (now() > deadline) throw new EngineError('ENGINE_HOLD_TIMEOUT', `Job ${config.jobId} did not reach ${JSON.stringify(target)} within ${timeoutMs} ms.`, { retriable: true, hint: 'The job may be slow or its input unavailable; retry the step.' });
      await sleep(5);
    }
    // Under the engine's batch lock: processing-time work first, then the commit point.
    await job.tick();
    await job.commit();
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
    const pos = new Map(positions().map((p) => [partitionKey(p.topic, p.partition), p.offset]));
    for (const topic of config.inputs) {
      for (const w of await c.kafka.watermarks(topic)) inputLag += Math.max(0, w.high - (pos.get(partitionKey(topic, w.partition)) ?? w.low));
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

  /** Where the time of the last savepoint went (logged at stop: the cold handoff's critical path). */
  const spent = { settleMs: 0, snapshotMs: 0, writeMs: 0, deltaMs: 0 };

  /** `trackChanges`: record the keys touched from this savepoint on, for a delta against it (its directory is its id). */
  async function savepointTo(dir: string, trackChanges = false): Promise<SavepointResult> {
    if (existsSync(dir)) {
      // Same request again: the savepoint is already there; answer with it.
      return savepointOnDisk(dir);
    }
    // Hold the input for the instant of the snapshot, so the sink topic's end
    // offsets read now are exactly the output of the input before the savepoint.
    const wasHeld = gate.held;
    let snap: JobSnapshot;
    let outputOffsets: TopicPartitionOffset[];
    const t0 = now();
    try {
      if (!wasHeld) await settle(gate.holdHere());
      // A commit point: the snapshot's output is committed with it.
      snap = await job.snapshot('savepoint', trackChanges ? { trackChanges: resolve(dir) } : {});
      spent.snapshotMs = now() - t0;
      outputOffsets = (await c.kafka.watermarks(sinkTopic)).map((w) => ({ topic: sinkTopic, partition: w.partition, offset: w.high }));
    } finally {
      if (!wasHeld) gate.release();
    }
    const t1 = now();
    await writeSavepoint(dir, snap);
    spent.writeMs = now() - t1;
    const marks = snap.watermarks.map((w) => w.watermark).filter((w) => Number.isFinite(w));
    return { location: dir, sourceOffsets: snap.sourceOffsets.map((o) => ({ ...o })), completedAt: now(), outputOffsets, ...(marks.length > 0 ? { watermark: Math.max(...marks) } : {}) };
  }

  /** Waits (bounded) until output to `topic` is visible to read_committed readers. */
  async function firstVisible(topic: string, waitMs: number): Promise<number | undefined> {
    const deadline = now() + waitMs;
    while (!out.first.has(topic) && now() < deadline) await sleep(1);
    return out.first.get(topic);
  }

  // A stop happens in two halves: halt (input held, output committed, and with a
  // delta asked for: processing ended and the delta written), then the full savepoint.
  // A stop without a delta runs both at once; a stop with one answers after the
  // halt, and the full savepoint follows with the next stop (or the grace period).
  let halted: Promise<DeltaStop> | undefined;
  let finished: Promise<ManagedStop> | undefined;
  let grace: ReturnType<typeof setTimeout> | undefined;

  const halt = (delta?: { base: string; file: string }): Promise<DeltaStop> =>
    (halted ??= (async () => {
      const t0 = now();
      const at = gate.holdHere();
      await settle(at);
      spent.settleMs = now() - t0;
      if (!delta) return { stoppedAt: now() };
      const t1 = now();
      // Processing ends for good here, between batches; the state is frozen from now on.
      const d = await job.quiesce(resolve(delta.base));
      if (!d) return { stoppedAt: now(), reason: `the job was not tracking changes against ${delta.base}` };
      const { bytes } = await writeDelta(delta.file, d);
      spent.deltaMs = now() - t1;
      const ref: DeltaRef = { location: delta.file, base: resolve(delta.base) };
      log.info({ keys: deltaKeyCount(d), bytes, deltaMs: spent.deltaMs, settleMs: spent.settleMs, haltedAt: t0, lastOutputAt: out.last.get(sinkTopic) }, 'delta written');
      return { delta: { ...ref, keys: deltaKeyCount(d), bytes, sourceOffsets: d.sourceOffsets.map((o) => ({ ...o })) }, stoppedAt: now() };
    })());

  const finish = (dir: string | undefined): Promise<ManagedStop> =>
    (finished ??= (async () => {
      clearTimeout(grace);
      await halt();
      const sp = dir !== undefined ? await savepointTo(dir) : undefined;
      const m = await metrics();
      // Held and committed, the job writes nothing more; closing its clients is
      // teardown, done after answering so it stays off a handoff's critical path.
      log.info({ savepoint: sp?.location, ...(sp ? spent : { settleMs: spent.settleMs }), lastOutputAt: out.last.get(sinkTopic), stoppedAt: now() }, 'job stopped');
      setTimeout(() => void c.shutdown(), 0);
      return { savepoint: sp, metrics: { ...m, lastOutputAt: out.last.get(sinkTopic) } };
    })());
  return {
    status: async () => status(),
    metrics: async () => metrics(),
    savepoint: async (b) => savepointTo(String(b.dir), b.trackChanges === true),
    hold: async () => {
      handoff('hold');
      const at = gate.holdHere();
      await settle(at);
      return { positions: at, ...(out.last.has(sinkTopic) ? { lastOutputAt: out.last.get(sinkTopic) } : {}) };
    },
    runUntil: async (b) => {
      const offsets = b.offsets;
      const past = gate.pastOf(offsets);
      if (past.length > 0) {
        throw new EngineError('ENGINE_PAST_OFFSETS', `Job ${config.jobId} has already consumed past ${past.map((p) => `${p.topic}/${p.partition}@${p.offset}`).join(', ')}.`, { hint: 'Choose hold offsets at or beyond every job\'s position (hold the jobs first, then take the furthest).' });
      }
      handoff('runUntil');
      gate.runUntil(offsets);
      await settle(offsets);
      return { positions: offsets, ...(out.last.has(sinkTopic) ? { lastOutputAt: out.last.get(sinkTopic) } : {}) };
    },
    switchSink: async (b) => {
      const to = String(b.to);
      const from = sinkTopic;
      if (from !== to || b.keepHold === true) handoff('switchSink');
      if (from !== to) {
        for (const s of c.sinkUids) if (s.topic === config.sinkTopic || s.topic === from) job.redirectSink(s.uid, to);
        sinkTopic = to;
      }
      if (b.keepHold === true) return { from, to };
      gate.release();
      // The host commits as soon as the first output reaches a topic (managed.ts), so this is its commit time.
      const first = await firstVisible(to, Number(b.waitFirstOutputMs ?? 10_000));
      return { from, to, ...(first !== undefined ? { firstOutputAt: first } : {}) };
    },
    resume: async () => {
      gate.release();
      if (sinkTopic === config.sinkTopic) handoff(undefined);
      return {};
    },
    firstOutput: async (b) => ({ firstOutputAt: (await firstVisible(String(b.topic ?? sinkTopic), Number(b.waitMs ?? 10_000))) ?? null }),
    stop: async (b) => {
      // Sources stop where they are; what was read is applied and committed; the
      // savepoint is taken of exactly that; no output follows it.
      const dir = typeof b.dir === 'string' ? b.dir : undefined;
      const delta = b.delta;
      handoff('stop');
      if (!delta || finished) return finish(dir);
      const h = await halt(delta);
      grace ??= setTimeout(() => void finish(dir).catch(() => undefined), FULL_SAVEPOINT_GRACE_MS);
      return { ...h, metrics: { ...(await metrics()), lastOutputAt: out.last.get(sinkTopic) } };
    },
  };
}
