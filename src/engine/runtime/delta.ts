/**
 * Delta snapshots: what changed in a running job since a tracked savepoint (its
 * base). A job restored from the base and then given the delta holds exactly the
 * state of a full snapshot taken where the delta was — so a cold handoff can
 * restore the big base ahead of time, while the old job still runs, and move only
 * the changes inside the pit stop.
 *
 * A delta lists, per keyed operator and key group, every key touched since the base
 * (ChangedKeys) with that key's full current entries and timers; a listed key with
 * neither is a tombstone. Applying it replaces each listed key whole (delete, then
 * insert), then the caller sets the delta's source offsets and watermarks. Values
 * are encoded with the old job's codecs, which are the base's writer codecs (same
 * job, same descriptors), and decoded by the same code a full restore uses, so a
 * rescale or a state schema change works exactly as it does for the base.
 */
import type { JobSnapshot, KeyGroupBlock, OperatorHeader, OperatorSnapshot, StateEntry, TimerEntry } from '../snapshot/model.ts';
import { operatorKindOf } from '../api/graph.ts';
import type { Operator } from '../operators/operator.ts';
import { KeyedOperator } from '../operators/keyed.ts';
import { describeOperator, encodeEntries, encodeTimers, insertBlock, sourcePositions, writerCodecs } from './snapshot.ts';

/** One key group of a delta: the listed keys are replaced whole by these entries and timers. */
export interface DeltaKeyGroup extends KeyGroupBlock {
  /** Canonical key strings; a key without entries or timers here is removed. */
  readonly keys: readonly string[];
}

export interface OperatorDelta extends OperatorHeader {
  /** The descriptors (`states`) are the ones the values are encoded with: the base's writer codecs. */
  readonly keyGroups: readonly DeltaKeyGroup[];
}

/** A snapshot's job-wide fields, with operators replaced by their deltas and the base named. */
export interface JobDelta extends Pick<JobSnapshot, 'job' | 'maxParallelism' | 'sourceOffsets' | 'watermarks' | 'createdAt'> {
  /** The id of the tracked savepoint this delta applies to. */
  readonly base: string;
  readonly operators: readonly OperatorDelta[];
}

const keyedOf = (ops: readonly Operator[]) => ops.filter((o): o is KeyedOperator => o instanceof KeyedOperator && o.node.uid !== undefined);

/** Starts recording touched keys in every keyed operator, against `baseId` (an earlier tracking is dropped). */
export function trackChanges(ops: readonly Operator[], baseId: string): void {
  for (const op of keyedOf(ops)) op.trackChanges(baseId);
}

export function stopTracking(ops: readonly Operator[]): void {
  for (const op of keyedOf(ops)) op.changes = undefined;
}

/** Keys in a delta, over all operators. */
export function deltaKeyCount(delta: Pick<JobDelta, 'operators'>): number {
  return delta.operators.reduce((n, o) => n + o.keyGroups.reduce((m, g) => m + g.keys.length, 0), 0);
}


function operatorDelta(op: KeyedOperator, parallelism: number): OperatorDelta {
  const changes = op.changes!;
  const timers = new Map<number, TimerEntry[]>();
  encodeTimers(
    op,
    (q) => q.forKeys(changes),
    (kg, t) => {
      let list = timers.get(kg);
      if (!list) timers.set(kg, (list = []));
      list.push(t);
    },
  );
  const keyGroups: DeltaKeyGroup[] = changes.byKeyGroup().map(([keyGroup, keys]) => {
    const entries: StateEntry[] = [];
    for (const ks of keys) {
      const entry = op.store.get(keyGroup, ks);
      if (entry) encodeEntries(op, ks, entry.slots, entries);
    }
    return { keyGroup, keys, entries, timers: timers.get(keyGroup) ?? [] };
  });
  return { ...describeOperator(op, operatorKindOf(op.node)!, parallelism), keyGroups };
}

/**
 * The delta since the tracked base `base`, or undefined when the keyed operators do
 * not all track that base (no tracked savepoint, or a later one replaced it).
 */
export function takeJobDelta(job: { readonly name: string; readonly version: string; readonly maxParallelism: number }, ops: readonly Operator[], parallelism: number, base: string, now: number): JobDelta | undefined {
  const keyed = keyedOf(ops);
  if (keyed.some((op) => op.changes?.baseId !== base)) return undefined;
  return {
    base,
    job: { name: job.name, version: job.version },
    maxParallelism: job.maxParallelism,
    operators: keyed.map((op) => operatorDelta(op, parallelism)),
    ...sourcePositions(ops, now),
    createdAt: now,
  };
}

/**
 * Replaces the state and timers of every key the delta lists, in operators restored
 * from its base (matched by uid; an operator the new job dropped is skipped, as a
 * restore skips it). Source offsets and watermarks are the caller's (the runner sets
 * them when its sources start).
 */
export function applyJobDelta(ops: readonly Operator[], delta: JobDelta, maxParallelism: number): void {
  const byUid = new Map(delta.operators.map((o) => [o.uid, o]));
  for (const op of keyedOf(ops)) {
    const d = byUid.get(op.node.uid!);
    if (!d) continue;
    const listed = new Set<string>();
    for (const g of d.keyGroups) {
      for (const ks of g.keys) {
        op.store.remove(g.keyGroup, ks);
        listed.add(ks);
      }
    }
    op.eventTimers.deleteKeys(listed);
    op.processingTimers.deleteKeys(listed);
    const writer = writerCodecs(d.states);
    for (const g of d.keyGroups) insertBlock(op, g, writer, maxParallelism);
  }
}

/**
 * The snapshot at the delta's stop point, from the base snapshot and the delta,
 * without running the job: each listed key's entries and timers in the base are
 * replaced by the delta's. Pure. It rebuilds a full savepoint when the stopped job
 * could not write one itself (it died after handing over its delta).
 */
export function composeSnapshot(base: JobSnapshot, delta: JobDelta): JobSnapshot {
  const byUid = new Map(delta.operators.map((o) => [o.uid, o]));
  const operators = base.operators.map((op): OperatorSnapshot => {
    const d = byUid.get(op.uid);
    if (!d) return op;
    const blocks = new Map<number, KeyGroupBlock>(op.keyGroups.map((b) => [b.keyGroup, b]));
    for (const g of d.keyGroups) {
      const listed = new Set(g.keys);
      const kept = blocks.get(g.keyGroup);
      const keep = (key: Buffer) => !listed.has(key.toString('utf8'));
      blocks.set(g.keyGroup, {
        keyGroup: g.keyGroup,
        entries: [...(kept?.entries.filter((e) => keep(e.key)) ?? []), ...g.entries],
        timers: [...(kept?.timers.filter((t) => keep(t.key)) ?? []), ...g.timers],
      });
    }
    const keyGroups = [...blocks.values()].filter((b) => b.entries.length > 0 || b.timers.length > 0).sort((a, b) => a.keyGroup - b.keyGroup);
    return { ...op, keyGroups };
  });
  return { ...base, operators, sourceOffsets: delta.sourceOffsets, watermarks: delta.watermarks, createdAt: delta.createdAt, type: 'savepoint' };
}
