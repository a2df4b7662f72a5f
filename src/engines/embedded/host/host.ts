/**
 * The job host: one process per job the orchestrator manages. It runs the job on
 * the embedded engine (`startJob`, unchanged) over a gated Kafka client
 * (gated-kafka.ts) and answers the adapter through the local control channel
 * (../control). Jobs live in their own processes so that a crash — or `kill -9` —
 * of the orchestrator never takes the jobs down: a restarted orchestrator finds
 * them by name and continues.
 *
 * A host either starts its job at once (`config.from`), or comes up as a
 * **standby** (`config.standby`): module loaded, Kafka clients connected,
 * exactly-once producer initialised, and nothing read or written until `activate`
 * names the state to start from. A cold handoff pre-starts the new version this
 * way beside the old one, so only the restore is left between the old job's stop
 * and the new job's first output.
 *
 * Output: exactly-once by default — one transaction for all of the job's output,
 * committed at the engine's commit points (every `commitIntervalMs`, and at every
 * control that promises committed output), and at once when the first output
 * reaches a topic, so a new writer becomes visible without waiting for the interval.
 *
 * Controls (managed-controls.ts once running): status, metrics, savepoint, hold, runUntil,
 * switchSink, resume, firstOutput, stop; before that: status, activate, stop.
 */
import { PromotionError, describeUnknown } from '../../../errors.ts';
import type { Logger } from '../../../logger.ts';
import type { KafkaPort, TopicPartitionOffset } from '../../../kafka/port.ts';
import type { SchemaRegistryPort } from '../../../kafka/registry.ts';
import { resolve } from 'node:path';
import { buildJob, startJob, type JobDefinition, type RunningJob } from '../../../engine/index.ts';
import type { JobDelta } from '../../../engine/runtime/delta.ts';
import { readDelta } from '../../../engine/runtime/delta-file.ts';
import type { JobSnapshot } from '../../../engine/snapshot/model.ts';
import { prepareRestore } from '../../../engine/runtime/restore-source.ts';
import { openExactlyOnceOutput, type OutputChannel } from '../../../engine/runtime/output.ts';
import { startControlServer, type ControlServer } from '../control/server.ts';
import { DEFAULT_DELIVERY } from '../../adapter.ts';
import { gatedKafka, InputGate, type OutputTimes } from './gated-kafka.ts';
import { hostedJobHandlers, type Handler } from './managed-controls.ts';
import type { DeltaRef, HostConfig, HostStart, HostStatus } from '../control/protocol.ts';

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

/** The state a job starts from: a savepoint (planned and loaded), or empty state at a position of the input. */
async function startState(config: HostConfig, from: HostStart, def: JobDefinition, kafka: KafkaPort, params: Record<string, string>, now: number): Promise<{ restore?: JobSnapshot; parallelism?: number | undefined }> {
  if ('savepoint' in from) {
    // The restore plan runs again here: a refusal names the operator, state and fix before anything runs.
    const p = await prepareRestore(def, kafka, { dir: from.savepoint, params, ...(config.parallelism !== undefined ? { parallelism: config.parallelism } : {}), allowNonRestoredState: from.allowNonRestoredState === true });
    return { restore: p.snapshot, parallelism: p.parallelism };
  }
  if (from.input === 'earliest') return { parallelism: config.parallelism }; // the engine's own default
  const sourceOffsets: TopicPartitionOffset[] = [];
  for (const topic of config.inputs) {
    if (from.input === 'latest') for (const w of await kafka.watermarks(topic)) sourceOffsets.push({ topic, partition: w.partition, offset: w.high });
    else sourceOffsets.push(...(await kafka.offsetsForTimestamp(topic, from.input.timestamp)));
  }
  // No operator state: only the positions. Restore matches operators by uid, so none are touched.
  return { restore: { job: { name: def.name, version: def.version }, maxParallelism: def.maxParallelism, operators: [], sourceOffsets, watermarks: [], createdAt: now, type: 'savepoint' }, parallelism: config.parallelism };
}

const sameStart = (a: HostStart, b: HostStart) => JSON.stringify(a) === JSON.stringify(b);

