/**
 * A running job's commit points (design.md §4): all output flushed, a snapshot
 * taken, `beforeCommit` run, the output committed, then `afterCommit`. Every
 * method here is called under the job's lock (lock.ts) only: nothing may be
 * processed between the flush, the snapshot and the commit.
 */
import type { JobSnapshot } from '../snapshot/model.ts';
import type { AssembledJob } from './assemble.ts';
import { takeJobSnapshot } from './snapshot.ts';
import { stopTracking, takeJobDelta, type JobDelta } from './delta.ts';
import type { CommitHooks } from './job-api.ts';

export class CommitPoints {
  constructor(
    private readonly job: AssembledJob,
    private readonly hooks: CommitHooks | undefined,
  ) {}

  /** Sends what sinks buffered, then the dead letters. */
  async flush(): Promise<void> {
    for (const s of this.job.sinks) await s.flush();
    const letters = this.job.dead.take();
    // Without Kafka (in-process jobs) dead letters stay in `deadLetters.recent`.
    if (letters.length > 0 && this.job.output) await this.job.output.queue(this.job.dead.topic, letters);
  }

  snapshot(type: 'savepoint' | 'checkpoint'): JobSnapshot {
    const { definition, ops, parallelism, clock } = this.job;
    return takeJobSnapshot(definition, ops, parallelism, clock.now(), type);
  }

  async commitPoint(type: 'savepoint' | 'checkpoint'): Promise<JobSnapshot> {
    const hooks = this.hooks;
    await this.flush();
    const snap = this.snapshot(type);
    await this.job.output?.commit(hooks ? (tx) => hooks.beforeCommit(snap, tx) : undefined);
    if (!this.job.output && hooks) await hooks.beforeCommit(snap, undefined);
    await hooks?.afterCommit?.(snap);
    return snap;
  }

  /**
   * A periodic commit point needs a snapshot only for the hooks (the checkpoint
   * written with the output); without hooks, encoding the whole state would be waste.
   */
  async commitOutput(): Promise<void> {
    if (this.hooks) {
      await this.commitPoint('checkpoint');
      return;
    }
    await this.flush();
    await this.job.output?.commit();
  }

  /**
   * The stop's commit point, after the last batch: with `drain`, every window and
   * event-time timer fires first. A snapshot is taken when one is asked for or the
   * hooks need one (a final checkpoint).
   */
  async final(drain: boolean, savepoint: boolean): Promise<JobSnapshot | undefined> {
    if (drain) for (const s of this.job.sources) s.processWatermark(Number.POSITIVE_INFINITY);
    if (this.hooks || savepoint) return this.commitPoint(savepoint ? 'savepoint' : 'checkpoint');
    await this.flush();
    await this.job.output?.commit();
    return undefined;
  }

  /** The quiesce's commit: output flushed and committed, the delta since `base` taken, tracking ended. */
  async quiesce(base: string | undefined): Promise<JobDelta | undefined> {
    const { definition, ops, parallelism, clock } = this.job;
    await this.flush();
    await this.job.output?.commit();
    const delta = base !== undefined ? takeJobDelta(definition, ops, parallelism, base, clock.now()) : undefined;
    stopTracking(ops);
    return delta;
  }
}
