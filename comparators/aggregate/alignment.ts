import type { CompareRecord } from '../types.ts';
import { combine53, hash32, keyHash53, mixInt } from '../shared/hash.ts';

const SEED_HI = 0x811c9dc5;
const SEED_LO = 0x3c6ef372;

/**
 * The records of one side and window held for record-level alignment, stored as
 * columns: an alignment hash, the event time, the key (for examples) and one
 * column of numbers per numeric field (NaN: no number). No record object is kept,
 * so a window's worth of held records costs the garbage collector a few arrays.
 */
export class AlignedSide {
  held = 0;
  private cap = 0;
  hashes = new Float64Array(0);
  eventTimes = new Float64Array(0);
  readonly keys: (string | null)[] = [];
  /** Numeric columns; a field's accumulator knows its column's index. */
  readonly columns: Float64Array[] = [];

  constructor(readonly max: number) {}

  /** Holds one record and returns its row, or -1 once `max` records are held. */
  hold(record: CompareRecord): number {
    if (this.held >= this.max) return -1;
    if (this.held === this.cap) this.grow();
    const i = this.held++;
    this.hashes[i] = alignmentHash(record);
    this.eventTimes[i] = record.eventTime;
    this.keys.push(record.key);
    return i;
  }

  /** A new numeric column, NaN (no number) for every row so far; returns its index. */
  addColumn(): number {
    this.columns.push(new Float64Array(this.cap).fill(Number.NaN));
    return this.columns.length - 1;
  }

  private grow(): void {
    const cap = Math.min(this.max, Math.max(256, this.cap * 2));
    const widen = (a: Float64Array, fill: number) => {
      const b = new Float64Array(cap);
      b.set(a);
      if (fill !== 0) b.fill(fill, a.length);
      return b;
    };
    this.hashes = widen(this.hashes, 0);
    this.eventTimes = widen(this.eventTimes, 0);
    for (let c = 0; c < this.columns.length; c++) this.columns[c] = widen(this.columns[c]!, Number.NaN);
    this.cap = cap;
  }
}

let lastTopic = '';
let lastTopicHash = 0;

/**
 * A 53-bit hash of the record's alignment key: lineage (source topic, partition,
 * offset) and key when the record carries lineage, else key and event time. Two
 * different keys collide with probability about 2^-53: a false pairing about once
 * in a million windows of 100,000 records per side (the default bound).
 */
export function alignmentHash(r: CompareRecord): number {
  const k = r.key === null ? 0 : (r.keyHash ?? keyHash53(r.key)) + 1;
  const l = r.lineage;
  let hi: number;
  let lo: number;
  if (l) {
    if (l.topic !== lastTopic) {
      lastTopic = l.topic;
      lastTopicHash = hash32(l.topic, SEED_HI);
    }
    hi = mixInt(mixInt(mixInt(SEED_HI ^ lastTopicHash, k), l.partition + 1), l.offset);
    lo = mixInt(mixInt(mixInt(SEED_LO ^ lastTopicHash, k), l.partition + 1), l.offset);
  } else {
    hi = mixInt(mixInt(SEED_HI, k), r.eventTime);
    lo = mixInt(mixInt(SEED_LO, k), r.eventTime);
  }
  return combine53(hi, lo);
}