export async function runJobHost(config: HostConfig, deps: HostDeps): Promise<Host> {
  const now = deps.now ?? (() => Date.now());
  const log = deps.logger.child({ job: config.jobId });
  const def = await deps.loadJob(config.job);
  const params = { input: config.inputs.join(','), output: config.sinkTopic, ...(config.params ?? {}) };
  const delivery = { ...DEFAULT_DELIVERY, ...config.delivery };
  const gate = new InputGate();
  const out: OutputTimes = { first: new Map(), last: new Map(), sent: new Map(), records: 0 };
  const kafka = gatedKafka(deps.kafka, gate, out, now);
  // Built once up front: a job that does not build fails here, before it is anyone's standby.
  const sinkUids = buildJob(def, params).graph.nodes.flatMap((n) => (n.kind === 'sink' && n.sink.type === 'kafka' && n.uid !== undefined ? [{ uid: n.uid, topic: n.sink.topic }] : []));
  // Exactly-once: the transactional id is the job's identity (a candidate's differs
  // from the authoritative job's). Initialising it fences an earlier producer of
  // the same identity and settles the transaction it left open.
  let output: OutputChannel | undefined = delivery.mode === 'exactly-once' ? await openExactlyOnceOutput(kafka, config.identity) : undefined;
  // Connections and metadata the start will need, paid now (a standby's whole point).
  for (const topic of config.inputs) await deps.kafka.watermarks(topic);
  await deps.kafka.partitionCount(config.sinkTopic).catch(() => undefined);

  let handlers: Record<string, Handler> | undefined;
  let commit: (() => Promise<void>) | undefined;
  let activation: { from: HostStart; done: Promise<unknown> } | undefined;
  let closed = false;
  let server: ControlServer | undefined;
  let settleFinished!: () => void;
  const hostDone = new Promise<void>((r) => (settleFinished = r));

  // The first output to a topic is committed at once (the pit stop ends when it is visible).
  // Called inside a send, under the engine's batch lock: the commit queues behind the batch.
  out.onFirstSend = (topic) => {
    const sentAt = now();
    setImmediate(() =>
      void commit?.().then(
        () => log.info({ topic, sentAt, visibleAt: out.first.get(topic) }, 'first output committed'),
        () => undefined,
      ),
    );
  };

  async function shutdown(): Promise<void> {
    if (closed) return;
    closed = true;
    await stopJob?.().catch(() => undefined);
    await output?.abort().catch(() => undefined); // only if no job took it over
    // The control server waits for idle keep-alive connections of a long-lived
    // client (a supervisor, a benchmark); a job that has stopped must not.
    if (server) await Promise.race([server.close(), new Promise((r) => setTimeout(r, 1000).unref())]);
    settleFinished();
  }
  let stopJob: (() => Promise<unknown>) | undefined;

  /** Builds the job from a start position; `paused`: restored, reading and writing nothing until `begin`. */
  async function build(from: HostStart, paused: boolean): Promise<RunningJob> {
    const state = await startState(config, from, def, deps.kafka, params, now());
    if (config.holdAtStart) gate.runUntil(state.restore?.sourceOffsets ?? []);
    const channel = output;
    return startJob(def, { kafka, registry: deps.registry, logger: deps.logger }, {
      ...(state.parallelism !== undefined ? { parallelism: state.parallelism } : {}),
      params,
      ...(state.restore ? { restore: state.restore } : {}),
      ...(channel ? { output: channel, checkpointIntervalMs: delivery.commitIntervalMs } : {}),
      ...(paused ? { startPaused: true } : {}),
    });
  }

  /**
   * A base restored ahead of time (cold handoff): the job is built from the base
   * savepoint and waits, paused, for the delta that brings it to the old job's stop.
   * Dropping it is free: it started nothing, and the output channel stays ours.
   */
  let prepared: { base: string; job: Promise<RunningJob> } | undefined;
  function prerestore(from: { savepoint: string; allowNonRestoredState?: boolean }): Promise<{ base: string }> {
    const base = resolve(from.savepoint);
    if (prepared?.base !== base) {
      const t0 = now();
      const job = build({ ...from, savepoint: base }, true);
      job.then(() => log.info({ base, restoreMs: now() - t0 }, 'base restored ahead'), (e: unknown) => log.warn({ base, err: describeUnknown(e) }, 'base restore failed'));
      prepared = { base, job };
    }
    return prepared.job.then(() => ({ base }));
  }

  const unusable = (ref: DeltaRef, why: string) =>
    new PromotionError('ENGINE_DELTA_UNUSABLE', `Job ${config.jobId} cannot start from the delta ${ref.location}: ${why}.`, { hint: 'Start it from the full savepoint written at the same stop (a cold handoff falls back to it by itself).' });

  /** The restored base and the delta for it, or ENGINE_DELTA_UNUSABLE (the standby stays a standby). */
  async function usableDelta(ref: DeltaRef): Promise<{ job: RunningJob; delta: JobDelta; readMs: number }> {
    if (!prepared) throw unusable(ref, 'this standby restored no base');
    if (prepared.base !== resolve(ref.base)) throw unusable(ref, `this standby restored ${prepared.base}, the delta applies to ${ref.base}`);
    const job = await prepared.job.catch((e: unknown) => {
      throw unusable(ref, `restoring its base failed (${describeUnknown(e)})`);
    });
    const t0 = now();
    const delta = await readDelta(ref.location).catch((e: unknown) => {
      throw unusable(ref, describeUnknown(e));
    });
    if (resolve(delta.base) !== prepared.base) throw unusable(ref, `the file was taken against ${delta.base}`);
    return { job, delta, readMs: now() - t0 };
  }

  async function launch(from: HostStart, pre?: { job: RunningJob; delta: JobDelta; readMs: number }): Promise<void> {
    const t0 = now();
    let job: RunningJob;
    if (pre) {
      await pre.job.begin(pre.delta);
      job = pre.job;
    } else {
      prepared = undefined; // a full restore replaces a base restored ahead
      job = await build(from, false);
    }
    prepared = undefined;
    const t1 = now();
    output = undefined; // the job owns it now, and closes it when it stops
    stopJob = () => job.stop();
    commit = () => job.commit();
    handlers = hostedJobHandlers({ config, job, gate, out, kafka: deps.kafka, sinkUids, now, log, shutdown });
    void job.finished.then(
      () => shutdown(),
      (e: unknown) => {
        log.error({ err: describeUnknown(e) }, 'job failed');
        process.exitCode = 1;
        return shutdown();
      },
    );
    // Where a start's time goes (read + plan + decode the savepoint, then the engine's
    // restore and source start); the bench's cold-handoff breakdown reads these.
    // With a delta, "read" is the delta file and "start" applies it and starts the sources.
    const timing = pre ? { activatedAt: t0 - pre.readMs, readMs: pre.readMs, startJobMs: t1 - t0, delta: true } : { activatedAt: t0, readMs: t1 - t0, startJobMs: 0, delta: false };
    log.info({ job: def.name, version: def.version, sink: config.sinkTopic, from, delivery: delivery.mode, standby: config.standby === true, ...timing }, 'job host running');
  }

  async function activate(from: HostStart): Promise<unknown> {
    if (activation) {
      if (!sameStart(activation.from, from)) {
        return Promise.reject(new PromotionError('ENGINE_STANDBY_ALREADY_ACTIVATED', `Job ${config.jobId} was already started from ${JSON.stringify(activation.from)}, not ${JSON.stringify(from)}.`, { hint: 'A standby is activated once; cancel the job to start it from elsewhere.' }));
      }
      return activation.done;
    }
    // An unusable delta is refused before anything starts: the caller falls back to the full savepoint.
    const pre = 'savepoint' in from && from.delta ? await usableDelta(from.delta) : undefined;
    if (activation) return activate(from);
    const done = launch(from, pre).then(
      () => ({ activated: true, delta: pre !== undefined }),
      (e: unknown) => {
        // A standby that failed to start is no use to anyone: it goes away, so a
        // retried start begins a fresh process (and reports the cause again).
        log.error({ err: describeUnknown(e) }, 'job failed to start');
        process.exitCode = 1;
        setTimeout(() => void shutdown(), 0);
        throw e;
      },
    );
    activation = { from, done };
    return done;
  }

  const waiting = (): HostStatus => ({ jobId: config.jobId, state: activation ? 'starting' : 'standby', positions: [], sinkTopic: config.sinkTopic, held: false, job: { name: def.name, version: def.version }, ...(prepared ? { base: prepared.base } : {}) });
  const notRunning = (command: string) => () =>
    Promise.reject(new PromotionError('ENGINE_JOB_NOT_STARTED', `Job ${config.jobId} is a standby that has not been started, so it cannot ${command}.`, { hint: 'Start it (the adapter\'s start with a savepoint activates a standby), or cancel it.' }));
  const dispatch = (command: string): Handler => async (body) => {
    // A command that needs the job waits for an activation in flight; status does not.
    if (!handlers && activation && command !== 'status' && command !== 'metrics') await activation.done.catch(() => undefined);
    if (handlers?.[command]) return handlers[command](body);
    if (command === 'status') return Promise.resolve(waiting());
    if (command === 'metrics') return Promise.resolve({ recordsIn: 0, recordsOut: 0, inputLag: 0, inRate: 0, watermark: Number.NEGATIVE_INFINITY });
    if (command === 'stop' && typeof body.dir !== 'string') {
      setTimeout(() => void shutdown(), 0);
      return Promise.resolve({ metrics: { recordsIn: 0, recordsOut: 0, inputLag: 0, inRate: 0, watermark: Number.NEGATIVE_INFINITY } });
    }
    return notRunning(command)();
  };
  const commands = ['status', 'metrics', 'savepoint', 'hold', 'runUntil', 'switchSink', 'resume', 'firstOutput', 'stop'];
  const table: Record<string, Handler> = Object.fromEntries(commands.map((c) => [c, dispatch(c)]));
  table.activate = (b) => activate(b.from as HostStart);
  table.prerestore = (b) => {
    if (activation) return Promise.reject(new PromotionError('ENGINE_STANDBY_ALREADY_ACTIVATED', `Job ${config.jobId} has already started; a base is restored ahead only into a waiting standby.`, { hint: 'Cancel the job and prepare a new standby.' }));
    return prerestore(b.from as { savepoint: string; allowNonRestoredState?: boolean });
  };

  try {
    if (!config.standby) {
      if (!config.from) throw new PromotionError('ENGINE_NO_START', `Job ${config.jobId} has no start position and is not a standby.`, { hint: 'This is an adapter bug: a host config names `from` unless it is a standby.' });
      await activate(config.from);
    }
    server = await startControlServer({ dir: config.jobsDir, name: config.jobId, version: def.version, jobFile: config.job, handlers: table });
  } catch (e) {
    await shutdown();
    throw e;
  }
  log.info({ job: def.name, version: def.version, standby: config.standby === true }, config.standby ? 'standby host waiting' : 'job host up');
  return { finished: hostDone, close: shutdown };
}
