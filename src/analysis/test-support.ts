import type { Measurement, Status } from '../../comparators/types.ts';

/** A measurement for assessor tests: window i of 1 s, the given status and values. */
export function ms(check: string, i: number, status: Status, over: Partial<Measurement> = {}): Measurement {
  return { check, type: check, metric: 'm', window: { start: i * 1000, end: (i + 1) * 1000 }, status, observed: status === 'Failed' ? 0.5 : 0, expected: 0, threshold: 0.1, records: 100, detail: {}, ...over };
}
