import { z } from 'zod';
import { parseWith } from '../../src/config/validate.ts';
import type { Check, Measurement, WindowAccumulator } from '../types.ts';
import { fieldsOf, sidePathState } from '../shared/fields.ts';
import { measurer } from '../shared/measure.ts';

export const nullRateParams = z.strictObject({
  /** Fields to measure (dotted paths); all fields seen on both sides when absent. */
  fields: z.array(z.string()).optional(),
  /** Allowed |rate_b − rate_a|, where rate = (null or missing) / records. */
  tolerance: z.number().min(0).max(1).default(0.01),
});

/**
 * null-rate — per field, the share of records where it is null or missing, on
 * each side. Fields seen on one side only are the schema check's finding and are
 * skipped here (listed in detail), so one change is reported by one check.
 */
export function nullRateCheck(name: string, params: unknown): Check {
  const p = parseWith(nullRateParams, params ?? {}, `check ${name} (null-rate)`);
  return {
    name,
    type: 'null-rate',
    open(window): WindowAccumulator {
      const { byPath: present, slots } = sidePathState(() => ({ present: 0 }));
      const counts = { a: 0, b: 0 };
      return {
        add(side, record) {
          counts[side]++;
          const { shape, values } = fieldsOf(record);
          const s = slots[side].of(shape);
          for (let i = 0; i < values.length; i++) {
            const v = values[i];
            if (v !== null && v !== undefined) s[i]!.present++;
          }
        },
        finish() {
          const m = measurer(name, 'null-rate', window);
          const records = counts.a + counts.b;
          if (counts.a === 0 || counts.b === 0) {
            return [m({ metric: '*', status: 'Inconclusive', observed: null, expected: 0, threshold: p.tolerance, records, detail: { reason: `no records on side ${counts.a === 0 ? 'a' : 'b'}` } })];
          }
          const fields = p.fields ?? [...present.a.keys()].filter((f) => present.b.has(f)).sort();
          const oneSided = p.fields ? [] : [...new Set([...present.a.keys(), ...present.b.keys()])].filter((f) => !(present.a.has(f) && present.b.has(f)));
          const out: Measurement[] = [];
          for (const f of fields) {
            const ra = 1 - (present.a.get(f)?.present ?? 0) / counts.a;
            const rb = 1 - (present.b.get(f)?.present ?? 0) / counts.b;
            const diff = rb - ra;
            out.push(m({ metric: f, status: Math.abs(diff) <= p.tolerance ? 'Successful' : 'Failed', observed: diff, expected: 0, threshold: p.tolerance, sides: { a: ra, b: rb }, records, detail: oneSided.length ? { skippedOneSided: oneSided } : {} }));
          }
          if (out.length === 0) out.push(m({ metric: '*', status: 'Inconclusive', observed: null, expected: 0, threshold: p.tolerance, records, detail: { reason: 'no field seen on both sides' } }));
          return out;
        },
      };
    },
  };
}
