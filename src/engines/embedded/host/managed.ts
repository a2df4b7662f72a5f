/**
 * The managed job host: one process per job the orchestrator manages (entry
 * host-main.ts, spawned by the embedded adapter). It runs the job on the
 * unchanged engine over a gated Kafka client (gated-kafka.ts) and answers the
 * adapter through the job host (host.ts). Jobs live in their own processes so
 * that a crash — or `kill -9` — of the orchestrator never takes the jobs down: a
 * restarted orchestrator finds them by name and continues.
 *
 * Output: exactly-once by default — one transaction for all of the job's output,
 * committed at the engine's commit points (every `commitIntervalMs`, and at every
 * control that promises committed output), and at once when the first output
 * reaches a topic, so a new writer becomes visible without waiting for the interval.
 * With `checkpoints` (the deployment spec's; off unless it asks for them) every commit point is a
 * checkpoint of pitlane run's kind (engine/checkpoint/coordinator.ts): the checkpoint
 * id commits with the output, so a host its keeper restarts after a crash resumes
 * from the latest committed checkpoint and a read_committed reader sees every
 * output record once. The run record (run-record.ts) carries the run across restarts.
 *
 * Controls (managed-controls.ts once running): status, metrics, savepoint, hold,
 * runUntil, switchSink, resume, firstOutput, stop; before that: status, metrics,
 * stop (without a savepoint), activate, prerestore.
 */
import { EngineError, describeUnknown } from '../../../errors.ts';
import type { Logger } from '../../../logger.ts';
import type { KafkaPort } from '../../../kafka/port.ts';
import type { SchemaRegistryPort } from '../../../kafka/registry.ts';
import { buildJob, startJob, type JobDefinition, type RunningJob, openExactlyOnceOutput, type OutputChannel, recoverCheckpoints } from '../../../engine/index.ts';
import { DEFAULT_DELIVERY } from '../../adapter.ts';
import type { HostMetrics } from '../control/protocol.ts';
import type { HostConfig } from './config.ts';
import { gatedKafka, InputGate, type OutputTimes } from './gated-kafka.ts';
import { managedControls } from './managed-controls.ts';
import { runJobHost, type Host, type JobCommand } from './host.ts';
import { startState } from './start-state.ts';
import { RunRecorder } from './run-record.ts';

export interface HostDeps {
  readonly kafka: KafkaPort;
  readonly registry?: SchemaRegistryPort | undefined;
  readonly logger: Logger;
  readonly loadJob: (file: string) => Promise<JobDefinition>;
  readonly now?: () => number;
}

const COMMANDS: readonly JobCommand<'managed'>[] = ['status', 'metrics', 'savepoint', 'hold', 'runUntil', 'switchSink', 'resume', 'firstOutput', 'stop'];
const IDLE_METRICS: HostMetrics = { recordsIn: 0, recordsOut: 0, inputLag: 0, inRate: 0, watermark: Number.NEGATIVE_INFINITY };

/** The coordinator's name for a job whose transactional id is `identity` (it prefixes `pitlane.`), so the id stays the identity. */
const checkpointNameOf = (identity: string): string => (identity.startsWith('pitlane.') ? identity.slice('pitlane.'.length) : identity);

