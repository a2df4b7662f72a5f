import { z } from 'zod';
import { quantileSorted } from 'simple-statistics';
import { parseWith } from '../../src/config/validate.ts';
import type { Check, Measurement, Side, WindowAccumulator } from '../types.ts';
import { fieldsOf, sidePathState } from '../shared/fields.ts';
import { measurer, relativeChange, withinTolerance } from '../shared/measure.ts';
import { Reservoir } from './reservoir.ts';
import { AlignedSide } from './alignment.ts';

const STATS = ['sum', 'mean', 'p50', 'p95', 'p99'] as const;
type Stat = (typeof STATS)[number];

export const aggregateParams = z.strictObject({
  /** Numeric fields (dotted paths); every field numeric on both sides when absent. */
  fields: z.array(z.string()).optional(),
  stats: z.array(z.enum(STATS)).default([...STATS]),
  relative: z.number().min(0).default(0.05),
  absolute: z.number().min(0).default(0),
  /** Values kept per field, side and window for quantiles (a uniform sample beyond). */
  sampleSize: z.number().int().min(100).default(100_000),
  recordLevel: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Share of aligned records allowed to differ beyond the tolerance. */
      maxMismatchRate: z.number().min(0).max(1).default(0),
      /** Records per side and window held for alignment; beyond, the rest are not aligned. */
      maxRecords: z.number().int().min(1).default(100_000),
    })
    .prefault({}),
});
type Params = z.output<typeof aggregateParams>;

/** One numeric field on one side of a window. */
interface FieldAcc {
  /** Numeric values seen. */
  n: number;
  sum: number;
  /** Neumaier compensation: the sum barely depends on the order records arrived in. */
  carry: number;
  reservoir: Reservoir | undefined;
  /** Its column among the side's held records; -1 until the first number. */
  column: number;
}

/**
 * aggregate — per numeric field and window: sum, mean, p50, p95, p99 on each side
 * within a relative tolerance; and record-level differences where records align,
 * by lineage headers (source topic/partition/offset + key) when both sides carry
 * them, else by key and event time.
 */
export function aggregateCheck(name: string, params: unknown): Check {
  const p = parseWith(aggregateParams, params ?? {}, `check ${name} (aggregate)`);
  const wanted = p.fields ? new Set(p.fields) : undefined;
  return {
    name,
    type: 'aggregate',
    open(window): WindowAccumulator {
      const { byPath: acc, slots } = sidePathState<FieldAcc>((path) => (wanted && !wanted.has(path) ? null : { n: 0, sum: 0, carry: 0, reservoir: undefined, column: -1 }));
      const counts = { a: 0, b: 0 };
      const aligned: Record<Side, AlignedSide> = { a: new AlignedSide(p.recordLevel.maxRecords), b: new AlignedSide(p.recordLevel.maxRecords) };
      return {
        add(side, record) {
          counts[side]++;
          const { shape, values } = fieldsOf(record);
          const s = slots[side].of(shape);
          const held = aligned[side];
          const row = p.recordLevel.enabled ? held.hold(record) : -1;
          for (let i = 0; i < values.length; i++) {
            const v = values[i];
            if (typeof v !== 'number' || !Number.isFinite(v)) continue;
            const fa = s[i];
            if (!fa) continue;
            fa.n++;
            const t = fa.sum + v;
            fa.carry += Math.abs(fa.sum) >= Math.abs(v) ? fa.sum - t + v : v - t + fa.sum;
            fa.sum = t;
            (fa.reservoir ??= new Reservoir(p.sampleSize)).add(v);
            if (row >= 0) {
              if (fa.column < 0) fa.column = held.addColumn();
              held.columns[fa.column]![row] = v;
            }
          }
        },
        finish() {
          const m = measurer(name, 'aggregate', window);
          const records = counts.a + counts.b;
          if (counts.a === 0 || counts.b === 0) {
            return [m({ metric: '*', status: 'Inconclusive', observed: null, expected: 0, threshold: p.relative, records, detail: { reason: `no records on side ${counts.a === 0 ? 'a' : 'b'}` } })];
          }
          const numeric = (side: Side, f: string) => {
            const fa = acc[side].get(f);
            return fa && fa.n > 0 ? fa : undefined;
          };
          const fields = p.fields ?? [...acc.a.keys()].filter((f) => numeric('a', f) && numeric('b', f)).sort();
          const out: Measurement[] = [];
          for (const f of fields) {
            const fa = numeric('a', f);
            const fb = numeric('b', f);
            if (!fa || !fb) {
              out.push(m({ metric: f, status: 'Error', observed: null, expected: 0, threshold: p.relative, records, detail: { error: `field ${f} has no numeric values on side ${fa ? 'b' : 'a'}` } }));
              continue;
            }
            const sa = summarize(fa);
            const sb = summarize(fb);
            for (const stat of p.stats) {
              const ok = withinTolerance(sa[stat], sb[stat], p);
              const change = relativeChange(sa[stat], sb[stat]);
              out.push(m({ metric: `${f}.${stat}`, status: ok ? 'Successful' : 'Failed', observed: Number.isFinite(change) ? change : null, expected: 0, threshold: p.relative, sides: { a: sa[stat], b: sb[stat] }, records, detail: { sampled: fa.n > p.sampleSize || fb.n > p.sampleSize } }));
            }
          }
          if (p.recordLevel.enabled) out.push(...recordLevel(p, fields, aligned, acc, counts, m));
          if (out.length === 0) out.push(m({ metric: '*', status: 'Inconclusive', observed: null, expected: 0, threshold: p.relative, records, detail: { reason: 'no numeric field on both sides' } }));
          return out;
        },
      };
    },
  };
}

