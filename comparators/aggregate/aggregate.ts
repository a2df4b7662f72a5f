import { z } from 'zod';
import { quantileSorted } from 'simple-statistics';
import { parseWith } from '../../src/config/validate.ts';
import type { Check, CompareRecord, Measurement, Side, WindowAccumulator } from '../types.ts';
import { fieldsOf } from '../shared/fields.ts';
import { measurer, relativeChange, withinTolerance } from '../shared/measure.ts';
import { Reservoir } from './reservoir.ts';

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

interface FieldAcc {
  sum: number;
  reservoir: Reservoir;
}

/**
 * aggregate — per numeric field and window: sum, mean, p50, p95, p99 on each side
 * within a relative tolerance; and record-level differences where records align,
 * by lineage headers (source topic/partition/offset + key) when both sides carry
 * them, else by key and event time.
 */
export function aggregateCheck(name: string, params: unknown): Check {
  const p = parseWith(aggregateParams, params ?? {}, `check ${name} (aggregate)`);
  return {
    name,
    type: 'aggregate',
    open(window): WindowAccumulator {
      const acc: Record<Side, Map<string, FieldAcc>> = { a: new Map(), b: new Map() };
      const counts = { a: 0, b: 0 };
      const aligned: Record<Side, Map<string, CompareRecord[]>> = { a: new Map(), b: new Map() };
      const held = { a: 0, b: 0 };
      return {
        add(side, record) {
          counts[side]++;
          const map = acc[side];
          const fields = fieldsOf(record);
          const wanted = p.fields ?? fields.keys();
          for (const f of wanted) {
            const v = fields.get(f);
            if (typeof v !== 'number' || !Number.isFinite(v)) continue;
            let fa = map.get(f);
            if (!fa) map.set(f, (fa = { sum: 0, reservoir: new Reservoir(p.sampleSize) }));
            fa.sum += v;
            fa.reservoir.add(v);
          }
          if (p.recordLevel.enabled && held[side] < p.recordLevel.maxRecords) {
            held[side]++;
            const k = alignKey(record);
            const list = aligned[side].get(k);
            if (list) list.push(record);
            else aligned[side].set(k, [record]);
          }
        },
        finish() {
          const m = measurer(name, 'aggregate', window);
          const records = counts.a + counts.b;
          if (counts.a === 0 || counts.b === 0) {
            return [m({ metric: '*', status: 'Inconclusive', observed: null, expected: 0, threshold: p.relative, records, detail: { reason: `no records on side ${counts.a === 0 ? 'a' : 'b'}` } })];
          }
          const fields = p.fields ?? [...acc.a.keys()].filter((f) => acc.b.has(f)).sort();
          const out: Measurement[] = [];
          for (const f of fields) {
            const fa = acc.a.get(f);
            const fb = acc.b.get(f);
            if (!fa || !fb) {
              out.push(m({ metric: f, status: 'Error', observed: null, expected: 0, threshold: p.relative, records, detail: { error: `field ${f} has no numeric values on side ${fa ? 'b' : 'a'}` } }));
              continue;
            }
            const sa = summarize(fa);
            const sb = summarize(fb);
            for (const stat of p.stats) {
              const ok = withinTolerance(sa[stat], sb[stat], p);
              const change = relativeChange(sa[stat], sb[stat]);
              out.push(m({ metric: `${f}.${stat}`, status: ok ? 'Successful' : 'Failed', observed: Number.isFinite(change) ? change : null, expected: 0, threshold: p.relative, sides: { a: sa[stat], b: sb[stat] }, records, detail: { sampled: fa.reservoir.seen > p.sampleSize || fb.reservoir.seen > p.sampleSize } }));
            }
          }
          if (p.recordLevel.enabled) out.push(...recordLevel(p, fields, aligned, held, counts, m));
          if (out.length === 0) out.push(m({ metric: '*', status: 'Inconclusive', observed: null, expected: 0, threshold: p.relative, records, detail: { reason: 'no numeric field on both sides' } }));
          return out;
        },
      };
    },
  };
}

function alignKey(r: CompareRecord): string {
  return r.lineage ? `L\u0000${r.lineage.topic}\u0000${r.lineage.partition}\u0000${r.lineage.offset}\u0000${r.key ?? ''}` : `K\u0000${r.key ?? ''}\u0000${r.eventTime}`;
}

function summarize(fa: FieldAcc): Record<Stat, number> {
  const sorted = [...fa.reservoir.values].sort((x, y) => x - y);
  const n = fa.reservoir.seen;
  return { sum: fa.sum, mean: fa.sum / n, p50: quantileSorted(sorted, 0.5), p95: quantileSorted(sorted, 0.95), p99: quantileSorted(sorted, 0.99) };
}

/** Pairs records with the same alignment key in arrival order and counts value differences per field. */
function recordLevel(
  p: Params,
  fields: readonly string[],
  aligned: Record<Side, Map<string, CompareRecord[]>>,
  held: Record<Side, number>,
  counts: Record<Side, number>,
  m: ReturnType<typeof measurer>,
): Measurement[] {
  const out: Measurement[] = [];
  const mismatches = new Map<string, { n: number; examples: unknown[] }>(fields.map((f) => [f, { n: 0, examples: [] }]));
  let pairs = 0;
  for (const [k, as] of aligned.a) {
    const bs = aligned.b.get(k);
    if (!bs) continue;
    const n = Math.min(as.length, bs.length);
    for (let i = 0; i < n; i++) {
      pairs++;
      const fa = fieldsOf(as[i]!);
      const fb = fieldsOf(bs[i]!);
      for (const f of fields) {
        const va = fa.get(f);
        const vb = fb.get(f);
        const same = typeof va === 'number' && typeof vb === 'number' ? withinTolerance(va, vb, p) : va === vb;
        if (!same) {
          const mm = mismatches.get(f)!;
          mm.n++;
          if (mm.examples.length < 5) mm.examples.push({ key: as[i]!.key, eventTime: as[i]!.eventTime, a: va ?? null, b: vb ?? null });
        }
      }
    }
  }
  const truncated = held.a < counts.a || held.b < counts.b;
  for (const f of fields) {
    const metric = `${f}.records`;
    if (pairs === 0) {
      out.push(m({ metric, status: 'Inconclusive', observed: null, expected: 0, threshold: p.recordLevel.maxMismatchRate, records: 0, detail: { reason: 'no records aligned by lineage or by key and event time', truncated } }));
      continue;
    }
    const mm = mismatches.get(f)!;
    const rate = mm.n / pairs;
    out.push(m({ metric, status: rate <= p.recordLevel.maxMismatchRate ? 'Successful' : 'Failed', observed: rate, expected: 0, threshold: p.recordLevel.maxMismatchRate, records: pairs, detail: { aligned: pairs, mismatches: mm.n, examples: mm.examples, truncated } }));
  }
  return out;
}
