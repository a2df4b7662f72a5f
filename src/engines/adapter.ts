/**
 * The one interface through which the orchestrator drives a streaming job,
 * whatever runs it (design.md §6): `embedded` (src/engine, one process) or
 * `flink` (Flink's REST API). The orchestrator never imports an engine.
 *
 * Idempotency contract — the reason this interface can be driven by a
 * controller that may crash at any point and resume from its durable store:
 * every call that changes something takes a `requestId`. A repeated call with a
 * requestId the adapter has already seen does NOT act again; it returns the
 * outcome of the first call (waiting for it if still in flight). The adapter
 * keeps these outcomes durably (the embedded engine next to its savepoints;
 * Flink ≥ 1.17 accepts a `triggerId` for savepoints and a fixed job id for
 * submissions). The orchestrator builds requestIds from (deployment, revision,
 * effect index), so a resumed controller re-issues exactly the same ids.
 */
import type { TopicPartitionOffset } from '../kafka/port.ts';

export type EngineKind = 'embedded' | 'flink';

/** Where a job's sources start when it is not restored from a savepoint. */
export type InputStart = 'earliest' | 'latest' | { readonly timestamp: number };

/**
 * How a job's output reaches `read_committed` readers. `exactly-once` (the
 * default): one Kafka transaction per job (transactional id = the job's
 * identity), committed at every commit point — each `commitIntervalMs`, at hold,
 * runUntil, switchSink, savepoint and stop, and at once after the first output
 * to a new topic. Output is visible when committed. `at-least-once`: an
 * idempotent producer, output visible when written.
 */
export interface Delivery {
  readonly mode: 'exactly-once' | 'at-least-once';
  /** Time between periodic commits (exactly-once). */
  readonly commitIntervalMs?: number;
}

export const DEFAULT_DELIVERY: Required<Delivery> = { mode: 'exactly-once', commitIntervalMs: 500 };

export interface StartJobRequest {
  readonly requestId: string;
  /** The id the orchestrator gives the job; starting an id that already runs is a no-op returning it. */
  readonly jobId: string;
  /** Path of the job module (e.g. `examples/fraud/v2.ts`). */
  readonly job: string;
  readonly parallelism?: number;
  readonly inputs: readonly string[];
  /**
   * Restore from a savepoint, or start with empty state at a position of the input.
   * With `delta`: a standby that restored `delta.base` ahead (`restoreStandby`) applies
   * the delta and starts; anything else refuses with ENGINE_DELTA_UNUSABLE, and the
   * caller starts from the full `savepoint` instead.
   */
  readonly from:
    | { readonly savepoint: string; readonly allowNonRestoredState?: boolean; readonly delta?: DeltaRef }
    | { readonly input: InputStart };
  /** The topic the job's sink writes to (the canary topic while shadowing). */
  readonly sinkTopic: string;
  /**
   * The job's own consumer identity: the prefix of its consumer group and of its
   * sink's transactional ids, so a candidate never fences or shares offsets with
   * the authoritative job.
   */
  readonly identity: string;
  /** Start, restore, then hold before reading any input (a `runUntil` follows and sets the limit). */
  readonly holdAtStart?: boolean;
  /** Output guarantee; DEFAULT_DELIVERY when absent. */
  readonly delivery?: Delivery;
}

/** A job to pre-start as a standby: everything of a start except where its state comes from. */
export type StandbyRequest = Omit<StartJobRequest, 'from' | 'holdAtStart'>;

export interface StartJobResult {
  readonly jobId: string;
  /** True when a waiting standby of this job id was activated instead of starting a new process. */
  readonly standby?: boolean;
}

export interface SavepointRequest {
  readonly requestId: string;
  /** Directory under which the adapter creates the savepoint; the adapter's default when absent. */
  readonly targetDir?: string;
  /**
   * Savepoint only (the job keeps running): record the keys touched from here on, so
   * a later `stopWithDelta` can hand over just the changes since this savepoint.
   */
  readonly trackChanges?: boolean;
}

/** A delta (the changes since a tracked savepoint) handed over at a stop. */
export interface DeltaRef {
  /** Where the delta is (a file for the embedded engine). */
  readonly location: string;
  /** The tracked savepoint (its location) it applies to. */
  readonly base: string;
}

