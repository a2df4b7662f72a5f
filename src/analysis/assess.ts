import type { Measurement, Status } from '../../comparators/types.ts';
import { rankTest, type RankTestResult } from './rank-test.ts';
import { emptyCounts, worst } from './status.ts';

export interface CheckLimits {
  /** Failed windows tolerated before the check fails. */
  readonly maxFailures: number;
  /** Inconclusive windows tolerated before the check is Inconclusive; null = any. */
  readonly maxInconclusive: number | null;
  /** Errored windows in a row tolerated before the check is Error. */
  readonly maxConsecutiveErrors: number;
}

export interface StatisticalMode {
  readonly tolerance: number;
  readonly alpha: number;
  readonly minSamples: number;
}

export interface CheckPolicy {
  readonly name: string;
  readonly type: string;
  readonly limits: CheckLimits;
  /** Judge per-window side values with a rank test instead of counting failed windows. */
  readonly statistical?: StatisticalMode | undefined;
}

export interface AssessmentPolicy {
  readonly checks: readonly CheckPolicy[];
  /** Before a check can pass: this many judged (Successful/Failed) windows … */
  readonly minWindows: number;
  /** … over this many records. */
  readonly minRecords: number;
}

export interface MetricTest extends RankTestResult {
  readonly metric: string;
}

export interface CheckAssessment {
  readonly check: string;
  readonly type: string;
  readonly status: Status;
  readonly reason: string;
  /** Windows by their worst status over the check's metrics. */
  readonly windows: Record<Status, number>;
  readonly judgedWindows: number;
  readonly records: number;
  readonly failedMetrics: readonly string[];
  readonly rankTests?: readonly MetricTest[] | undefined;
}

export interface Assessment {
  readonly status: Status;
  readonly reason: string;
  readonly checks: readonly CheckAssessment[];
}

/**
 * Pure judgment over all measurements so far (design.md §5): each check against
 * its limits, a minimum of data before anything passes, and the worst status over
 * the checks. No measurements at all is Inconclusive, never Successful.
 */
export function assess(measurements: readonly Measurement[], policy: AssessmentPolicy): Assessment {
  const byCheck = new Map<string, Measurement[]>();
  for (const m of measurements) {
    const list = byCheck.get(m.check);
    if (list) list.push(m);
    else byCheck.set(m.check, [m]);
  }
  const checks = policy.checks.map((c) => assessCheck(c, byCheck.get(c.name) ?? [], policy));
  if (checks.length === 0) return { status: 'Inconclusive', reason: 'no checks configured', checks };
  const status = worst(checks.map((c) => c.status));
  const named = checks.filter((c) => c.status === status).map((c) => c.check);
  const reason = status === 'Successful' ? `all ${checks.length} checks passed` : `${status.toLowerCase()}: ${named.join(', ')}`;
  return { status, reason, checks };
}

function assessCheck(c: CheckPolicy, ms: readonly Measurement[], policy: AssessmentPolicy): CheckAssessment {
  // Group by window; a window's status is the worst over its metrics.
  const windows = new Map<number, Measurement[]>();
  for (const m of ms) {
    const list = windows.get(m.window.start);
    if (list) list.push(m);
    else windows.set(m.window.start, [m]);
  }
  const ordered = [...windows.entries()].sort((x, y) => x[0] - y[0]).map((e) => e[1]);
  const counts = emptyCounts();
  let records = 0;
  let run = 0;
  let longestErrorRun = 0;
  for (const w of ordered) {
    const s = worst(w.map((m) => m.status));
    counts[s]++;
    records += Math.max(0, ...w.map((m) => m.records));
    run = s === 'Error' ? run + 1 : 0;
    longestErrorRun = Math.max(longestErrorRun, run);
  }
  const failedMetrics = [...new Set(ms.filter((m) => m.status === 'Failed').map((m) => m.metric))].sort();
  const judgedWindows = counts.Successful + counts.Failed;
  const base = { check: c.name, type: c.type, windows: counts, judgedWindows, records };

  let rankTests: MetricTest[] | undefined;
  let failed = counts.Failed > c.limits.maxFailures;
  let failReason = `${counts.Failed} failed windows (limit ${c.limits.maxFailures}) in ${failedMetrics.join(', ')}`;
  // Checks without per-side values (schema) have nothing to rank; they keep window counting.
  const tests = c.statistical ? statisticalTests(ms, c.statistical) : [];
  if (c.statistical && tests.length > 0) {
    rankTests = tests;
    const failing = rankTests.filter((t) => t.status === 'Failed');
    failed = failing.length > 0;
    failReason = failing.map((t) => `${t.metric}: ${t.reason}`).join('; ');
  }
  const done = (status: Status, reason: string): CheckAssessment => ({
    ...base,
    status,
    reason,
    failedMetrics: rankTests ? (rankTests ?? []).filter((t) => t.status === 'Failed').map((t) => t.metric) : failedMetrics,
    ...(rankTests ? { rankTests } : {}),
  });

  if (failed) return done('Failed', failReason);
  if (longestErrorRun > c.limits.maxConsecutiveErrors) return done('Error', `${longestErrorRun} errored windows in a row (limit ${c.limits.maxConsecutiveErrors})`);
  if (judgedWindows < policy.minWindows || records < policy.minRecords) {
    return done('Inconclusive', `not enough data: ${judgedWindows} judged windows (need ${policy.minWindows}), ${records} records (need ${policy.minRecords})`);
  }
  if (c.limits.maxInconclusive !== null && counts.Inconclusive > c.limits.maxInconclusive) {
    return done('Inconclusive', `${counts.Inconclusive} inconclusive windows (limit ${c.limits.maxInconclusive})`);
  }
  if (rankTests && rankTests.length > 0 && rankTests.every((t) => t.status === 'Inconclusive')) return done('Inconclusive', rankTests[0]!.reason);
  return done('Successful', `${judgedWindows} windows judged, ${counts.Failed} failed`);
}

/** Per metric, the per-window side values of b against those of a. */
function statisticalTests(ms: readonly Measurement[], mode: StatisticalMode): MetricTest[] {
  const series = new Map<string, { a: number[]; b: number[] }>();
  for (const m of ms) {
    if (!m.sides || (m.status !== 'Successful' && m.status !== 'Failed')) continue;
    let s = series.get(m.metric);
    if (!s) series.set(m.metric, (s = { a: [], b: [] }));
    s.a.push(m.sides.a);
    s.b.push(m.sides.b);
  }
  return [...series.entries()].sort((x, y) => x[0].localeCompare(y[0])).map(([metric, s]) => ({ metric, ...rankTest(s.a, s.b, mode) }));
}
