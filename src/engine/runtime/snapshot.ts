/**
 * Running job ⇄ JobSnapshot (src/engine/snapshot/model.ts). Taken between batches,
 * after all output of the processed records is flushed: all keyed state per key
 * group, timers, source offsets and per-partition watermarks. Restore puts state back
 * by key group, so the new parallelism's ranges simply take the blocks they own.
 */
import { RestoreIncompatibleError } from '../../errors.ts';
import { unencodableState } from './unencodable.ts';
import type { JobSnapshot, KeyGroupBlock, OperatorHeader, OperatorKind, OperatorSnapshot, StateCodecSpec, StateEntry, TimerEntry } from '../snapshot/model.ts';
import type { Timer, TimerQueue } from '../timers.ts';
import type { TopicPartitionOffset } from '../../kafka/port.ts';
import { stateSpecsOf } from '../api/job.ts';
import { operatorKindOf } from '../api/graph.ts';
import type { Operator } from '../operators/operator.ts';
import { KeyedOperator } from '../operators/keyed.ts';
import { ProcessOperator } from '../operators/process.ts';
import { ReduceOperator } from '../operators/reduce.ts';
import { WindowOperator, type WindowSlot } from '../operators/window.ts';
import { parseWindowId } from '../windows.ts';
import { UNKNOWN_SOURCE } from '../../lineage.ts';
import { keyGroupOf } from '../key-groups.ts';
import { SourceOperator } from './source.ts';
import { partitionKey } from '../../kafka/partition-key.ts';

const utf8 = (s: string) => Buffer.from(s, 'utf8');

/**
 * Appends the encoded state of one key to `out` (no per-key array: a large snapshot
 * has a million keys). Writes through the state handles are checked, so a value that
 * fails here was changed in place after it was written: the error names it.
 */
export function encodeEntries(op: KeyedOperator, keyString: string, slots: unknown[], out: StateEntry[]): void {
  try {
    encodeKey(op, keyString, slots, out);
  } catch (e) {
    throw unencodableState(op, keyString, slots, e);
  }
}

function encodeKey(op: KeyedOperator, keyString: string, slots: unknown[], out: StateEntry[]): void {
  const key = utf8(keyString);
  if (op instanceof ProcessOperator) {
    for (let i = 0; i < op.states.length; i++) {
      const d = op.states[i]!;
      const v = slots[i];
      if (v === undefined) continue;
      if (d.kind === 'list') for (const x of v as unknown[]) out.push({ state: d.name, key, value: d.codec.encode(x) });
      else if (d.kind === 'map') for (const [mk, mv] of v as Map<string | number, unknown>) out.push({ state: d.name, key, mapKey: d.mapKeyCodec.encode(mk), value: d.codec.encode(mv) });
      else out.push({ state: d.name, key, value: d.codec.encode(v) });
    }
  } else if (op instanceof ReduceOperator) {
    if (slots[0] !== undefined) out.push({ state: 'reduce', key, value: op.codec.encode(slots[0]) });
  } else if (op instanceof WindowOperator) {
    for (const [id, slot] of (slots[0] as Map<string, WindowSlot> | undefined) ?? []) out.push({ state: 'windows', key, mapKey: utf8(JSON.stringify(id)), value: op.codec.encode(slot.acc) });
  }
}

function keyedBlocks(op: KeyedOperator): KeyGroupBlock[] {
  const blocks = new Map<number, { entries: StateEntry[]; timers: TimerEntry[] }>();
  const block = (kg: number) => {
    let b = blocks.get(kg);
    if (!b) blocks.set(kg, (b = { entries: [], timers: [] }));
    return b;
  };
  for (const [kg, group] of op.store.blocks()) {
    const entries = block(kg).entries;
    for (const [ks, entry] of group) encodeEntries(op, ks, entry.slots, entries);
  }
  encodeTimers(op, (q) => q.all(), (kg, t) => block(kg).timers.push(t));
  return [...blocks.entries()].sort((a, b) => a[0] - b[0]).map(([keyGroup, b]) => ({ keyGroup, ...b }));
}

/** Encodes the operator's timers of both domains that `select` picks, handing each to `visit` with its key group. */
export function encodeTimers(op: KeyedOperator, select: (q: TimerQueue) => readonly Timer[], visit: (keyGroup: number, t: TimerEntry) => void): void {
  for (const [domain, q] of [['event', op.eventTimers], ['processing', op.processingTimers]] as const) {
    for (const t of select(q)) visit(t.keyGroup, { key: utf8(t.keyString), timestamp: t.timestamp, domain, ...(t.namespace ? { namespace: utf8(t.namespace) } : {}) });
  }
}

/** What a snapshot (or a delta) says about an operator besides its state: uid, name, kind, parallelism, key fingerprint, descriptors. */
export function describeOperator(op: Operator, kind: OperatorKind, parallelism: number): OperatorHeader {
  const keyed = op instanceof KeyedOperator;
  return {
    uid: op.node.uid!,
    name: op.node.name,
    kind,
    parallelism: keyed ? parallelism : 1,
    ...(keyed ? { keyFingerprint: op.keySpec.fingerprint } : {}),
    states: stateSpecsOf(op.node),
  };
}

export function snapshotOperators(ops: readonly Operator[], parallelism: number): OperatorSnapshot[] {
  const out: OperatorSnapshot[] = [];
  for (const op of ops) {
    const kind = operatorKindOf(op.node);
    if (!kind || op.node.uid === undefined) continue;
    out.push({ ...describeOperator(op, kind, parallelism), keyGroups: op instanceof KeyedOperator ? keyedBlocks(op) : [] });
  }
  return out;
}

