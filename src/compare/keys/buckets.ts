import type { CompareRecord, Side, Window } from '../../../comparators/types.ts';
import type { RecordBatch } from '../../kafka/port.ts';
import type { PackedBatch } from '../../kafka/packed.ts';
import { keyHash53 } from '../../../comparators/shared/hash.ts';
import { BUCKETS, bucketOf, contribution, type ValueDigester } from './digest.ts';

/** The offsets of one partition that a window's records lie between (inclusive), on one side. */
export interface PartitionSpan {
  readonly partition: number;
  readonly first: number;
  readonly last: number;
}

/** Where a batch of records came from: its partition and the offsets it covers. */
export interface BatchSpan {
  readonly partition: number;
  readonly first: number;
  readonly last: number;
}

/**
 * A window whose key-range checksums differ between the sides: which buckets
 * differ, and where each side's records of the window are, to read them again.
 */
export interface WindowDivergence {
  readonly window: Window;
  /** Bucket indices (key-hash ranges, see digest.ts) whose checksum or count differs, ascending. */
  readonly buckets: readonly number[];
  readonly spans: Readonly<Record<Side, readonly PartitionSpan[]>>;
  /** Records counted per side (keyed and not). */
  readonly records: Readonly<Record<Side, number>>;
}

class SideBuckets {
  readonly sums = new Uint32Array(BUCKETS);
  readonly counts = new Uint32Array(BUCKETS);
  readonly spans = new Map<number, { first: number; last: number }>();
  lastBatch: BatchSpan | undefined;
  records = 0;

  span(b: BatchSpan): void {
    this.lastBatch = b;
    const s = this.spans.get(b.partition);
    if (!s) this.spans.set(b.partition, { first: b.first, last: b.last });
    else {
      if (b.first < s.first) s.first = b.first;
      if (b.last > s.last) s.last = b.last;
    }
  }
}

/** Records without a key are one key together, hashed to 0. */
export function keyHashOf(record: CompareRecord): number {
  return record.key === null ? 0 : (record.keyHash ?? keyHash53(record.key));
}

/**
 * One window's key-range checksums, both sides: the key-hash space is cut into
 * BUCKETS ranges, and each side keeps per range the count of its records and the
 * sum of their (key, value digest) contributions. Fixed memory per window
 * (2 × 4096 × 8 bytes = 64 KiB, allocated on the first record), whatever the
 * number of keys or records; two sides with the same multiset of (key, value) per
 * range have equal checksums, and a range that differs is where to look.
 */
export class WindowKeys {
  private readonly sides: Record<Side, SideBuckets> = { a: new SideBuckets(), b: new SideBuckets() };

  constructor(
    readonly window: Window,
    private readonly digester: ValueDigester,
  ) {}

  add(side: Side, record: CompareRecord, at: BatchSpan | undefined): void {
    const s = this.sides[side];
    if (at !== undefined && at !== s.lastBatch) s.span(at);
    s.records++;
    const h = keyHashOf(record);
    const b = bucketOf(h);
    s.counts[b]!++;
    s.sums[b] = (s.sums[b]! + contribution(h, this.digester.digest(record))) >>> 0;
  }

  /** The buckets whose checksums differ, or undefined when none does. */
  divergence(): WindowDivergence | undefined {
    const buckets = differingBuckets(this.sides.a, this.sides.b);
    if (buckets.length === 0) return undefined;
    const spans = (s: SideBuckets) => [...s.spans].map(([partition, r]) => ({ partition, first: r.first, last: r.last })).sort((x, y) => x.partition - y.partition);
    return { window: this.window, buckets, spans: { a: spans(this.sides.a), b: spans(this.sides.b) }, records: { a: this.sides.a.records, b: this.sides.b.records } };
  }
}

/** Bucket indices whose count or checksum differ, ascending. */
export function differingBuckets(a: { sums: Uint32Array; counts: Uint32Array }, b: { sums: Uint32Array; counts: Uint32Array }): number[] {
  const out: number[] = [];
  for (let i = 0; i < a.sums.length; i++) if (a.sums[i] !== b.sums[i] || a.counts[i] !== b.counts[i]) out.push(i);
  return out;
}

/** The offsets a packed batch covers (a `records` batch: from where its read stood). */
export function spanOfPacked(p: PackedBatch): BatchSpan | undefined {
  if (p.count === 0) return undefined;
  const first = p.kind === 'records' ? (p.from ?? 0) : new Float64Array(p.buffer, 0, 1)[0]!;
  return { partition: p.partition, first, last: p.lastOffset };
}

/** The offsets a batch read through the KafkaPort covers. */
export function spanOfBatch(batch: RecordBatch): BatchSpan | undefined {
  if (batch.packed) return spanOfPacked(batch.packed);
  const rs = batch.records;
  if (rs.length === 0) return undefined;
  return { partition: batch.partition, first: rs[0]!.offset, last: rs[rs.length - 1]!.offset };
}
