/**
 * A user's business check (src/check-authoring.ts) as one of the comparator's checks:
 * per window, an accumulator per side folds the side's records (`init`, `add`), and
 * `measure` turns the two into measurements with the built-in checks' statuses,
 * tolerance and report fields.
 *
 * The user's code is contained: whatever it throws (in init, add or measure), or a
 * result that is not a measurement, makes that window of that check an Error with the
 * message and the line that threw — never an exception out of the comparator, so the
 * other checks and windows go on.
 */
import type { CheckDefinition, CheckResult, CheckStatus, FoldContext, MeasureContext } from '../../check-authoring.ts';
import type { Check, Measurement, Side, Status, Window, WindowAccumulator } from '../../../comparators/types.ts';
import { measurer, relativeChange, withinTolerance } from '../../../comparators/shared/measure.ts';
import { at, userFrame } from '../../modules/load-errors.ts';

export const CUSTOM_TYPE = 'custom';

export interface CustomCheckSettings {
  /** The module it came from (for errors). */
  readonly module: string;
  /** What the check's `options()` made of the spec's options. */
  readonly options: unknown;
  readonly relative: number;
  readonly absolute: number;
}

const STATUS: Readonly<Record<CheckStatus, Status>> = { pass: 'Successful', fail: 'Failed', inconclusive: 'Inconclusive' };

/** Where the user's code threw, for the report: `add threw at /x/checks/revenue.ts:12:7: …`. */
function describeThrow(phase: string, e: unknown): { error: string; at?: string } {
  const message = e instanceof Error ? e.message : String(e);
  const where = userFrame(e instanceof Error ? e.stack : undefined);
  return where ? { error: `${phase} threw at ${at(where)}: ${message}`, at: at(where) } : { error: `${phase} threw: ${message}` };
}

const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

export function customCheck(name: string, def: CheckDefinition, s: CustomCheckSettings): Check {
  const tolerance = { relative: s.relative, absolute: s.absolute };
  return {
    name,
    type: CUSTOM_TYPE,
    open(window: Window): WindowAccumulator {
      const ctx: Record<Side, FoldContext<unknown>> = { a: { window, side: 'a', options: s.options }, b: { window, side: 'b', options: s.options } };
      const counts = { a: 0, b: 0 };
      const acc: Record<Side, unknown> = { a: undefined, b: undefined };
      // The first throw ends the window's folding: its measurement is that error.
      let failure: { error: string; at?: string } | undefined;
      try {
        acc.a = def.init(ctx.a);
        acc.b = def.init(ctx.b);
      } catch (e) {
        failure = describeThrow('init', e);
      }
      const m = measurer(name, CUSTOM_TYPE, window);
      const error = (f: { error: string; at?: string }): Measurement[] => [
        m({ metric: 'value', status: 'Error', observed: null, expected: null, threshold: null, records: counts.a + counts.b, detail: { ...f, module: s.module } }),
      ];
      return {
        add(side, record) {
          counts[side]++;
          if (failure) return;
          try {
            const next = def.add(acc[side], record, ctx[side]);
            if (next !== undefined) acc[side] = next;
          } catch (e) {
            failure = describeThrow('add', e);
          }
        },
        finish() {
          if (failure) return error(failure);
          const records = counts.a + counts.b;
          if (records === 0) return [m({ metric: 'value', status: 'Inconclusive', observed: null, expected: 0, threshold: s.relative, records: 0, detail: { reason: 'no records on either side' } })];
          const mctx: MeasureContext<unknown> = {
            window,
            options: s.options,
            tolerance,
            records: { ...counts },
            within: (a, b) => withinTolerance(a, b, tolerance),
            relativeChange,
          };
          let out: unknown;
          try {
            out = def.measure(acc.a, acc.b, mctx);
          } catch (e) {
            return error(describeThrow('measure', e));
          }
          const results = Array.isArray(out) ? (out as unknown[]) : [out];
          const measurements: Measurement[] = [];
          const metrics = new Set<string>();
          for (const r of results) {
            const made = toMeasurement(r, tolerance, records);
            if (typeof made === 'string') return error({ error: `measure returned ${made}` });
            if (metrics.has(made.metric)) return error({ error: `measure returned the metric "${made.metric}" twice; give each result its own metric` });
            metrics.add(made.metric);
            measurements.push(m(made));
          }
          return measurements.length > 0 ? measurements : error({ error: 'measure returned no result' });
        },
      };
    },
  };
}

type Fields = Parameters<ReturnType<typeof measurer>>[0];

/** A check's result as a measurement's fields, or what is wrong with it. */
function toMeasurement(r: unknown, tolerance: { relative: number; absolute: number }, records: number): Fields | string {
  if (typeof r !== 'object' || r === null) return `${r === null ? 'null' : typeof r}, not a result ({ status?, a?, b?, observed?, threshold?, reason? })`;
  if (typeof (r as { then?: unknown }).then === 'function') return 'a Promise: a check measures synchronously';
  const x = r as CheckResult;
  const metric = x.metric ?? 'value';
  if (typeof metric !== 'string' || metric === '') return `metric ${JSON.stringify(metric)}, not a non-empty string`;
  for (const k of ['a', 'b'] as const) if (x[k] !== undefined && !isNum(x[k])) return `${k} = ${String(x[k])} for ${metric}, not a finite number`;
  for (const k of ['observed', 'expected', 'threshold'] as const) if (x[k] !== undefined && x[k] !== null && !isNum(x[k])) return `${k} = ${String(x[k])} for ${metric}, not a finite number or null`;
  if (x.status !== undefined && !Object.hasOwn(STATUS, x.status)) return `status ${JSON.stringify(x.status)} for ${metric}; use pass, fail or inconclusive`;
  const sides = isNum(x.a) && isNum(x.b) ? { a: x.a, b: x.b } : undefined;
  if (x.status === undefined && !sides) return `neither a status nor both sides' values (a, b) for ${metric}`;
  const change = sides ? relativeChange(sides.a, sides.b) : null;
  const status: Status = x.status !== undefined ? STATUS[x.status] : withinTolerance(sides!.a, sides!.b, tolerance) ? 'Successful' : 'Failed';
  const detail: Record<string, unknown> = { ...(x.detail ?? {}) };
  if (x.reason !== undefined) detail.reason = String(x.reason);
  return {
    metric,
    status,
    observed: x.observed !== undefined ? x.observed : change !== null && Number.isFinite(change) ? change : null,
    expected: x.expected !== undefined ? x.expected : 0,
    threshold: x.threshold !== undefined ? x.threshold : tolerance.relative,
    ...(sides ? { sides } : {}),
    records,
    detail,
  };
}