export interface DeltaStopResult {
  /** The delta; absent when the job could not give one (it was not tracking `base`): use the full savepoint. */
  readonly delta?: DeltaRef & { readonly keys: number; readonly bytes?: number };
  readonly reason?: string;
  /** Where the full savepoint of the same stop goes; `stopWithSavepoint` with this targetDir waits for it. */
  readonly savepointLocation: string;
  /** Next input offset per source partition at the stop. */
  readonly sourceOffsets?: readonly TopicPartitionOffset[];
  /** Epoch ms when the job had stopped and the delta was written. */
  readonly stoppedAt: number;
  readonly lastOutputAt?: number;
}

export interface SavepointResult {
  /** Where the savepoint is (a directory for the embedded engine, a URI for Flink). */
  readonly location: string;
  /** Next input offset per source partition: the exact position the savepoint resumes from. */
  readonly sourceOffsets: readonly TopicPartitionOffset[];
  /** Epoch ms when it completed (the engine's clock). */
  readonly completedAt: number;
  /**
   * End offsets of the job's output topic at the savepoint: everything before was
   * caused by input before `sourceOffsets`. A shadow comparison starts the
   * authoritative side here, where the forked candidate starts.
   */
  readonly outputOffsets?: readonly TopicPartitionOffset[];
  /** The highest per-partition event-time watermark in the savepoint (ms), if any. */
  readonly watermark?: number;
}

/** `standby`: started ahead of time by `prepareStandby`, waiting for the state to start from. */
export type JobState = 'starting' | 'standby' | 'running' | 'holding' | 'stopping' | 'finished' | 'cancelled' | 'failed' | 'unknown';

export interface JobStatus {
  readonly jobId: string;
  readonly state: JobState;
  /** Why a job failed, as the engine says it. */
  readonly failure?: string;
  /** Next input offset per source partition (what it has consumed so far). */
  readonly positions: readonly TopicPartitionOffset[];
  readonly sinkTopic: string;
}

export interface JobWatermark {
  /** The job's operator watermark: the minimum over active source partitions (ms). */
  readonly watermark: number;
  readonly perPartition: readonly (TopicPartitionOffset & { readonly watermark: number })[];
}

export interface JobMetrics {
  readonly recordsIn: number;
  readonly recordsOut: number;
  /** Input records behind the end of the input topics, summed over partitions. */
  readonly inputLag: number;
  /** Records per second in, over the engine's recent measurement interval. */
  readonly inRate: number;
  /** Epoch ms of the last record written by the sink, if any. */
  readonly lastOutputAt?: number;
  /** Epoch ms of the first record the sink wrote to its current topic, if any. */
  readonly firstOutputAt?: number;
  /** Bytes of keyed state held. */
  readonly stateBytes?: number;
}

export interface HoldResult {
  /** The offsets the job is held at: it has consumed exactly up to (excluding) these. */
  readonly positions: readonly TopicPartitionOffset[];
  /** Epoch ms of the last output record written (and committed) before the hold. */
  readonly lastOutputAt?: number;
}

export interface SwitchSinkResult {
  readonly from: string;
  readonly to: string;
  /** Epoch ms when the switched sink wrote its first record; absent if none yet. */
  readonly firstOutputAt?: number;
}

export interface PreflightReport {
  /** True when the candidate can restore the savepoint as asked. */
  readonly compatible: boolean;
  /** One line per refusal: the operator, the state and the flag or change that fixes it. */
  readonly refusals: readonly string[];
  /** Non-blocking notes (e.g. a new state field with a default). */
  readonly notes: readonly string[];
}

export interface EngineAdapter {
  readonly engine: EngineKind;

  /**
   * Starts a job (from a savepoint or from a position of its input). Resolves once
   * it runs (or holds). If a standby of `jobId` is waiting (`prepareStandby`), it
   * is activated with `from` instead of starting anew; if the standby is gone, the
   * job starts the ordinary way — slower, never wrong.
   */
  start(request: StartJobRequest): Promise<StartJobResult>;

  /**
   * Pre-starts a job so that a later `start` of the same id costs only the restore:
   * its process is up, its module loaded, its Kafka clients connected and (exactly-
   * once) its transactional producer initialised. A standby reads and writes
   * nothing until `start`, so it can wait beside the job it will replace without
   * ever being a second writer. A standby (or job) of that id already up is a no-op.
   * `cancel` removes one that is no longer wanted.
   */
  prepareStandby(request: StandbyRequest): Promise<{ readonly jobId: string }>;

