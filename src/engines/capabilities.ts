/**
 * What only some engines can do, beside the core every engine implements
 * (adapter.ts). An adapter that can do one of these implements its interface
 * whole; the orchestrator asks with the type guards below, at run time, and never
 * decides by an engine's name. The lifecycle chooses a promotion plan from the
 * answers (src/orchestrator/lifecycle/plans.ts) and refuses at `canary start` a
 * spec its engines cannot carry out.
 */
import type { EngineAdapter } from './adapter.ts';
import type { DeltaStopResult, EngineKind, HoldResult, PreflightJob, StandbyRequest, SwitchSinkResult } from './types.ts';
import type { TopicPartitionOffset } from '../kafka/port.ts';

/**
 * The warm handoff: align a running job on exact input offsets, hold it there and
 * move its sink, without restoring state. A savepoint handoff's rollback uses it
 * too (the old version restarts held, runs up to where the new one stopped, then
 * takes the topic), as does `StartJobRequest.holdAtStart`.
 */
export interface WarmHandoff {
  /**
   * Stops taking input right where the job is (no target to race against),
   * commits the output of what it read, and holds. Warm handoff holds both jobs
   * first, then runs the one behind up to the other with `runUntilOffsets`.
   */
  hold(jobId: string, request: { readonly requestId: string }): Promise<HoldResult>;

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

  /** Releases a hold without changing the sink. */
  resume(jobId: string, request: { readonly requestId: string }): Promise<void>;
}

export interface RestoreStandbyRequest {
  readonly requestId: string;
  readonly savepoint: string;
  readonly allowNonRestoredState?: boolean;
}

export interface DeltaStopRequest {
  readonly requestId: string;
  /** The tracked savepoint (`trackChanges`) the delta is taken against. */
  readonly base: string;
}

/**
 * The fast cold handoff: the job that takes over is up, and has restored a recent
 * savepoint, before the old one stops; at the stop only the changes since move.
 * Without it a cold handoff stops the old job with a full savepoint and starts the
 * new one from it — slower, equally correct.
 */
export interface FastColdHandoff {
  /**
   * Pre-starts a job so that a later `start` of the same id costs only the restore:
   * its process is up, its module loaded, its Kafka clients connected and (exactly-
   * once) its transactional producer initialised. A standby reads and writes
   * nothing until `start`, so it can wait beside the job it will replace without
   * ever being a second writer. A standby (or job) of that id already up is a no-op.
   * `cancel` removes one that is no longer wanted.
   */
  prepareStandby(request: StandbyRequest): Promise<{ readonly jobId: string }>;

  /**
   * Restores `savepoint` (taken with `trackChanges`) into a waiting standby ahead of
   * time (it stays paused: reads, fires and writes nothing), so a later `start`
   * with a delta against it only applies the changes.
   */
  restoreStandby(jobId: string, request: RestoreStandbyRequest): Promise<{ readonly jobId: string; readonly base: string }>;

  /**
   * Stops a job like `stopWithSavepoint`, but answers as soon as its processing has
   * ended (output committed) and the changes since the tracked savepoint `base` are
   * written as a delta. The full savepoint of the same state follows: a
   * `stopWithSavepoint` with `targetDir: savepointLocation` waits for it (or, after a
   * grace period, the job writes it by itself).
   */
  stopWithDelta(jobId: string, request: DeltaStopRequest): Promise<DeltaStopResult>;

  /**
   * Deletes artefacts of a finished cold handoff that nothing needs any more (its base
   * savepoint and delta), never the stop's full savepoint. Only paths this engine wrote
   * are deleted; anything else is left alone. Idempotent.
   */
  discard(locations: readonly string[]): Promise<void>;
}

/**
 * Work a start can do while the job it replaces still runs, so that it is not part
 * of the pit stop (the Flink adapter finds or uploads the job's jar on the cluster).
 * Starts nothing and changes no job; `start` does whatever was not done, so a
 * prepare that fails or was never asked only makes the start slower.
 */
export interface PreparedStart {
  prepareStart(job: PreflightJob): Promise<void>;
}

const WARM: readonly (keyof WarmHandoff)[] = ['hold', 'runUntilOffsets', 'switchSink', 'resume'];
const FAST_COLD: readonly (keyof FastColdHandoff)[] = ['prepareStandby', 'restoreStandby', 'stopWithDelta', 'discard'];

const implementsAll = (adapter: object, methods: readonly string[]): boolean => methods.every((m) => typeof (adapter as Record<string, unknown>)[m] === 'function');

export function hasWarmHandoff<A extends EngineAdapter>(adapter: A): adapter is A & WarmHandoff {
  return implementsAll(adapter, WARM);
}

export function hasFastColdHandoff<A extends EngineAdapter>(adapter: A): adapter is A & FastColdHandoff {
  return implementsAll(adapter, FAST_COLD);
}

export function hasPreparedStart<A extends EngineAdapter>(adapter: A): adapter is A & PreparedStart {
  return implementsAll(adapter, ['prepareStart']);
}

/** What an engine can do, as plain data: the input of the lifecycle's plan choice (a pure function). */
export interface EngineCapabilities {
  readonly engine: EngineKind;
  readonly warmHandoff: boolean;
  readonly fastColdHandoff: boolean;
}

export function capabilitiesOf(adapter: EngineAdapter): EngineCapabilities {
  return { engine: adapter.engine, warmHandoff: hasWarmHandoff(adapter), fastColdHandoff: hasFastColdHandoff(adapter) };
}
