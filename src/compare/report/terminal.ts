import type { ComparisonReport } from './model.ts';
import { divergenceLines } from './divergence.ts';

function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')).join('\n');
}

const MARK: Readonly<Record<string, string>> = { Successful: 'PASS', Failed: 'FAIL', Inconclusive: 'INCONCLUSIVE', Error: 'ERROR' };

/** A table for people: one row per check, the verdict, and the sides' record counts. */
export function renderTerminal(r: ComparisonReport): string {
  const side = (name: string, s: ComparisonReport['sides']['a']) =>
    `  ${name}: ${s.topic}  ${s.records} records, ${s.undecodable} undecodable, ${s.late} late, ${s.droppedLate} after their window closed`;
  const rows = [
    ['CHECK', 'TYPE', 'STATUS', 'WINDOWS (ok/fail/inc/err)', 'REASON'],
    ...r.assessment.checks.map((c) => [
      c.check,
      c.type,
      MARK[c.status] ?? c.status,
      `${c.windows.Successful}/${c.windows.Failed}/${c.windows.Inconclusive}/${c.windows.Error}`,
      c.reason,
    ]),
  ];
  const lines = [
    `verdict: ${MARK[r.verdict]} — ${r.reason}`,
    side('a', r.sides.a),
    side('b', r.sides.b),
    ...(r.sides.noise ? [side('noise', r.sides.noise)] : []),
    `  ${r.windows.length} windows of ${r.settings.window} ms${r.complete ? '' : ' (still running)'}`,
    ...(r.watermarkLag && r.watermarkLag.windows > 0
      ? [`  watermark lag of b behind a: p50 ${r.watermarkLag.p50Ms} ms, max ${r.watermarkLag.maxMs} ms over ${r.watermarkLag.windows} windows (${r.watermarkLag.emitTime})`]
      : []),
    '',
    table(rows),
    ...divergenceLines(r),
  ];
  return lines.join('\n');
}
