/**
 * The engine port: the one interface through which the orchestrator drives a
 * streaming job, whatever runs it (design.md §6): `embedded` (src/engine, one
 * process per job) or, later, `flink` (Flink's REST API). The orchestrator never
 * imports an engine.
 *
 * The port is a small core every engine implements (`EngineAdapter`, here) and
 * capability interfaces for what only some engines can do (capabilities.ts: the
 * warm handoff's hold / run-until / switch-sink, the fast cold handoff's standby
 * and delta). The orchestrator finds out what an engine can do at run time with
 * the capability type guards, never from its name; the data exchanged is in
 * types.ts. This file re-exports both, so `engines/adapter.ts` is the one import.
 *
 * Idempotency contract — the reason this interface can be driven by a
 * controller that may crash at any point and resume from its durable store:
 * every call that changes something takes a `requestId`. A repeated call with a
 * requestId the adapter has already seen does NOT act again; it returns the
 * outcome of the first call (waiting for it if still in flight). The adapter
 * keeps these outcomes durably (the embedded engine next to its savepoints;
 * Flink ≥ 1.17 accepts a `triggerId` for savepoints and a fixed job id for
 * submissions). The orchestrator builds requestIds from (deployment, revision,
 * effect index), so a resumed controller re-issues exactly the same ids. The
 * capability interfaces keep the same contract.
 */
import type { EngineKind, JobMetrics, JobStatus, JobWatermark, PreflightJob, PreflightReport, SavepointRequest, SavepointResult, StartJobRequest, StartJobResult } from './types.ts';

export type * from './types.ts';
export { DEFAULT_DELIVERY } from './types.ts';
export type { DeltaStopRequest, EngineCapabilities, FastColdHandoff, PreparedStart, RestoreStandbyRequest, WarmHandoff } from './capabilities.ts';
export { capabilitiesOf, hasFastColdHandoff, hasPreparedStart, hasWarmHandoff } from './capabilities.ts';

/** What every engine does: start, savepoint, stop with savepoint, dispose of a savepoint, cancel, status, watermark, metrics, preflight, check a job. */
export interface EngineAdapter {
  readonly engine: EngineKind;
  /** Where an engine that runs its jobs elsewhere runs them (Flink: the REST endpoint); recorded with its savepoints. */
  readonly cluster?: string;

  /**
   * Starts a job (from a savepoint or from a position of its input). Resolves once
   * it runs (or holds). With the fast cold handoff: if a standby of `jobId` is
   * waiting (`prepareStandby`), it is activated with `from` instead of starting
   * anew; if the standby is gone, the job starts the ordinary way — slower, never
   * wrong.
   */
  start(request: StartJobRequest): Promise<StartJobResult>;

  /** Takes a savepoint of a running job; the job keeps running. */
  savepoint(jobId: string, request: SavepointRequest): Promise<SavepointResult>;

  /**
   * Stops a job with a final savepoint: sources stop, everything read before is
   * applied and (exactly-once sinks) committed, then the savepoint is written.
   * No output is written after it.
   */
  stopWithSavepoint(jobId: string, request: SavepointRequest): Promise<SavepointResult>;

  /**
   * Deletes a savepoint this engine wrote (its directory, or through the cluster that
   * wrote it); a savepoint that is already gone is a no-op, so a repeat is harmless.
   * Whether anything still needs it is the caller's question (the orchestrator's pins).
   */
  disposeSavepoint(location: string): Promise<void>;

  /** Stops a job without a savepoint; a job that is not running is a no-op. */
  cancel(jobId: string, request: { readonly requestId: string }): Promise<void>;

  /** State of a job; `unknown` for an id the engine has never run. Read-only. */
  status(jobId: string): Promise<JobStatus>;

  /** The job's current event-time watermark. Read-only. */
  watermark(jobId: string): Promise<JobWatermark>;

  metrics(jobId: string): Promise<JobMetrics>;

  /** Plans a restore of `savepoint` into `job` without running anything (design.md §4 preflight). */
  preflight(savepoint: string, job: PreflightJob): Promise<PreflightReport>;

  /**
   * Loads a job (its module, or its jar and entry class) without running it, so a
   * spec's files are checked before anything is started or savepointed. A ConfigError
   * naming the file and what is wrong with it. Read-only.
   */
  checkJob(job: PreflightJob): Promise<void>;
}
