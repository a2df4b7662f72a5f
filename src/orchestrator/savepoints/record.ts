/**
 * One entry of the savepoint history: a savepoint pitlane took (a CLI trigger, a
 * periodic one, a deployment's fork or handoff), kept in the durable store so every
 * pitlane process sees the same list. The entry is the only thing pitlane knows of
 * a savepoint's life: disposing of one removes its files, then its entry.
 */
import { createHash } from 'node:crypto';
import type { EngineKind, SavepointResult } from '../../engines/adapter.ts';

/** Why the savepoint was taken. */
export type SavepointTrigger =
  /** `pitlane savepoint trigger` / `pitlane flink savepoint`. */
  | 'manual'
  /** `pitlane savepoint trigger --every`. */
  | 'periodic'
  /** A stop with a savepoint outside a deployment (`pitlane flink stop`, `canary stop-job --savepoint`). */
  | 'stop'
  /** A deployment's fork: the candidate (and noise replica) start from it. */
  | 'fork'
  /** A deployment's handoff: the old job's final savepoint, kept for the rollback. */
  | 'handoff'
  /** A job a deployment stopped with a savepoint kept for debugging (abort, rollback). */
  | 'debug';

export const SAVEPOINT_TRIGGERS: readonly SavepointTrigger[] = ['manual', 'periodic', 'stop', 'fork', 'handoff', 'debug'];

export interface SavepointRecord {
  /** Derived from the location (savepointId), so recording the same savepoint twice is one entry. */
  readonly id: string;
  /** A directory (embedded) or a URI (Flink). */
  readonly location: string;
  readonly engine: EngineKind;
  /** Flink only: the REST endpoint of the cluster that wrote it (disposal goes through it). */
  readonly cluster?: string;
  /** The job's name (the engine job id). */
  readonly job: string;
  /** The deployment that took it, and its generation (a name is reused after a finished deployment). */
  readonly deployment?: string;
  readonly generation?: number;
  readonly trigger: SavepointTrigger;
  /** Epoch ms when it completed. */
  readonly takenAt: number;
}

/** A short stable id of a location: the first 12 hex digits of its sha256. */
export function savepointId(location: string): string {
  return createHash('sha256').update(location).digest('hex').slice(0, 12);
}

/** The history entry of a savepoint an engine returned. */
export function savepointRecord(
  s: Pick<SavepointResult, 'location' | 'completedAt'>,
  o: { readonly engine: EngineKind; readonly job: string; readonly trigger: SavepointTrigger; readonly cluster?: string | undefined; readonly deployment?: { readonly name: string; readonly generation: number } | undefined },
): SavepointRecord {
  return {
    id: savepointId(s.location),
    location: s.location,
    engine: o.engine,
    ...(o.cluster ? { cluster: o.cluster } : {}),
    job: o.job,
    ...(o.deployment ? { deployment: o.deployment.name, generation: o.deployment.generation } : {}),
    trigger: o.trigger,
    takenAt: s.completedAt,
  };
}
