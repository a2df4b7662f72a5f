import { z } from 'zod';
import { parseWith } from '../../src/config/validate.ts';
import type { Check, Side, WindowAccumulator } from '../types.ts';
import { measurer } from '../shared/measure.ts';
import { HyperLogLog } from './hyperloglog.ts';
import { HashSet53 } from '../shared/hash-set.ts';
import { keyHash53 } from '../shared/hash.ts';

/**
 * One side's distinct keys in a window, by 53-bit hash (two keys collide with
 * probability about 2^-53: about once in two million windows of 100,000 keys), with
 * each key's text kept for the examples in the report.
 */
class ExactKeys {
  readonly hashes = new HashSet53();
  readonly order: number[] = [];
  readonly keys: string[] = [];

  add(h: number, key: string): void {
    if (!this.hashes.add(h)) return;
    this.order.push(h);
    this.keys.push(key);
  }
}

export const keyCoverageParams = z.strictObject({
  /** Minimum Jaccard similarity |A∩B| / |A∪B| of the key sets. */
  minJaccard: z.number().min(0).max(1).default(0.99),
  /**
   * Distinct keys per side and window kept exactly. Beyond it both sides switch to
   * HyperLogLog sketches (16 KiB each, ~0.8 % error), so memory stays bounded.
   */
  exactBound: z.number().int().min(1).default(100_000),
  /** How many example keys only in one side the report lists. */
  examples: z.number().int().min(0).default(10),
});

/**
 * key-coverage — keys only in a, only in b, and the Jaccard similarity per window.
 * Exact (by 53-bit key hash) up to `exactBound` distinct keys per side; past it,
 * estimated by merging HyperLogLog sketches (|A∩B| = |A| + |B| − |A∪B|).
 */
export function keyCoverageCheck(name: string, params: unknown): Check {
  const p = parseWith(keyCoverageParams, params ?? {}, `check ${name} (key-coverage)`);
  return {
    name,
    type: 'key-coverage',
    open(window): WindowAccumulator {
      let sets: Record<Side, ExactKeys> | undefined = { a: new ExactKeys(), b: new ExactKeys() };
      let sketches: Record<Side, HyperLogLog> | undefined;
      const counts = { a: 0, b: 0 };
      let nullKeys = 0;
      const toSketches = (s: Record<Side, ExactKeys>) => {
        sketches = { a: new HyperLogLog(), b: new HyperLogLog() };
        for (const side of ['a', 'b'] as const) for (const h of s[side].hashes.values()) sketches[side].addHash(h >>> 0);
        sets = undefined;
      };
      return {
        add(side, record) {
          counts[side]++;
          const key = record.key;
          if (key === null) {
            nullKeys++;
            return;
          }
          const h = record.keyHash ?? keyHash53(key);
          if (sets) {
            const s = sets[side];
            s.add(h, key);
            if (s.hashes.size > p.exactBound) toSketches(sets);
          } else sketches![side].addHash(h >>> 0);
        },
        finish() {
          const m = measurer(name, 'key-coverage', window);
          const records = counts.a + counts.b;
          const base = { metric: 'jaccard', expected: 1, threshold: p.minJaccard, records };
          let sizeA: number, sizeB: number, union: number;
          let onlyA: number, onlyB: number;
          const examples: { onlyA: string[]; onlyB: string[] } = { onlyA: [], onlyB: [] };
          if (sets) {
            const { a, b } = sets;
            sizeA = a.hashes.size;
            sizeB = b.hashes.size;
            let inter = 0;
            for (let i = 0; i < a.order.length; i++) {
              if (b.hashes.has(a.order[i]!)) inter++;
              else if (examples.onlyA.length < p.examples) examples.onlyA.push(a.keys[i]!);
            }
            for (let i = 0; i < b.order.length && examples.onlyB.length < p.examples; i++) if (!a.hashes.has(b.order[i]!)) examples.onlyB.push(b.keys[i]!);
            union = sizeA + sizeB - inter;
            onlyA = sizeA - inter;
            onlyB = sizeB - inter;
          } else {
            const { a, b } = sketches!;
            sizeA = a.estimate();
            sizeB = b.estimate();
            union = Math.max(a.merge(b).estimate(), sizeA, sizeB);
            onlyA = Math.max(0, union - sizeB);
            onlyB = Math.max(0, union - sizeA);
          }
          const mode = sets ? 'exact' : 'hyperloglog';
          if (sizeA === 0 && sizeB === 0) return [m({ ...base, status: 'Inconclusive', observed: null, detail: { reason: 'no keyed records on either side', nullKeys } })];
          const jaccard = union === 0 ? 0 : Math.max(0, Math.min(1, (sizeA + sizeB - union) / union));
          return [
            m({
              ...base,
              status: jaccard >= p.minJaccard ? 'Successful' : 'Failed',
              observed: jaccard,
              sides: { a: sizeA, b: sizeB },
              detail: { mode, onlyA: Math.round(onlyA), onlyB: Math.round(onlyB), nullKeys, ...(sets ? { examples } : {}) },
            }),
          ];
        },
      };
    },
  };
}
