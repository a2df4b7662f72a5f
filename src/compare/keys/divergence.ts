import type { CompareRecord, Side } from '../../../comparators/types.ts';
import { keyHashOf } from './buckets.ts';
import { BUCKETS, bucketOf, type ValueDigester } from './digest.ts';

/** A key only one side has in the window, with its last value there. */
export interface OneSidedKey {
  readonly key: string | null;
  readonly value: unknown;
  /** Records of the key in the window on that side, when more than one. */
  readonly records?: number | undefined;
}

/** A key both sides have whose values differ: each side's last value, and record counts when they differ. */
export interface DifferentKey {
  readonly key: string | null;
  readonly authoritative: unknown;
  readonly candidate: unknown;
  readonly records?: { readonly authoritative: number; readonly candidate: number } | undefined;
}

/** report.json, per failed window: which keys differ between the sides and how (a bounded sample). */
export interface DivergingKeys {
  readonly onlyAuthoritative: readonly OneSidedKey[];
  readonly onlyCandidate: readonly OneSidedKey[];
  readonly different: readonly DifferentKey[];
  /** Diverging keys not listed (beyond the sample). A lower bound when `exact` is false. */
  readonly truncated: number;
  /** False when key ranges were left unexamined to stay within the key budget: each of them hides at least one diverging key. */
  readonly exact: boolean;
  /** Set when the keys could not be read again (the reason); the lists are then empty. */
  readonly error?: string | undefined;
}

interface KeyState {
  readonly key: string | null;
  count: number;
  sum: number;
  value: unknown;
  eventTime: number;
}

/**
 * Per-key digests of the keys in some buckets (the key ranges whose checksums
 * differed), both sides, for one window: record count, sum of value digests (the
 * key's values as a multiset) and the last value (greatest event time; of equal
 * ones, the last added). At most `budget` keys are held over both sides: past it,
 * the highest bucket still examined is dropped with its keys and counted as
 * unexamined, so memory is bounded whatever the window holds.
 */
export class KeyCollector {
  private readonly wanted = new Uint8Array(BUCKETS);
  private readonly held: Record<Side, Map<number, Map<number, KeyState>>> = { a: new Map(), b: new Map() };
  private keys = 0;
  /** Highest-first list of buckets still examined. */
  private readonly examined: number[];
  unexamined = 0;

  constructor(
    buckets: readonly number[],
    private readonly budget: number,
    private readonly digester: ValueDigester,
  ) {
    for (const b of buckets) this.wanted[b] = 1;
    this.examined = [...buckets].sort((x, y) => y - x);
  }

  /** Whether records of this key hash are collected (its bucket differs and is still examined). */
  wants(keyHash: number): boolean {
    return this.wanted[bucketOf(keyHash)] === 1;
  }

  add(side: Side, record: CompareRecord): void {
    const h = keyHashOf(record);
    const b = bucketOf(h);
    if (this.wanted[b] !== 1) return;
    let bucket = this.held[side].get(b);
    if (!bucket) this.held[side].set(b, (bucket = new Map()));
    const digest = this.digester.digest(record);
    const s = bucket.get(h);
    if (s) {
      s.count++;
      s.sum = (s.sum + digest) >>> 0;
      if (record.eventTime >= s.eventTime) {
        s.value = record.value;
        s.eventTime = record.eventTime;
      }
      return;
    }
    bucket.set(h, { key: record.key, count: 1, sum: digest, value: record.value, eventTime: record.eventTime });
    if (++this.keys > this.budget) this.shrink();
  }

  /** Keys held now, both sides (never above the budget once add returns). */
  get heldKeys(): number {
    return this.keys;
  }

  private shrink(): void {
    while (this.keys > this.budget && this.examined.length > 0) {
      const b = this.examined.shift()!;
      this.wanted[b] = 0;
      this.unexamined++;
      for (const side of ['a', 'b'] as const) {
        const m = this.held[side].get(b);
        if (m) this.keys -= m.size;
        this.held[side].delete(b);
      }
    }
  }

  /** The diverging keys of the examined buckets: up to `sample` of each kind, ordered by key. */
  diff(sample: number): DivergingKeys {
    const onlyA: OneSidedKey[] = [];
    const onlyB: OneSidedKey[] = [];
    const different: DifferentKey[] = [];
    const one = (s: KeyState): OneSidedKey => ({ key: s.key, value: s.value, ...(s.count > 1 ? { records: s.count } : {}) });
    for (const b of this.examined) {
      const a = this.held.a.get(b) ?? new Map<number, KeyState>();
      const c = this.held.b.get(b) ?? new Map<number, KeyState>();
      for (const [h, x] of a) {
        const y = c.get(h);
        if (!y) onlyA.push(one(x));
        else if (x.count !== y.count || x.sum !== y.sum) {
          different.push({ key: x.key, authoritative: x.value, candidate: y.value, ...(x.count !== y.count || x.count > 1 ? { records: { authoritative: x.count, candidate: y.count } } : {}) });
        }
      }
      for (const [h, y] of c) if (!a.has(h)) onlyB.push(one(y));
    }
    const byKey = (x: { key: string | null }, y: { key: string | null }) => compareKeys(x.key, y.key);
    const total = onlyA.length + onlyB.length + different.length;
    const listed = [onlyA, onlyB, different].map((l) => l.sort(byKey).slice(0, sample));
    const shown = listed.reduce((n, l) => n + l.length, 0);
    return {
      onlyAuthoritative: listed[0] as OneSidedKey[],
      onlyCandidate: listed[1] as OneSidedKey[],
      different: listed[2] as DifferentKey[],
      truncated: total - shown + this.unexamined,
      exact: this.unexamined === 0,
    };
  }
}

/** Keys in a stable order: null first, then by code units (not locale). */
function compareKeys(x: string | null, y: string | null): number {
  if (x === y) return 0;
  if (x === null) return -1;
  if (y === null) return 1;
  return x < y ? -1 : 1;
}
