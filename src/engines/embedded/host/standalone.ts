/**
 * The standalone job host: a job started by `pitlane run`, in the CLI's own
 * process, through the same job host as a managed job (host.ts). What it adds is
 * what `pitlane run` promises: periodic checkpoints with exactly-once output, and
 * on a restart of the same command, recovery from the latest committed checkpoint
 * (engine/checkpoint/coordinator.ts).
 *
 * Controls (docs/savepoints.md): `status` (the engine's status of the job),
 * `savepoint {dir}` (the job keeps running) and `stop {savepointDir, drain}`.
 */
import { resolve } from 'node:path';
import type { KafkaPort } from '../../../kafka/port.ts';
import type { SchemaRegistryPort } from '../../../kafka/registry.ts';
import type { Logger } from '../../../logger.ts';
import { describeJob, startJob, type JobDefinition, type RunningJob, type JobSnapshot, recoverCheckpoints, type DeliveryMode, writeSavepoint } from '../../../engine/index.ts';
import { assertNameFree } from '../control/server.ts';
import type { StandaloneStop, WrittenSavepoint } from '../control/protocol.ts';
import { runJobHost, type Host, type JobControls } from './host.ts';
import { startState } from './start-state.ts';

export interface StandaloneOptions {
  /** The job's name on the control channel; checkpoint groups and transactional ids derive from it. */
  readonly name: string;
  readonly job: JobDefinition;
  /** The job module (absolute), announced in the job directory. */
  readonly jobFile: string;
  readonly params: Record<string, string>;
  /** Absent: as saved, else 1. */
  readonly parallelism?: number | undefined;
  /** The savepoint to start from (absolute); the latest committed checkpoint of its lineage wins. */
  readonly origin?: string | undefined;
  readonly allowNonRestoredState: boolean;
  /** Where input partitions new since the savepoint start. */
  readonly newPartitionStart: 'earliest' | 'latest';
  /** Periodic checkpoints (`dir` absolute); without them, no recovery and at-least-once output. */
  readonly checkpoints?: { readonly dir: string; readonly intervalMs: number; readonly retained: number; readonly delivery: DeliveryMode } | undefined;
  readonly deadLetterTopic?: string | undefined;
  /** Where a savepoint trigger without a directory writes (absolute), announced in the job directory. */
  readonly savepointDir: string;
  /** A fresh directory under `savepointDir` for such a trigger. */
  readonly newSavepointDir: () => string;
  readonly jobsDir: string;
  /** Notes for the person who started it: what the restore drops or starts empty. */
  readonly report: (line: string) => void;
}

export interface StandaloneDeps {
  readonly kafka: KafkaPort;
  readonly registry?: SchemaRegistryPort | undefined;
  readonly logger: Logger;
}

export interface StandaloneHost {
  readonly host: Host;
  readonly job: RunningJob;
  readonly parallelism: number;
  readonly delivery: DeliveryMode;
}

async function saveTo(dir: string, snap: JobSnapshot): Promise<WrittenSavepoint> {
  const written = await writeSavepoint(dir, { ...snap, type: 'savepoint' });
  return { path: written.dir, bytes: written.bytes, sourceOffsets: snap.sourceOffsets };
}

export async function startStandaloneHost(o: StandaloneOptions, deps: StandaloneDeps): Promise<StandaloneHost> {
  const description = describeJob(o.job, o.params);
  // Before anything opens the transactional id pitlane.<name>: that would fence a job running under this name.
  assertNameFree(o.jobsDir, o.name);
  const recovery = o.checkpoints
    ? await recoverCheckpoints(
        deps.kafka,
        {
          name: o.name,
          ...o.checkpoints,
          ...(description.inputTopics[0] !== undefined ? { anchorTopic: description.inputTopics[0] } : {}),
          ...(o.origin ? { origin: o.origin } : {}),
        },
        deps.logger,
      )
    : undefined;
  // The lineage's latest committed checkpoint wins over the savepoint it started from (as after a failover).
  const from = recovery?.restoreFrom?.path ?? o.origin;
  let parallelism = o.parallelism ?? 1;
  let handedOver = false;
  let stopRequest: Promise<StandaloneStop> | undefined;

  const controls = (job: RunningJob): JobControls<'standalone'> => ({
    status: async () => job.status(),
    savepoint: async (b) => saveTo(typeof b.dir === 'string' ? resolve(b.dir) : o.newSavepointDir(), await job.snapshot('savepoint')),
    stop: (b) => {
      const named = b.savepointDir ?? b.dir;
      const dir = typeof named === 'string' ? resolve(named) : undefined;
      stopRequest ??= (async () => {
        const last = await job.stop({ drain: b.drain === true, snapshot: dir !== undefined });
        return dir && last ? await saveTo(dir, last) : { stopped: o.name };
      })();
      return stopRequest;
    },
  });

  const host = await runJobHost<'standalone'>({
    jobId: o.name,
    jobsDir: o.jobsDir,
    entry: { version: o.job.version, jobFile: o.jobFile, savepointDir: o.savepointDir },
    commands: ['status', 'savepoint', 'stop'],
    from: from !== undefined ? { savepoint: from, allowNonRestoredState: o.allowNonRestoredState } : { input: 'earliest' },
    log: deps.logger,
    now: () => Date.now(),
    async start(start) {
      const state = await startState(o.job, deps.kafka, start, { params: o.params, parallelism: o.parallelism, inputs: description.inputTopics, newPartitionStart: o.newPartitionStart, now: Date.now() });
      if (state.plan) {
        for (const d of state.plan.dropped) o.report(`dropped state: ${d.uid}${d.state ? `/${d.state}` : ''} (${d.reason})`);
        for (const e of state.plan.startsEmpty) o.report(`starts empty: ${e.uid}${e.state ? `/${e.state}` : ''} (${e.reason})`);
        o.report(`restoring ${o.name} from ${from}`);
      }
      parallelism = o.parallelism ?? state.parallelism ?? 1;
      return startJob(o.job, deps, {
        parallelism,
        params: o.params,
        ...(o.deadLetterTopic ? { deadLetterTopic: o.deadLetterTopic } : {}),
        ...(state.restore ? { restore: state.restore } : {}),
        ...(recovery ? { output: recovery.output, commitHooks: recovery.hooks, checkpointIntervalMs: o.checkpoints?.intervalMs } : {}),
      });
    },
    launched: () => {
      handedOver = true; // the job owns the output now, and closes it when it stops
    },
    // A stop through the control channel answers (with its savepoint) before the channel closes.
    controls: (job) => ({ handlers: controls(job), settled: async () => void (await stopRequest?.catch(() => undefined)) }),
    release: async () => {
      if (!handedOver) await recovery?.output.abort();
    },
  });
  return { host, job: host.job()!, parallelism, delivery: recovery?.output.mode ?? 'at-least-once' };
}
