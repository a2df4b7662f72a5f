/**
 * Savepoint retention (pure): which savepoints of the history a policy disposes of,
 * and which savepoints a deployment still needs (pins), which no policy and no
 * explicit dispose ever removes.
 *
 * The policy is the Flink Kubernetes Operator's savepoint history, per job: keep
 * the last N (`keepLast`, its history max count) and those younger than T (`maxAgeMs`,
 * its max age); either limit alone disposes of what is past it. The newest savepoint
 * of a job is always kept, whatever its age: it is the one a restart would use.
 */
import type { Deployment } from '../lifecycle/model.ts';
import { savepointId, type SavepointRecord } from './record.ts';

export interface RetentionPolicy {
  /** Keep at most this many of each job's savepoints (the newest ones); at least 1. */
  readonly keepLast?: number | undefined;
  /** Dispose of savepoints older than this (ms), the newest of each job excepted. */
  readonly maxAgeMs?: number | undefined;
}

/** Why a deployment still needs a savepoint. */
export interface Pin {
  readonly deployment: string;
  readonly reason: 'rollback' | 'fork source' | 'in flight';
}

export interface RetentionDecision {
  readonly record: SavepointRecord;
  /** Why it is kept or disposed of, in words. */
  readonly reason: string;
  readonly pin?: Pin;
}

export interface RetentionPlan {
  readonly keep: readonly RetentionDecision[];
  readonly dispose: readonly RetentionDecision[];
}

const RANK: Record<Pin['reason'], number> = { 'in flight': 0, 'fork source': 1, rollback: 2 };
const FINISHED = new Set(['Promoted', 'Aborted', 'RolledBack']);

/** A rollback has begun (phase RolledBack) and not yet completed. */
export const rollingBack = (d: Deployment): boolean => d.phase === 'RolledBack' && d.rollback?.completedAt === undefined;

/**
 * The savepoints deployments still need, by savepoint id:
 * - a promoting or promoted deployment's rollback savepoint (until a rollback completes);
 * - an unfinished deployment's fork savepoint (its candidate and noise replica start from it);
 * - every savepoint an unfinished deployment took (a step in flight may still use it).
 * A finished deployment needs nothing else: its debug and fork savepoints are the user's.
 */
export function pinsOf(deployments: readonly Deployment[], records: readonly SavepointRecord[]): Map<string, Pin> {
  const pins = new Map<string, Pin>();
  const pin = (id: string, p: Pin) => {
    // The most specific reason wins: a rollback savepoint says so even while its deployment is in flight.
    const was = pins.get(id);
    if (!was || RANK[p.reason] > RANK[was.reason]) pins.set(id, p);
  };
  for (const d of deployments) {
    const inFlight = !FINISHED.has(d.phase) || d.pending.length > 0 || rollingBack(d);
    if (inFlight) {
      for (const r of records) if (r.deployment === d.name && r.generation === d.generation) pin(r.id, { deployment: d.name, reason: 'in flight' });
      if (d.fork) pin(savepointId(d.fork.savepoint.location), { deployment: d.name, reason: 'fork source' });
    }
    const rollback = d.promotion?.rollbackSavepoint;
    const rollbackPossible = d.phase === 'Promoting' || d.phase === 'Promoted' || rollingBack(d);
    if (rollback && rollbackPossible) pin(savepointId(rollback.location), { deployment: d.name, reason: 'rollback' });
  }
  return pins;
}

export function describePin(p: Pin): string {
  if (p.reason === 'rollback') return `deployment ${p.deployment} needs it for a rollback`;
  if (p.reason === 'fork source') return `deployment ${p.deployment} forked from it and is not finished`;
  return `deployment ${p.deployment} took it and is not finished`;
}

/** Applies the policy to each job's savepoints (grouped by engine and job), newest first. */
export function planRetention(records: readonly SavepointRecord[], policy: RetentionPolicy, pins: ReadonlyMap<string, Pin>, now: number): RetentionPlan {
  const keep: RetentionDecision[] = [];
  const dispose: RetentionDecision[] = [];
  const byJob = new Map<string, SavepointRecord[]>();
  for (const r of records) {
    const key = `${r.engine}/${r.job}`;
    byJob.set(key, [...(byJob.get(key) ?? []), r]);
  }
  for (const list of byJob.values()) {
    list.sort((a, b) => b.takenAt - a.takenAt || a.id.localeCompare(b.id));
    list.forEach((record, i) => {
      const pin = pins.get(record.id);
      const past = i === 0 ? undefined : pastRetention(record, i, policy, now);
      if (past === undefined) keep.push({ record, reason: i === 0 ? 'the newest of its job' : 'within retention' });
      else if (pin) keep.push({ record, reason: `${past}, but ${describePin(pin)}`, pin });
      else dispose.push({ record, reason: past });
    });
  }
  return { keep, dispose };
}

/** Why the savepoint at `index` (0 = newest of its job) is past the policy, or undefined if it is not. */
function pastRetention(r: SavepointRecord, index: number, policy: RetentionPolicy, now: number): string | undefined {
  if (policy.keepLast !== undefined && index >= policy.keepLast) return `not among the last ${policy.keepLast} of ${r.job}`;
  if (policy.maxAgeMs !== undefined && now - r.takenAt > policy.maxAgeMs) return `older than ${formatAge(policy.maxAgeMs)}`;
  return undefined;
}

function formatAge(ms: number): string {
  const units: [number, string][] = [[86_400_000, 'd'], [3_600_000, 'h'], [60_000, 'm'], [1000, 's']];
  for (const [size, unit] of units) if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

/** Checks a policy's numbers; a message naming the bad one, or undefined. */
export function policyProblem(policy: RetentionPolicy): string | undefined {
  if (policy.keepLast !== undefined && (!Number.isInteger(policy.keepLast) || policy.keepLast < 1)) return `keep-last must be a whole number of at least 1 (the newest savepoint of a job is always kept), not ${policy.keepLast}`;
  if (policy.maxAgeMs !== undefined && (!Number.isFinite(policy.maxAgeMs) || policy.maxAgeMs < 0)) return `max-age must be a duration of 0 or more, not ${policy.maxAgeMs}`;
  return undefined;
}