export async function startManagedHost(given: HostConfig, deps: HostDeps): Promise<Pick<Host, 'finished' | 'close'>> {
  const now = deps.now ?? (() => Date.now());
  const log = deps.logger.child({ job: given.jobId });
  // A restarted host (its keeper respawned it) continues the run its record names:
  // started where the run started (an activated standby comes back started), never held.
  const run = given.files ? new RunRecorder(given.files.run, () => `${given.jobId}@${now()}.${process.pid}`) : undefined;
  const restartOf = run?.current.from;
  const config: HostConfig = restartOf ? { ...given, from: restartOf, standby: false, holdAtStart: false } : given;
  if (restartOf) log.warn({ from: restartOf, lineage: run.current.lineage }, 'job host restarted');
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
  // With checkpoints, the coordinator opens the output (fencing the same way) and
  // finds the run's latest committed checkpoint, if the run has one.
  const cp = config.checkpoints;
  const recovery = cp
    ? await recoverCheckpoints(kafka, { name: checkpointNameOf(config.identity), dir: cp.dir, intervalMs: cp.intervalMs, retained: cp.retained, delivery: delivery.mode, ...(config.inputs[0] !== undefined ? { anchorTopic: config.inputs[0] } : {}), ...(run ? { origin: run.current.lineage } : {}) }, log)
    : undefined;
  let output: OutputChannel | undefined = recovery ? recovery.output : delivery.mode === 'exactly-once' ? await openExactlyOnceOutput(kafka, config.identity) : undefined;
  const restoreFrom = recovery?.restoreFrom;
  if (restoreFrom) log.warn({ checkpoint: restoreFrom.path }, 'resuming from the latest committed checkpoint');
  // Connections and metadata the start will need, paid now (a standby's whole point).
  for (const topic of config.inputs) await deps.kafka.watermarks(topic);
  await deps.kafka.partitionCount(config.sinkTopic).catch(() => undefined);

  let running: RunningJob | undefined;
  // The first output to a topic is committed at once (the pit stop ends when it is visible).
  // Called inside a send, under the engine's batch lock: the commit queues behind the batch.
  out.onFirstSend = (topic) => {
    const sentAt = now();
    setImmediate(() =>
      void running?.commit().then(
        () => log.info({ topic, sentAt, visibleAt: out.first.get(topic) }, 'first output committed'),
        () => undefined,
      ),
    );
  };

  const notStarted = (command: string) =>
    new EngineError('ENGINE_JOB_NOT_STARTED', `Job ${config.jobId} is a standby that has not been started, so it cannot ${command}.`, { hint: 'Start it (the adapter\'s start with a savepoint activates a standby), or cancel it.' });

  if (!config.standby && !config.from) {
    await output?.abort().catch(() => undefined);
    throw new EngineError('ENGINE_NO_START', `Job ${config.jobId} has no start position and is not a standby.`, { hint: 'This is an adapter bug: a host config names `from` unless it is a standby.' });
  }
  const host = await runJobHost<'managed'>({
    jobId: config.jobId,
    jobsDir: config.jobsDir,
    entry: { version: def.version, jobFile: config.job },
    commands: COMMANDS,
    from: config.standby ? undefined : config.from,
    log,
    now,
    async start(from, paused) {
      const at = restoreFrom ? { savepoint: restoreFrom.path } : from;
      const state = await startState(def, deps.kafka, at, { params, parallelism: config.parallelism, inputs: config.inputs, now: now() });
      if (config.holdAtStart) {
        gate.runUntil(state.restore?.sourceOffsets ?? []);
        run?.handoff('held at start');
      }
      const channel = output;
      return startJob(def, { kafka, registry: deps.registry, logger: deps.logger }, {
        ...(state.parallelism !== undefined ? { parallelism: state.parallelism } : {}),
        params,
        ...(state.restore ? { restore: state.restore } : {}),
        ...(channel && recovery && cp ? { output: channel, commitHooks: recovery.hooks, checkpointIntervalMs: cp.intervalMs } : channel ? { output: channel, checkpointIntervalMs: delivery.commitIntervalMs } : {}),
        ...(paused ? { startPaused: true } : {}),
      });
    },
    launched(job, from, timing) {
      running = job;
      if (!restartOf) run?.started(from);
      output = undefined; // the job owns it now, and closes it when it stops
      job.finished.catch((e: unknown) => {
        log.error({ err: describeUnknown(e) }, 'job failed');
        process.exitCode = 1;
      });
      // Where a start's time goes (read + plan + decode the savepoint, then the engine's
      // restore and source start); the bench's cold-handoff breakdown reads these.
      log.info({ job: def.name, version: def.version, sink: config.sinkTopic, from, delivery: delivery.mode, standby: config.standby === true, ...timing }, 'job host running');
    },
    launchFailed(e) {
      log.error({ err: describeUnknown(e) }, 'job failed to start');
      process.exitCode = 1;
    },
    controls: (job, h) => ({ handlers: managedControls({ config, job, gate, out, kafka: deps.kafka, sinkUids, now, log, shutdown: h.close, ...(run ? { onHandoff: (why) => run.handoff(why) } : {}) }) }),
    standby: {
      answers: (view, h) => ({
        status: async () => ({ jobId: config.jobId, state: view.state, positions: [], sinkTopic: config.sinkTopic, held: false, job: { name: def.name, version: def.version }, ...(view.base !== undefined ? { base: view.base } : {}) }),
        metrics: async () => IDLE_METRICS,
        stop: async (r) => {
          if (typeof r.dir === 'string') throw notStarted('stop');
          h.stopWaiting();
          return { metrics: IDLE_METRICS };
        },
      }),
      notStarted,
    },
    release: async () => {
      await output?.abort();
    },
  });
  log.info({ job: def.name, version: def.version, standby: config.standby === true }, config.standby ? 'standby host waiting' : 'job host up');
  // A failed job was reported when it failed (above).
  return { finished: host.finished.catch(() => undefined), close: host.close };
}
