/**
 * Cutover offset translation, the pure core. A downstream consumer group has
 * committed offset C on partition p of the authoritative topic: it has seen the
 * records at offsets < C. On the canary topic it must resume exactly after the
 * records that correspond to what it has seen — no gap, no duplicate.
 *
 * Correspondence, best first:
 * 1. Lineage headers (`pitlane.src.topic|partition|offset`): both jobs emit
 *    records caused by the same input record. The seen records give, per input
 *    partition, a frontier (input offset, and the ordinal among several outputs
 *    of one input). A canary record is "seen" iff its lineage is at or before the
 *    frontier of its input partition.
 * 2. Event time (`pitlane.event-time` header, else the record timestamp) when a
 *    record has no lineage: seen iff before the max seen event time, or at it
 *    within the count of seen records with that exact time.
 * The canary offset to commit is the first not-seen record. It is exact only if
 * every record before it is seen and every record from it on is not; otherwise
 * (the jobs interleaved input partitions differently) it is refused. Both topics
 * must have the same partitioning (same count, same keys → same partitions).
 */
import type { IncomingRecord, TopicPartitionOffset } from '../../kafka/port.ts';
import { eventTimeOfHeaders, lineageOfHeaders } from '../../lineage.ts';

export interface PartitionInput {
  readonly partition: number;
  /** The group's committed offset on the source topic (next record it will read). */
  readonly committed: number;
  /** Source records from the partition's low watermark up to at least `committed` (more is fine). */
  readonly source: readonly IncomingRecord[];
  /** All records of the same partition of the target topic (low watermark to end). */
  readonly target: readonly IncomingRecord[];
  /** Target partition's offsets [low, high) when read. */
  readonly targetLow: number;
  readonly targetHigh: number;
}

export type PartitionOutcome =
  | { readonly partition: number; readonly kind: 'matched'; readonly offset: number; readonly by: 'lineage' | 'event-time' | 'nothing-seen' }
  /** The target has not yet caught up with what the group has seen; retry later. */
  | { readonly partition: number; readonly kind: 'behind'; readonly reason: string }
  | { readonly partition: number; readonly kind: 'refused'; readonly reason: string };

export interface Lineage {
  /** The input partition, as `topic:partition`. */
  readonly key: string;
  readonly offset: number;
}

export function lineageOf(r: IncomingRecord): Lineage | undefined {
  const l = lineageOfHeaders(r.headers);
  return l && { key: `${l.topic}:${l.partition}`, offset: l.offset };
}

export function eventTimeOf(r: IncomingRecord): number {
  return eventTimeOfHeaders(r.headers) ?? r.timestamp;
}

/** Translates one partition. Pure. */
export function translatePartition(input: PartitionInput): PartitionOutcome {
  const { partition, committed } = input;
  const seen = input.source.filter((r) => r.offset < committed).sort((a, b) => a.offset - b.offset);
  const target = [...input.target].sort((a, b) => a.offset - b.offset);
  if (seen.length === 0) {
    // Nothing seen on this partition: the group starts at the target's beginning.
    return { partition, kind: 'matched', offset: input.targetLow, by: 'nothing-seen' };
  }
  const withLineage = seen.every((r) => lineageOf(r) !== undefined) && target.every((r) => lineageOf(r) !== undefined);
  const isSeen = withLineage ? lineageFrontier(seen) : eventTimeFrontier(seen);
  if (!isSeen.reached(target)) {
    return { partition, kind: 'behind', reason: `the target has not yet produced records up to what the group has seen on partition ${partition} (${isSeen.describe()})` };
  }
  const flags = isSeen.flags(target);
  const firstUnseen = flags.indexOf(false);
  const cut = firstUnseen < 0 ? target.length : firstUnseen;
  const straddler = flags.slice(cut).indexOf(true);
  if (straddler >= 0) {
    const r = target[cut + straddler]!;
    return {
      partition,
      kind: 'refused',
      reason: `no exact position on partition ${partition}: target offset ${target[cut]?.offset} is unseen but ${r.offset} after it was already seen by the group (the jobs ordered their outputs differently${withLineage ? ' across input partitions' : ' in event time'})`,
    };
  }
  const offset = cut < target.length ? target[cut]!.offset : input.targetHigh;
  return { partition, kind: 'matched', offset, by: withLineage ? 'lineage' : 'event-time' };
}

interface Frontier {
  flags(target: readonly IncomingRecord[]): boolean[];
  /** True when the target shows evidence of having processed past the frontier. */
  reached(target: readonly IncomingRecord[]): boolean;
  describe(): string;
}

/** Ordinal of each record among records with the same lineage, in offset order. */
function ordinals(records: readonly IncomingRecord[]): number[] {
  const count = new Map<string, number>();
  return records.map((r) => {
    const l = lineageOf(r)!;
    const k = `${l.key}@${l.offset}`;
    const n = count.get(k) ?? 0;
    count.set(k, n + 1);
    return n;
  });
}

function lineageFrontier(seen: readonly IncomingRecord[]): Frontier {
  const front = new Map<string, { offset: number; ordinal: number }>();
  const ords = ordinals(seen);
  seen.forEach((r, i) => {
    const l = lineageOf(r)!;
    const cur = front.get(l.key);
    const ord = ords[i]!;
    if (!cur || l.offset > cur.offset || (l.offset === cur.offset && ord > cur.ordinal)) front.set(l.key, { offset: l.offset, ordinal: ord });
  });
  return {
    flags(target) {
      const tOrds = ordinals(target);
      return target.map((r, i) => {
        const l = lineageOf(r)!;
        const f = front.get(l.key);
        return f !== undefined && (l.offset < f.offset || (l.offset === f.offset && tOrds[i]! <= f.ordinal));
      });
    },
    reached(target) {
      // For every input partition the group has seen, the target has a record at or past it.
      return [...front].every(([key, f]) => target.some((r) => {
        const l = lineageOf(r)!;
        return l.key === key && l.offset >= f.offset;
      }));
    },
    describe: () => [...front].map(([k, f]) => `${k}@${f.offset}`).join(', '),
  };
}

function eventTimeFrontier(seen: readonly IncomingRecord[]): Frontier {
  const max = Math.max(...seen.map(eventTimeOf));
  const atMax = seen.filter((r) => eventTimeOf(r) === max).length;
  return {
    flags(target) {
      let taken = 0;
      return target.map((r) => {
        const t = eventTimeOf(r);
        if (t < max) return true;
        if (t === max && taken < atMax) {
          taken++;
          return true;
        }
        return false;
      });
    },
    reached: (target) => target.some((r) => eventTimeOf(r) > max) || target.filter((r) => eventTimeOf(r) === max).length >= atMax,
    describe: () => `event time ${max}`,
  };
}

export interface GroupTranslation {
  readonly offsets: readonly TopicPartitionOffset[];
  readonly outcomes: readonly PartitionOutcome[];
  /** True when every partition matched. */
  readonly complete: boolean;
}

/** Translates every partition of one group; the offsets are for the target topic. Pure. */
export function translateGroup(targetTopic: string, partitions: readonly PartitionInput[]): GroupTranslation {
  const outcomes = partitions.map(translatePartition);
  const offsets = outcomes.flatMap((o) => (o.kind === 'matched' ? [{ topic: targetTopic, partition: o.partition, offset: o.offset }] : []));
  return { offsets, outcomes, complete: outcomes.every((o) => o.kind === 'matched') };
}
