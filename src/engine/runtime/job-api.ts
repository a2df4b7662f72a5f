/**
 * The API of a running job (startJob in runner.ts): what it needs, how it is run,
 * and what the caller can do with it — status, commit points, snapshots, stop.
 */
import type { KafkaPort, Transaction } from '../../kafka/port.ts';
import type { SchemaRegistryPort } from '../../kafka/registry.ts';
import type { Logger } from '../../logger.ts';
import type { JobSnapshot } from '../snapshot/model.ts';
import type { JobDelta } from './delta.ts';
import type { Clock } from '../../clock.ts';
import type { DeadLetterBuffer } from './dead-letters.ts';
import type { RunnerStatus } from './status.ts';
import type { OutputChannel } from './output.ts';

export interface EngineDeps {
  /** Needed by Kafka sources and sinks (and the dead-letter topic). */
  readonly kafka?: KafkaPort;
  readonly registry?: SchemaRegistryPort | undefined;
  readonly logger: Logger;
  readonly clock?: Clock;
}

export interface RunOptions {
  readonly parallelism?: number;
  readonly params?: Readonly<Record<string, string>>;
  /** Start from this snapshot: keyed state, timers, source offsets and watermarks. */
  readonly restore?: JobSnapshot;
  /** Overrides the job's dead-letter topic. */
  readonly deadLetterTopic?: string;
  /** How often idle partitions and processing-time timers are checked (ms). Default 200. */
  readonly tickMs?: number;
  /**
   * Where sinks and dead letters write. Default: an at-least-once (idempotent)
   * producer. The checkpoint coordinator passes an exactly-once channel it opened
   * (and fenced with) before choosing the checkpoint to restore.
   */
  readonly output?: OutputChannel;
  /** Run at every commit point (periodic checkpoint, snapshot(), final stop). */
  readonly commitHooks?: CommitHooks;
  /** Take a commit point ('checkpoint') this often (ms). None when absent. */
  readonly checkpointIntervalMs?: number;
  /**
   * Restore, then wait: no input is read, no timer fires and nothing is written until
   * `begin` (which may apply a delta first). A cold handoff's standby restores the
   * base savepoint this way while the old job still runs.
   */
  readonly startPaused?: boolean;
}

export interface SnapshotOptions {
  /**
   * Start recording the keys touched after this snapshot, for a delta against it
   * (`quiesce(base)`); the value names the base. A later tracked snapshot replaces it.
   */
  readonly trackChanges?: string;
}

/**
 * A commit point happens between batches: all output flushed, a snapshot taken,
 * `beforeCommit` run (e.g. write the checkpoint and add its id to the transaction),
 * then the output committed, then `afterCommit` (e.g. prune old checkpoints).
 * A hook that throws fails the job (no tolerated checkpoint failures): the open
 * transaction is then aborted and recovery starts from the last committed point.
 */
export interface CommitHooks {
  beforeCommit(snapshot: JobSnapshot, tx: Transaction | undefined): Promise<void>;
  afterCommit?(snapshot: JobSnapshot): Promise<void>;
}

export interface StopOptions {
  /** Advance every source's watermark to +∞ first, so every event-time timer and window fires and is written. */
  readonly drain?: boolean;
  /** Return the final snapshot (taken after the last output, at the final commit point). */
  readonly snapshot?: boolean;
}

export interface RunningJob {
  status(): RunnerStatus;
  /**
   * A consistent snapshot between batches: a commit point (all output of processed
   * records flushed and, exactly-once, committed; commit hooks run).
   */
  snapshot(type?: 'savepoint' | 'checkpoint', options?: SnapshotOptions): Promise<JobSnapshot>;
  /**
   * Stops processing for good at a batch boundary — no more batches, timers or
   * periodic commits — and commits the output. Resolves to the delta since the
   * tracked base `base` (undefined when not tracking that base); change tracking
   * ends here. The frozen state can still be snapshotted; then `stop` the job.
   */
  quiesce(base?: string): Promise<JobDelta | undefined>;
  /** Starts a job started paused (options.startPaused), after applying `delta` (taken against the restored base). */
  begin(delta?: JobDelta): Promise<void>;
  /**
   * A commit point now, between batches: all output so far flushed and (exactly-once)
   * committed. With commit hooks it is a checkpoint; without, no snapshot is taken.
   */
  commit(): Promise<void>;
  /**
   * Stops reading, optionally drains, makes a final commit point, closes the producer.
   * Resolves to the final snapshot when `snapshot` was asked for (or hooks exist).
   */
  stop(options?: StopOptions): Promise<JobSnapshot | undefined>;
  /** Settles when the job ends: bounded sources done, stopped, or failed (rejects). */
  readonly finished: Promise<void>;
  /** Runs one tick now (idle partitions, processing-time timers) — for tests with a manual clock. */
  tick(): Promise<void>;
  /** Switches a Kafka sink to another topic from the next flush on. */
  redirectSink(uid: string, topic: string): void;
  /** Dead letters seen so far (the most recent 100), e.g. for jobs without Kafka. */
  readonly deadLetters: DeadLetterBuffer;
}