  /** Takes a savepoint of a running job; the job keeps running. */
  savepoint(jobId: string, request: SavepointRequest): Promise<SavepointResult>;

  /**
   * Restores `savepoint` into a waiting standby ahead of time (it stays paused:
   * reads, fires and writes nothing), so a later `start` with a delta against it
   * only applies the changes. Optional: an engine without it runs the plain cold handoff.
   */
  restoreStandby?(jobId: string, request: { readonly requestId: string; readonly savepoint: string; readonly allowNonRestoredState?: boolean }): Promise<{ readonly jobId: string; readonly base: string }>;

  /**
   * Stops a job like `stopWithSavepoint`, but answers as soon as its processing has
   * ended (output committed) and the changes since the tracked savepoint `base` are
   * written as a delta. The full savepoint of the same state follows: a
   * `stopWithSavepoint` with `targetDir: savepointLocation` waits for it (or, after a
   * grace period, the job writes it by itself). Optional, like `restoreStandby`.
   */
  stopWithDelta?(jobId: string, request: { readonly requestId: string; readonly base: string }): Promise<DeltaStopResult>;

  /**
   * Deletes artefacts of a finished cold handoff that nothing needs any more (its base
   * savepoint and delta), never the stop's full savepoint. Only paths this engine wrote
   * are deleted; anything else is left alone. Optional; idempotent.
   */
  discard?(locations: readonly string[]): Promise<void>;

  /**
   * Stops a job with a final savepoint: sources stop, everything read before is
   * applied and (exactly-once sinks) committed, then the savepoint is written.
   * No output is written after it.
   */
  stopWithSavepoint(jobId: string, request: SavepointRequest): Promise<SavepointResult>;

  /** Stops a job without a savepoint; a job that is not running is a no-op. */
  cancel(jobId: string, request: { readonly requestId: string }): Promise<void>;

  /** State of a job; `unknown` for an id the engine has never run. Read-only. */
  status(jobId: string): Promise<JobStatus>;

  /** The job's current event-time watermark. Read-only. */
  watermark(jobId: string): Promise<JobWatermark>;

  metrics(jobId: string): Promise<JobMetrics>;

  /**
   * Runs the job until its sources have consumed exactly up to (excluding) the
   * given offsets, commits its output, then holds: no more input is read until
   * `switchSink`, `resume`, `stopWithSavepoint` or `cancel`. A job already past an
   * offset refuses (EngineError `ENGINE_PAST_OFFSETS`): the caller chooses
   * targets at or beyond both jobs' positions. Resolves when held.
   */
  runUntilOffsets(jobId: string, offsets: readonly TopicPartitionOffset[], request: { readonly requestId: string }): Promise<HoldResult>;

  /**
   * On a held job, switches the sink from its current topic to `to` and resumes
   * input. Output caused by input before the hold went to the old topic; output
   * caused by input at or after it goes to the new topic, in the sink's
   * transactions (exactly-once), without restoring state. With `keepHold` the
   * job stays held: a warm handoff fences the old job's sink onto the canary
   * topic this way, so nothing it might still emit (a processing-time timer)
   * can reach the authoritative topic while its savepoint is written.
   */
  switchSink(jobId: string, to: string, request: { readonly requestId: string; readonly keepHold?: boolean }): Promise<SwitchSinkResult>;

  /**
   * Stops taking input right where the job is (no target to race against),
   * commits the output of what it read, and holds. Warm handoff holds both jobs
   * first, then runs the one behind up to the other with `runUntilOffsets`.
   */
  hold(jobId: string, request: { readonly requestId: string }): Promise<HoldResult>;

  /** Releases a hold without changing the sink. */
  resume(jobId: string, request: { readonly requestId: string }): Promise<void>;

  /** Plans a restore of `savepoint` into `job` without running anything (design.md §4 preflight). */
  preflight(savepoint: string, job: { readonly job: string; readonly parallelism?: number; readonly allowNonRestoredState?: boolean; readonly inputs?: readonly string[]; readonly sinkTopic?: string }): Promise<PreflightReport>;
}