function summarize(fa: FieldAcc): Record<Stat, number> {
  const sorted = fa.reservoir!.sorted() as unknown as number[];
  const sum = fa.sum + fa.carry;
  return { sum, mean: sum / fa.n, p50: quantileSorted(sorted, 0.5), p95: quantileSorted(sorted, 0.95), p99: quantileSorted(sorted, 0.99) };
}

/**
 * Pairs held records with the same alignment hash in arrival order and counts
 * per field the pairs whose numbers differ beyond the tolerance; a number on one
 * side and none on the other is a difference, no number on either side is not.
 */
function recordLevel(
  p: Params,
  fields: readonly string[],
  aligned: Record<Side, AlignedSide>,
  acc: Record<Side, Map<string, FieldAcc>>,
  counts: Record<Side, number>,
  m: ReturnType<typeof measurer>,
): Measurement[] {
  const a = aligned.a;
  const b = aligned.b;
  // b's rows per hash as chains in arrival order: head → next → …
  const head = new Map<number, number>();
  const next = new Int32Array(b.held);
  for (let j = b.held - 1; j >= 0; j--) {
    const h = b.hashes[j]!;
    next[j] = head.get(h) ?? -1;
    head.set(h, j);
  }
  const columnOf = (side: Side, f: string) => {
    const c = acc[side].get(f)?.column ?? -1;
    return c >= 0 ? aligned[side].columns[c] : undefined;
  };
  const cols = fields.map((f) => ({ f, a: columnOf('a', f), b: columnOf('b', f), n: 0, examples: [] as unknown[] }));
  let pairs = 0;
  for (let i = 0; i < a.held; i++) {
    const h = a.hashes[i]!;
    const j = head.get(h);
    if (j === undefined || j < 0) continue;
    head.set(h, next[j]!);
    pairs++;
    for (const c of cols) {
      const va = c.a ? c.a[i]! : Number.NaN;
      const vb = c.b ? c.b[j]! : Number.NaN;
      const na = Number.isNaN(va);
      const nb = Number.isNaN(vb);
      if (na && nb) continue;
      if (!na && !nb && withinTolerance(va, vb, p)) continue;
      c.n++;
      if (c.examples.length < 5) c.examples.push({ key: a.keys[i], eventTime: a.eventTimes[i], a: na ? null : va, b: nb ? null : vb });
    }
  }
  const truncated = a.held < counts.a || b.held < counts.b;
  const out: Measurement[] = [];
  for (const c of cols) {
    const metric = `${c.f}.records`;
    if (pairs === 0) {
      out.push(m({ metric, status: 'Inconclusive', observed: null, expected: 0, threshold: p.recordLevel.maxMismatchRate, records: 0, detail: { reason: 'no records aligned by lineage or by key and event time', truncated } }));
      continue;
    }
    const rate = c.n / pairs;
    out.push(m({ metric, status: rate <= p.recordLevel.maxMismatchRate ? 'Successful' : 'Failed', observed: rate, expected: 0, threshold: p.recordLevel.maxMismatchRate, records: pairs, detail: { aligned: pairs, mismatches: c.n, examples: c.examples, truncated } }));
  }
  return out;
}
