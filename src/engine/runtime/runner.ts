/**
 * Runs a job in this process (design.md §3): builds the operators, restores a
 * snapshot if given, reads every Kafka source from offsets the engine tracks itself,
 * and pushes each batch through the operators synchronously, then flushes sinks and
 * dead letters before taking the next batch. One lock (lock.ts) serializes batches,
 * ticks (idle partitions, processing-time timers) and snapshots, so a snapshot always
 * sits between batches with no output in flight.
 *
 * The job's lifecycle is a state machine: its phases and what moves them are in
 * lifecycle/model.ts, the decisions in lifecycle/transition.ts, and driver.ts
 * performs them. This file turns the RunningJob API into the machine's events.
 */
import type { JobDefinition } from '../api/job.ts';
import { assembleJob, kafkaSink } from './assemble.ts';
import { CommitPoints } from './commit-points.ts';
import { trackChanges } from './delta.ts';
import { RunnerDriver } from './driver.ts';
import { admits, reportedState, stopBegun } from './lifecycle/model.ts';
import { operatorStatus } from './status.ts';
import type { DeadLetterBuffer } from './dead-letters.ts';
import type { EngineDeps, RunOptions, RunningJob } from './job-api.ts';

export type { EngineDeps, RunOptions, CommitHooks, StopOptions, RunningJob, SnapshotOptions } from './job-api.ts';

export async function startJob(definition: JobDefinition, deps: EngineDeps, options: RunOptions = {}): Promise<RunningJob> {
  const job = await assembleJob(definition, deps, options);
  const commits = new CommitPoints(job, options.commitHooks);
  const driver = new RunnerDriver(job, commits, deps, options);
  const { lock } = driver;
  const failure = () => driver.lifecycle.failure;

  // Sources and timers start here: at once, or for a paused job (options.startPaused)
  // at `begin`, after a delta has been applied to the restored state.
  if (!options.startPaused) await driver.dispatch({ type: 'begin' });
  const finished = driver.stopped.then(() => {
    const f = failure();
    if (f) throw f.error;
  });
  finished.catch(() => undefined);

  return {
    deadLetters: job.dead,
    finished,
    tick: () => driver.tick(),
    status: () => {
      const now = job.clock.now();
      return { job: { name: definition.name, version: definition.version }, state: reportedState(driver.lifecycle), parallelism: job.parallelism, maxParallelism: definition.maxParallelism, deadLetters: job.dead.total, operators: job.ops.map((o) => operatorStatus(o, now)) };
    },
    snapshot: async (type = 'savepoint', snapOptions) => {
      // After the final commit point the state is final and its output committed.
      if (stopBegun(driver.lifecycle)) {
        await driver.stopped;
        return commits.snapshot(type);
      }
      // Quiesced: frozen, and its output committed at the quiesce.
      if (driver.lifecycle.frozen) return lock.run(() => commits.snapshot(type));
      return lock.run(async () => {
        const snap = await commits.commitPoint(type);
        // Under the same lock: no record is processed between the base and the tracking.
        if (snapOptions?.trackChanges !== undefined) trackChanges(job.ops, snapOptions.trackChanges);
        return snap;
      });
    },
    // Under the lock, so the job freezes between batches.
    quiesce: (base) =>
      lock.run(async () => {
        await driver.dispatch({ type: 'quiesce' });
        return commits.quiesce(base);
      }),
    begin: (delta) => driver.dispatch({ type: 'begin', ...(delta ? { delta } : {}) }),
    commit: async () => {
      // After the final commit point everything is committed already.
      if (stopBegun(driver.lifecycle)) {
        await driver.stopped;
        return;
      }
      await lock.run(() => (admits(driver.lifecycle, 'commit') ? commits.commitOutput() : undefined));
    },
    stop: async (stopOptions) => {
      void driver.dispatch({ type: 'stop', drain: stopOptions?.drain === true, savepoint: stopOptions?.snapshot === true });
      const last = await driver.stopped;
      const f = failure();
      if (f) throw f.error;
      return last;
    },
    redirectSink(uid, topic) {
      kafkaSink(job, uid).redirect(topic);
    },
  } satisfies RunningJob & { deadLetters: DeadLetterBuffer } as RunningJob;
}