/**
 * Puts one block's entries and timers into an operator's state, decoding each value
 * with its writer codec (`writer`: state name → the codec it was written with) and
 * reading it as the operator's own (Avro resolution: schema evolution). Shared by a
 * full restore and a delta's apply, so both decode exactly alike.
 */
export function insertBlock(op: KeyedOperator, block: KeyGroupBlock, writer: ReadonlyMap<string, StateCodecSpec>, maxParallelism: number): void {
  for (const e of block.entries) {
    const ks = e.key.toString('utf8');
    // The stored bytes are the canonical key's UTF-8: hashing them is hashing the key.
    const kg = keyGroupOf(e.key, maxParallelism);
    if (kg !== block.keyGroup) {
      throw new RestoreIncompatibleError('RESTORE_KEY_GROUP_MISMATCH', `${op.node.name}: a key stored in key group ${block.keyGroup} hashes to ${kg} in this job.`, {
        hint: 'The snapshot was taken with another maxParallelism or key encoding; restore into a job with the same maxParallelism.',
      });
    }
    const entry = op.store.getOrCreate(kg, ks, JSON.parse(ks));
    const w = writer.get(e.state);
    if (op instanceof ProcessOperator) {
      const i = op.states.findIndex((d) => d.name === e.state);
      const d = op.states[i];
      if (!d) continue; // dropped state: planRestore decides whether that is allowed
      if (d.kind === 'list') ((entry.slots[i] ??= []) as unknown[]).push(d.codec.decode(e.value, w));
      else if (d.kind === 'map') ((entry.slots[i] ??= new Map()) as Map<unknown, unknown>).set(d.mapKeyCodec.decode(e.mapKey!), d.codec.decode(e.value, w));
      else entry.slots[i] = d.codec.decode(e.value, w);
    } else if (op instanceof ReduceOperator && e.state === 'reduce') {
      entry.slots[0] = op.codec.decode(e.value, w);
    } else if (op instanceof WindowOperator && e.state === 'windows') {
      const id = JSON.parse(e.mapKey!.toString('utf8')) as string;
      const slot: WindowSlot = { window: parseWindowId(id), acc: op.codec.decode(e.value, w), source: UNKNOWN_SOURCE };
      ((entry.slots[0] ??= new Map()) as Map<string, WindowSlot>).set(id, slot);
    }
    op.store.removeIfEmpty(kg, ks);
  }
  for (const t of block.timers) {
    const q = t.domain === 'event' ? op.eventTimers : op.processingTimers;
    q.add(t.key.toString('utf8'), block.keyGroup, t.timestamp, t.namespace?.toString('utf8') ?? '');
  }
}

export function writerCodecs(states: readonly { readonly name: string; readonly codec: StateCodecSpec }[]): Map<string, StateCodecSpec> {
  return new Map(states.map((s) => [s.name, s.codec]));
}

function restoreKeyed(op: KeyedOperator, snap: OperatorSnapshot, maxParallelism: number): void {
  const writer = writerCodecs(snap.states);
  for (const block of snap.keyGroups) insertBlock(op, block, writer, maxParallelism);
}

/** Puts a snapshot's keyed state and timers back into freshly built operators (matched by uid). */
export function restoreOperators(ops: readonly Operator[], snapshots: readonly OperatorSnapshot[], maxParallelism: number): void {
  const byUid = new Map(snapshots.map((s) => [s.uid, s]));
  for (const op of ops) {
    if (!(op instanceof KeyedOperator) || op.node.uid === undefined) continue;
    const snap = byUid.get(op.node.uid);
    if (snap) restoreKeyed(op, snap, maxParallelism);
  }
}

export function sourceOperators(ops: readonly Operator[]): SourceOperator[] {
  return ops.filter((o): o is SourceOperator => o instanceof SourceOperator);
}

/** Source offsets and per-partition watermarks of every Kafka source, now. */
export function sourcePositions(ops: readonly Operator[], now: number): Pick<JobSnapshot, 'sourceOffsets' | 'watermarks'> {
  const sources = sourceOperators(ops);
  const sourceOffsets: TopicPartitionOffset[] = sources.flatMap((s) => (s.spec.type === 'kafka' ? [...s.positions.values()].map((p) => ({ ...p })) : []));
  const marks = new Map(sources.flatMap((s) => s.tracker.describe(now).map((p) => [p.partition, p.watermark] as const)));
  return {
    sourceOffsets,
    // Only partitions that have a watermark: a partition that never saw a record has none
    // (−∞), which the metadata (JSON) cannot carry; restore treats a missing one the same way.
    watermarks: sourceOffsets.flatMap((o) => {
      const watermark = marks.get(partitionKey(o.topic, o.partition));
      return watermark !== undefined && Number.isFinite(watermark) ? [{ ...o, watermark }] : [];
    }),
  };
}

/** The whole job's snapshot: keyed state of every operator, source offsets, per-partition watermarks. */
export function takeJobSnapshot(job: { readonly name: string; readonly version: string; readonly maxParallelism: number }, ops: readonly Operator[], parallelism: number, now: number, type: 'savepoint' | 'checkpoint'): JobSnapshot {
  return {
    job: { name: job.name, version: job.version },
    maxParallelism: job.maxParallelism,
    operators: snapshotOperators(ops, parallelism),
    ...sourcePositions(ops, now),
    createdAt: now,
    type,
  };
}
