import type { Measurement, Status, Window } from '../types.ts';

/** Relative change of b against a; ±Infinity when a is 0 and b is not, 0 when both are 0. */
export function relativeChange(a: number, b: number): number {
  if (a === b) return 0;
  if (a === 0) return b > 0 ? Infinity : -Infinity;
  return (b - a) / Math.abs(a);
}

/** Within tolerance when either the absolute or the relative difference is small enough. */
export function withinTolerance(a: number, b: number, tol: { relative: number; absolute: number }): boolean {
  return Math.abs(b - a) <= tol.absolute || Math.abs(relativeChange(a, b)) <= tol.relative;
}

type Fields = Omit<Measurement, 'check' | 'type' | 'window' | 'detail' | 'sides'> & {
  sides?: Measurement['sides'];
  detail?: Measurement['detail'];
};

/** Builds measurements for one check and window with the common fields filled in. */
export function measurer(check: string, type: string, window: Window) {
  return (m: Fields): Measurement => ({ check, type, window, detail: {}, ...m });
}

/** A measurement for a check that could not measure (design.md §5: Error, never a throw). */
export function errorMeasurement(check: string, type: string, window: Window, metric: string, e: unknown): Measurement {
  return { check, type, metric, window, status: 'Error' as Status, observed: null, expected: null, threshold: null, records: 0, detail: { error: e instanceof Error ? e.message : String(e) } };
}

