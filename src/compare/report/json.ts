import type { ComparisonReport } from './model.ts';

/** The report as one JSON document (Infinity/NaN never appear: checks report null instead). */
export function renderJson(report: ComparisonReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
