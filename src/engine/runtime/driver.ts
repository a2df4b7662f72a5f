/**
 * The thin driver of a running job's state machine (lifecycle/): it keeps the
 * current lifecycle, asks `transition` what an event means, and performs the
 * effects — timers, readers, source loops, the final commit point, the output —
 * reporting what each one finishes as the next event. Every decision is the
 * transition's; the driver only holds the resources the effects act on.
 */
import type { RecordReader } from '../../kafka/port.ts';
import { ConfigError, describeUnknown } from '../../errors.ts';
import type { JobSnapshot } from '../snapshot/model.ts';
import { applyDelta, type AssembledJob } from './assemble.ts';
import type { CommitPoints } from './commit-points.ts';
import { BatchLock } from './lock.ts';
import { addKafkaPartitions } from './source-io.ts';
import { runItemsSource, runKafkaSource, type SourceLoopContext } from './source-loops.ts';
import type { EngineDeps, RunOptions } from './job-api.ts';
import { admits, initialLifecycle, stopBegun, type RunnerEffect, type RunnerEvent, type RunnerLifecycle } from './lifecycle/model.ts';
import { transition } from './lifecycle/transition.ts';

export class RunnerDriver {
  readonly lock = new BatchLock();
  private current: RunnerLifecycle = initialLifecycle();
  private ticker: ReturnType<typeof setInterval> | undefined;
  private checkpointer: ReturnType<typeof setTimeout> | undefined;
  /** Which chain of periodic commits is current (startTimers begins one, stopTimers ends it). */
  private checkpointChain = 0;
  private readonly readers: RecordReader[] = [];
  private loops: Promise<unknown> = Promise.resolve();
  private partitionsAt = 0;
  private last: JobSnapshot | undefined;
  private readonly settleStop: (last: JobSnapshot | undefined) => void;
  /** Settles when the job has ended (stopped, finished or failed), with the final snapshot if one was taken. */
  readonly stopped: Promise<JobSnapshot | undefined>;
  private readonly loopContext: SourceLoopContext;

  constructor(
    private readonly job: AssembledJob,
    private readonly commits: CommitPoints,
    private readonly deps: EngineDeps,
    private readonly options: RunOptions,
  ) {
    let settle!: (last: JobSnapshot | undefined) => void;
    this.stopped = new Promise((r) => (settle = r));
    this.settleStop = settle;
    this.loopContext = {
      kafka: deps.kafka,
      registry: deps.registry,
      clock: job.clock,
      logger: deps.logger,
      lock: this.lock,
      readers: this.readers,
      stopBegun: () => stopBegun(this.current),
      admitsInput: () => admits(this.current, 'input'),
      flush: () => commits.flush(),
    };
  }

  get lifecycle(): RunnerLifecycle {
    return this.current;
  }

  /**
   * Moves the machine by `event` and performs its effects in order, each effect's
   * own event before the next effect. Rejects with the refusal, or with what a
   * start effect threw (a delta that does not fit, partitions that cannot be read).
   */
  async dispatch(event: RunnerEvent): Promise<void> {
    const t = transition(this.current, event);
    if (!t.ok) {
      throw new ConfigError(t.code, `Job ${this.job.definition.name} has already started; only a job started paused can begin.`, { hint: 'Pass startPaused: true to startJob to restore first and begin later.' });
    }
    this.current = t.next;
    for (const effect of t.effects) {
      const done = await this.perform(effect);
      if (done) await this.dispatch(done);
    }
  }

  /** Fails the job (the first failure wins); safe to call from any loop or timer. */
  readonly fail = (error: unknown): void => void this.dispatch({ type: 'fail', error });

  /** Idle partitions and processing-time timers, under the lock. */
  tick(): Promise<void> {
    return this.lock.run(async () => {
      if (!admits(this.current, 'tick')) return;
      const now = this.job.clock.now();
      for (const s of this.job.sources) s.advanceWatermark(now);
      for (const k of this.job.keyed) k.onProcessingTime(now);
      await this.commits.flush();
    });
  }

  private async perform(effect: RunnerEffect): Promise<RunnerEvent | undefined> {
    switch (effect.type) {
      case 'applyDelta':
        applyDelta(this.job, effect.delta);
        return undefined;
      case 'addPartitions':
        this.partitionsAt = this.job.clock.now();
        await addKafkaPartitions(this.job.sources, this.deps.kafka, { restore: this.options.restore, delta: effect.delta }, this.partitionsAt);
        return { type: 'partitionsAdded' };
      case 'startTimers':
        this.ticker = setInterval(() => void this.tick().catch(this.fail), this.options.tickMs ?? 200);
        this.ticker.unref();
        if (this.options.checkpointIntervalMs) {
          // The next periodic commit is due an interval after the last one ended, not on a
          // fixed beat: a commit that takes longer than the interval (a large state under
          // load) would otherwise queue the next one at once, and input would get one
          // slice between commits.
          const interval = this.options.checkpointIntervalMs;
          const chain = ++this.checkpointChain;
          const next = () => {
            this.checkpointer = setTimeout(() => {
              void this.lock
                .run(() => (admits(this.current, 'periodicCommit') ? this.commits.commitOutput() : undefined))
                .then(() => {
                  if (this.checkpointChain === chain) next();
                }, this.fail);
            }, interval);
            this.checkpointer.unref();
          };
          next();
        }
        return undefined;
      case 'startSources':
        this.loops = Promise.all(this.job.sources.map((s) => (s.spec.type === 'kafka' ? runKafkaSource(s, this.loopContext) : runItemsSource(s, this.loopContext, this.partitionsAt)).catch(this.fail)));
        void this.loops.then(() => this.dispatch({ type: 'sourcesEnded' }));
        return undefined;
      case 'stopTimers':
        clearInterval(this.ticker);
        clearTimeout(this.checkpointer);
        this.checkpointChain++; // a commit still running schedules no next one
        return undefined;
      case 'closeSources':
        await Promise.allSettled(this.readers.map((r) => r.close()));
        await this.loops;
        return { type: 'sourcesClosed' };
      case 'finalCommit':
        try {
          this.last = await this.lock.run(() => this.commits.final(effect.drain, effect.savepoint));
          return { type: 'finalCommitted' };
        } catch (error) {
          return { type: 'finalCommitFailed', error };
        }
      case 'closeOutput':
        await this.job.output?.close().catch(() => undefined);
        return { type: 'outputClosed' };
      case 'abortOutput':
        await this.job.output?.abort().catch(() => undefined);
        return { type: 'outputClosed' };
      case 'logFailure':
        this.deps.logger.error({ err: describeUnknown(effect.error) }, 'job failed');
        return undefined;
      case 'settle':
        this.settleStop(this.last);
        return undefined;
    }
  }
}
