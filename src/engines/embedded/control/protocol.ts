/**
 * The job control channel's protocol, in one map: every command a job host
 * serves, its request, and what each kind of job host answers. The client
 * (client.ts `callJob`) and the hosts (../host) are both typed from it.
 *
 * Two kinds of job host run through the same host (../host/host.ts):
 * - `managed`: a job the orchestrator runs through the embedded adapter, one
 *   detached process per job (../host/managed.ts);
 * - `standalone`: a job started by `pitlane run` (../host/standalone.ts).
 * They answer some commands differently (a standalone job names its savepoint
 * `path`, a managed one `location`); `never` marks a command a kind does not
 * serve, which it answers with CONTROL_UNKNOWN_COMMAND and the commands it knows.
 *
 * On the wire: POST /<command> with the request as JSON; the answer is
 * `{ ok: true, result }` or `{ ok: false, error }` (server.ts).
 */
import type { TopicPartitionOffset } from '../../../kafka/port.ts';
import type { RunnerStatus as EngineJobStatus } from '../../../engine/index.ts';
import type { HoldResult, InputStart, JobMetrics, JobState, SavepointResult, SwitchSinkResult } from '../../adapter.ts';

export type HostKind = 'managed' | 'standalone';

/** A request without fields. */
export type Empty = Readonly<Record<string, never>>;

/** A delta to apply on top of the base a standby restored ahead of time (`prerestore`). */
export interface DeltaRef {
  /** The delta file. */
  readonly location: string;
  /** The tracked savepoint it applies to (its directory). */
  readonly base: string;
}

/** Where a managed job's state comes from: a savepoint (with a delta on top of a base restored ahead), or empty state at a position of the input. */
export type HostStart = { readonly savepoint: string; readonly allowNonRestoredState?: boolean | undefined; readonly delta?: DeltaRef | undefined } | { readonly input: InputStart };

/** A managed job's view of itself: what the adapter's `status` reports. */
export interface HostStatus {
  readonly jobId: string;
  readonly state: JobState | 'stopped';
  readonly positions: readonly TopicPartitionOffset[];
  readonly sinkTopic: string;
  readonly held: boolean;
  readonly job: { readonly name: string; readonly version: string };
  /** A standby that restored a base savepoint ahead of time (`prerestore`): its directory. */
  readonly base?: string;
}

export interface HostMetrics extends JobMetrics {
  readonly firstOutputAt?: number;
  readonly watermark: number;
}

export interface SavepointRequest {
  /** The savepoint directory (new). A managed job is always told; a standalone job has a default. */
  readonly dir?: string;
  /** Managed: record the keys touched from this savepoint on, for a later stop with a delta against it. */
  readonly trackChanges?: boolean;
}

/** A savepoint a standalone job wrote. */
export interface WrittenSavepoint {
  readonly path: string;
  readonly bytes: number;
  readonly sourceOffsets: readonly TopicPartitionOffset[];
}

export interface StopRequest {
  /** The savepoint directory to write after the last output (`pitlane stop` sends it as both `dir` and `savepointDir`). */
  readonly dir?: string;
  /** Standalone: the savepoint directory; wins over `dir`. */
  readonly savepointDir?: string;
  /** Standalone: advance every watermark to +∞ first, so every event-time timer and window fires and is written. */
  readonly drain?: boolean;
  /** Managed: answer once processing has ended and the changes since the tracked savepoint `base` are in `file`; the full savepoint follows. */
  readonly delta?: { readonly base: string; readonly file: string };
}

/** What a managed job answers when it stops with a delta (before its full savepoint is written). */
export interface DeltaStop {
  /** Absent when the job was not tracking changes against the asked base: restore the full savepoint. */
  readonly delta?: DeltaRef & { readonly keys: number; readonly bytes: number; readonly sourceOffsets: readonly TopicPartitionOffset[] };
  /** Why there is no delta. */
  readonly reason?: string;
  /** When the job had stopped (its last output committed) and the delta was written. */
  readonly stoppedAt: number;
}

/** A managed job's answer to `stop`: its savepoint (when a directory was named) or, asked for a delta, the delta; and its last metrics. */
export type ManagedStop = ({ readonly savepoint?: SavepointResult } | DeltaStop) & { readonly metrics: HostMetrics };

/** A standalone job's answer to `stop`: its final savepoint, or only that it stopped (none asked, or it was already stopping). */
export type StandaloneStop = WrittenSavepoint | { readonly stopped: string };

/** A base savepoint to restore ahead of time into a waiting standby. */
export interface BaseRequest {
  readonly savepoint: string;
  readonly allowNonRestoredState?: boolean;
}

/** command → request → answer of each kind of host. */
export interface ControlProtocol {
  status: { request: Empty; managed: HostStatus; standalone: EngineJobStatus };
  metrics: { request: Empty; managed: HostMetrics; standalone: never };
  savepoint: { request: SavepointRequest; managed: SavepointResult; standalone: WrittenSavepoint };
  /** Commit what the job read, then read no further input. */
  hold: { request: Empty; managed: HoldResult; standalone: never };
  /** Read exactly up to (excluding) these offsets, commit, then hold. */
  runUntil: { request: { readonly offsets: readonly TopicPartitionOffset[] }; managed: HoldResult; standalone: never };
  /** Redirect the sink; release the hold unless `keepHold`, then wait (bounded) for the first output there. */
  switchSink: { request: { readonly to: string; readonly keepHold?: boolean; readonly waitFirstOutputMs?: number }; managed: SwitchSinkResult; standalone: never };
  resume: { request: Empty; managed: Empty; standalone: never };
  /** When output first became visible on `topic` (default: the sink topic), waiting up to `waitMs`. */
  firstOutput: { request: { readonly topic?: string; readonly waitMs?: number }; managed: { readonly firstOutputAt: number | null }; standalone: never };
  stop: { request: StopRequest; managed: ManagedStop; standalone: StandaloneStop };
  /** Start a waiting standby from `from`; repeated with the same `from`, the same answer. */
  activate: { request: { readonly from: HostStart }; managed: { readonly activated: true; readonly delta: boolean }; standalone: never };
  /** Restore a base savepoint into a waiting standby, paused, for a later `activate` with a delta against it. */
  prerestore: { request: { readonly from: BaseRequest }; managed: { readonly base: string }; standalone: never };
}

export type Command = keyof ControlProtocol;
export type RequestOf<C extends Command> = ControlProtocol[C]['request'];
/** What a host of kind `K` answers to `C`; without `K`, what any host may answer. */
export type AnswerOf<C extends Command, K extends HostKind = HostKind> = ControlProtocol[C][K];
/** The commands a host of kind `K` serves. */
export type CommandOf<K extends HostKind> = { [C in Command]: [ControlProtocol[C][K]] extends [never] ? never : C }[Command];

export type ControlHandler<C extends Command, K extends HostKind = HostKind> = (request: RequestOf<C>) => Promise<AnswerOf<C, K>>;
/** The handler table of a host of kind `K`: one handler for every command it serves. */
export type ControlHandlers<K extends HostKind> = { readonly [C in CommandOf<K>]: ControlHandler<C, K> };
/** Any subset of commands with any kind's answers: what the server serves. */
export type ServedHandlers = { readonly [C in Command]?: ControlHandler<C> };
