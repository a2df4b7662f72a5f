/**
 * The data the engine port (adapter.ts) exchanges: what a request asks for and
 * what an engine answers. Shared by every engine; the fields only some engines
 * act on say which capability (capabilities.ts) they belong to.
 */
import type { DeliveryMode } from '../engine/index.ts';
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
  readonly mode: DeliveryMode;
  /** Time between periodic commits (exactly-once). */
  readonly commitIntervalMs?: number;
}

export const DEFAULT_DELIVERY: Required<Delivery> = { mode: 'exactly-once', commitIntervalMs: 500 };

export interface StartJobRequest {
  readonly requestId: string;
  /** The id the orchestrator gives the job; starting an id that already runs is a no-op returning it. */
  readonly jobId: string;
  /** Path of the job module (e.g. `examples/fraud/v2.ts`), or of the jar of a Flink job. */
  readonly job: string;
  /** A Flink job's entry class and program arguments (args.ts in engines/flink lists the placeholders filled in). */
  readonly flink?: FlinkJobRef;
  readonly parallelism?: number;
  readonly inputs: readonly string[];
  /**
   * Restore from a savepoint, or start with empty state at a position of the input.
   * With `delta` (fast cold handoff only): a standby that restored `delta.base` ahead
   * (`restoreStandby`) applies the delta and starts; anything else refuses with
   * ENGINE_DELTA_UNUSABLE, and the caller starts from the full `savepoint` instead.
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
  /**
   * Start, restore, then hold before reading any input (a `runUntilOffsets` follows
   * and sets the limit). Only for an engine with the warm handoff capability.
   */
  readonly holdAtStart?: boolean;
  /** Output guarantee; DEFAULT_DELIVERY when absent. */
  readonly delivery?: Delivery;
  /** Checkpoints and restarts after a crash; none when absent (as a job started before they existed). */
  readonly recovery?: JobRecovery;
}

/**
 * How a job survives a crash of its process, modelled on Flink's restart
 * strategies: `fixed-delay` waits `delayMs` between restarts and gives up after
 * `attempts`; `exponential-delay` starts at `initialDelayMs`, multiplies each
 * delay up to `maxDelayMs`, gives up after `attempts` restarts in a row, and
 * starts counting again once the job has run `resetAfterMs` without failing.
 */
export type RestartStrategy =
  | { readonly type: 'none' }
  | { readonly type: 'fixed-delay'; readonly attempts: number; readonly delayMs: number }
  | { readonly type: 'exponential-delay'; readonly attempts: number; readonly initialDelayMs: number; readonly maxDelayMs: number; readonly multiplier: number; readonly resetAfterMs: number };

/**
 * Periodic checkpoints (exactly-once output commits at each one, so `intervalMs`
 * is also how often output becomes visible) and the restart strategy a crashed
 * job is restarted from its latest checkpoint with. No checkpoints: no restarts.
 */
export interface JobRecovery {
  readonly checkpoints?: { readonly intervalMs: number; readonly retained: number } | undefined;
  readonly restart: RestartStrategy;
}

/** A job to pre-start as a standby: everything of a start except where its state comes from. */
export type StandbyRequest = Omit<StartJobRequest, 'from' | 'holdAtStart'>;

export interface StartJobResult {
  readonly jobId: string;
  /** True when a waiting standby of this job id was activated instead of starting a new process. */
  readonly standby?: boolean;
}

/** What names a Flink job beside its jar. */
export interface FlinkJobRef {
  readonly entryClass: string;
  /** Program arguments; pitlane's own contract (`--bootstrap-servers … --input … --output …`) when absent. */
  readonly args?: readonly string[];
  /**
   * Flink configuration for the job's runs, sent as the run request's `flinkConfiguration`
   * (Flink 1.17+): what the job does not set itself, e.g. its restart strategy.
   */
  readonly flinkConfiguration?: Readonly<Record<string, string>>;
}

export interface SavepointRequest {
  readonly requestId: string;
  /**
   * Stop only: first advance every source's watermark to +∞ so that every timer and
   * window fires and is written (a decommission; never for a handoff, where the new
   * version must fire them). Flink's `--drain`.
   */
  readonly drain?: boolean;
  /** Directory under which the adapter creates the savepoint; the adapter's default when absent. */
  readonly targetDir?: string;
  /**
   * Savepoint only (the job keeps running), fast cold handoff only: record the keys
   * touched from here on, so a later `stopWithDelta` can hand over just the changes
   * since this savepoint.
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
  /**
   * From an engine that cannot cut its output exactly at a savepoint of a running job
   * (Flink: its exactly-once sink commits the savepoint's transaction after the next
   * one has begun): end offsets of the output topic read before the savepoint was
   * triggered. Everything caused by input at or after `sourceOffsets` is after them;
   * output of earlier input may be too, which a reader tells apart by its lineage.
   */
  readonly outputFrom?: readonly TopicPartitionOffset[];
  /** The highest per-partition event-time watermark in the savepoint (ms), if any. */
  readonly watermark?: number;
  /**
   * A stop only, from an engine that does not report it in `metrics` once stopped
   * (Flink): epoch ms when the job's last output became visible.
   */
  readonly lastOutputAt?: number;
}

/** `standby`: started ahead of time by `prepareStandby`, waiting for the state to start from. */
/** `restarting`: its process died and the engine restarts it (the restart strategy's delay, then a restore from its latest checkpoint). */
export type JobState = 'starting' | 'standby' | 'running' | 'holding' | 'restarting' | 'stopping' | 'finished' | 'cancelled' | 'failed' | 'unknown';

export interface JobStatus {
  readonly jobId: string;
  readonly state: JobState;
  /** Why a job failed, as the engine says it. */
  readonly failure?: string;
  /** Next input offset per source partition (what it has consumed so far). */
  readonly positions: readonly TopicPartitionOffset[];
  readonly sinkTopic: string;
  /** How often the engine has restarted the job after a crash (since it was started). */
  readonly restarts?: number;
  /** The last crash: when, and why (its exit and the end of its log). */
  readonly lastFailure?: { readonly at: number; readonly reason: string };
}

export interface JobWatermark {
  /** The job's operator watermark: the minimum over active source partitions (ms). */
  readonly watermark: number;
  readonly perPartition: readonly (TopicPartitionOffset & { readonly watermark: number })[];
  /** Per vertex of the job graph, where the engine has one (Flink): the lowest input watermark of its subtasks. */
  readonly perVertex?: readonly { readonly vertex: string; readonly name: string; readonly watermark?: number }[];
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

/** The job a preflight plans a restore into. */
export interface PreflightJob {
  readonly job: string;
  readonly flink?: FlinkJobRef;
  readonly parallelism?: number;
  readonly allowNonRestoredState?: boolean;
  readonly inputs?: readonly string[];
  readonly sinkTopic?: string;
}

export interface PreflightReport {
  /** True when the candidate can restore the savepoint as asked. */
  readonly compatible: boolean;
  /** One line per refusal: the operator, the state and the flag or change that fixes it. */
  readonly refusals: readonly string[];
  /** Non-blocking notes (e.g. a new state field with a default). */
  readonly notes: readonly string[];
}
