import { z } from 'zod';
import { parseWith } from '../../src/config/validate.ts';
import type { Check, WindowAccumulator } from '../types.ts';
import { measurer, relativeChange, withinTolerance } from '../shared/measure.ts';

export const countParams = z.strictObject({
  /** Allowed |b − a| / a. */
  relative: z.number().min(0).default(0.05),
  /** Allowed |b − a| in records; a difference within either tolerance passes. */
  absolute: z.number().min(0).default(0),
});

/**
 * count — records per window on each side. An empty window is Inconclusive (no
 * data never passes); one empty side against a non-empty one is Failed.
 */
export function countCheck(name: string, params: unknown): Check {
  const p = parseWith(countParams, params ?? {}, `check ${name} (count)`);
  return {
    name,
    type: 'count',
    open(window): WindowAccumulator {
      let a = 0;
      let b = 0;
      return {
        add(side) {
          if (side === 'a') a++;
          else b++;
        },
        finish() {
          const m = measurer(name, 'count', window);
          const base = { metric: 'records', expected: 0, threshold: p.relative, sides: { a, b }, records: a + b };
          if (a === 0 && b === 0) return [m({ ...base, status: 'Inconclusive', observed: null, detail: { reason: 'no records on either side' } })];
          if (a === 0) return [m({ ...base, status: 'Failed', observed: null, detail: { reason: 'only b has records' } })];
          const change = relativeChange(a, b);
          const ok = withinTolerance(a, b, p);
          return [m({ ...base, status: ok ? 'Successful' : 'Failed', observed: change, detail: { absolute: b - a } })];
        },
      };
    },
  };
}
