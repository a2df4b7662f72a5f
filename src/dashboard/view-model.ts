/**
 * What the dashboard's pages show, computed from the store's records and the
 * comparison reports. Pure: no I/O, no clock; the server feeds it and sends the
 * result as JSON, and the page only lays it out.
 */
import type { Deployment, PitStop, TransitionEntry, VerdictStatus } from '../orchestrator/lifecycle/model.ts';
import { PHASES, noiseReplicaOf } from '../orchestrator/lifecycle/model.ts';
import type { ComparisonReport } from '../compare/index.ts';
import type { SavepointRecord } from '../orchestrator/savepoints/record.ts';

export interface RoleView {
  readonly job: string;
  readonly jobId: string;
  readonly version: string | null;
  readonly engine: string;
  readonly topic: string;
}

export interface DeploymentRow {
  readonly name: string;
  readonly phase: string;
  readonly revision: number;
  readonly verdict: VerdictStatus | null;
  readonly verdictReason: string | null;
  readonly authoritative: RoleView;
  readonly candidate: RoleView;
  /** Epoch ms of the deployment's last change (the record's updatedAt). */
  readonly since: number;
  readonly createdAt: number;
  readonly strategy: string;
  readonly pitStop: PitStop | null;
  readonly activeTopic: string;
  readonly lastError: string | null;
}

export function deploymentRow(d: Deployment): DeploymentRow {
  const a = d.spec.authoritative;
  const c = d.spec.candidate;
  const plan = d.plan ?? d.spec.promotion;
  const strategy = 'mode' in plan && plan.mode ? `${plan.strategy} (${plan.mode})` : plan.strategy;
  return {
    name: d.name,
    phase: d.phase,
    revision: d.revision,
    verdict: d.verdict?.status ?? null,
    verdictReason: d.verdict?.reason ?? null,
    authoritative: { job: a.job, jobId: d.jobs.authoritative, version: a.version, engine: a.engine, topic: a.output },
    candidate: { job: c.job, jobId: d.jobs.candidate, version: c.version ?? null, engine: c.engine ?? a.engine, topic: c.canary },
    since: d.updatedAt,
    createdAt: d.createdAt,
    strategy,
    pitStop: d.promotion?.pitStop ?? null,
    activeTopic: d.activeTopic,
    lastError: d.lastError ? `[${d.lastError.code}] ${d.lastError.message}` : null,
  };
}

export interface RowPage {
  readonly total: number;
  readonly offset: number;
  readonly rows: readonly DeploymentRow[];
  /** How many deployments are in each phase (of those the name filter keeps, before the phase filter). */
  readonly phases: Readonly<Record<string, number>>;
}

/** One page of the deployments list, filtered by phase and by part of the name (any case), most recently changed first. */
export function rowPage(all: readonly Deployment[], o: { phase?: string | undefined; name?: string | undefined; offset?: number; limit?: number } = {}): RowPage {
  const phases: Record<string, number> = Object.fromEntries(PHASES.map((p) => [p, 0]));
  const part = o.name?.trim().toLowerCase() ?? '';
  const named = part ? all.filter((d) => d.name.toLowerCase().includes(part)) : all;
  for (const d of named) phases[d.phase] = (phases[d.phase] ?? 0) + 1;
  const wanted = o.phase ? named.filter((d) => d.phase === o.phase) : [...named];
  wanted.sort((x, y) => y.updatedAt - x.updatedAt || x.name.localeCompare(y.name));
  const offset = Math.max(0, o.offset ?? 0);
  const limit = Math.max(1, Math.min(500, o.limit ?? 50));
  return { total: wanted.length, offset, rows: wanted.slice(offset, offset + limit).map(deploymentRow), phases };
}

export interface TimelineEntry {
  readonly revision: number;
  readonly at: number;
  readonly from: string | null;
  readonly to: string;
  readonly event: string;
  /** Who caused it: the person (`alice via dashboard`), the shadow analysis, the controller. */
  readonly by: string;
  readonly why: string | null;
}

/** The lifecycle timeline: every transition with who did it and why, oldest first. */
export function timeline(history: readonly TransitionEntry[]): TimelineEntry[] {
  return history.map((h) => {
    const e = h.event;
    let by = 'pitlane';
    let why: string | null = null;
    switch (e.type) {
      case 'create':
      case 'start':
        by = 'canary start';
        break;
      case 'minimumReached':
        by = 'shadow analysis';
        why = 'the analysis minimum (duration, windows, records) was reached';
        break;
      case 'verdict':
        by = 'shadow analysis';
        why = `${e.status}${e.reason ? `: ${e.reason}` : ''}`;
        break;
      case 'effectDone':
      case 'effectFailed': {
        by = 'controller';
        const step = h.record.pending.find((p) => p.id === e.id) ?? history.find((x) => x.record.pending.some((p) => p.id === e.id))?.record.pending.find((p) => p.id === e.id);
        const what = step?.effect.type ?? e.id;
        why = e.type === 'effectDone' ? `${what} done` : `${what} failed: [${e.error.code}] ${e.error.message}`;
        break;
      }
      case 'promote':
        by = e.by ?? 'unknown';
        why = e.override ? `override: ${e.override.reason}` : 'verdict passed';
        break;
      case 'abort':
        by = e.by ?? 'unknown';
        why = e.reason;
        break;
      case 'rollback':
        by = e.by ?? 'unknown';
        why = e.reason ?? null;
        break;
    }
    return { revision: h.revision, at: h.at, from: h.from, to: h.to, event: e.type, by, why };
  });
}

export interface SavepointView {
  readonly role: string;
  readonly location: string;
  readonly completedAt: number;
}

const ROLE: Readonly<Record<string, string>> = { fork: 'fork (the candidate started from it)', handoff: 'handoff (kept for rollback)', debug: 'kept for debugging' };

/**
 * Savepoints a deployment took and keeps. From the store's savepoint history when
 * it has entries of this generation (a disposed savepoint is gone from it); else
 * from the record: the fork, the one kept for rollback, an aborted candidate's.
 */
export function savepoints(d: Deployment, kept: readonly SavepointRecord[] = []): SavepointView[] {
  const mine = kept.filter((s) => s.deployment === d.name && (s.generation === undefined || s.generation === d.generation));
  if (mine.length > 0) return [...mine].sort((x, y) => x.takenAt - y.takenAt).map((s) => ({ role: `${ROLE[s.trigger] ?? s.trigger} · job ${s.job} · ${s.engine}`, location: s.location, completedAt: s.takenAt }));
  const out: SavepointView[] = [];
  if (d.fork) out.push({ role: 'fork (the candidate started from it)', location: d.fork.savepoint.location, completedAt: d.fork.savepoint.completedAt });
  if (d.promotion?.rollbackSavepoint) out.push({ role: 'kept for rollback', location: d.promotion.rollbackSavepoint.location, completedAt: d.promotion.rollbackSavepoint.completedAt });
  if (d.abort?.debugSavepoint) out.push({ role: 'aborted candidate (kept for debugging)', location: d.abort.debugSavepoint.location, completedAt: d.abort.debugSavepoint.completedAt });
  return out;
}

export interface ChartPoint {
  readonly start: number;
  readonly end: number;
  readonly a: number | null;
  readonly b: number | null;
  readonly observed: number | null;
  readonly threshold: number | null;
  readonly status: string;
  readonly noiseFloor: number | null;
}

export interface MetricSeries {
  readonly metric: string;
  readonly points: readonly ChartPoint[];
  /** The declared expected change for this metric, when one applies. */
  readonly expected: { readonly min: number | null; readonly max: number | null; readonly reason: string | null } | null;
  /** A sample of what only one side has (key coverage: missing and extra keys), from the latest window that has one. */
  readonly sample: Readonly<Record<string, unknown>> | null;
}

export interface CheckView {
  readonly check: string;
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly judgedWindows: number;
  readonly series: readonly MetricSeries[];
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Per check, per metric, per event-time window: both sides' values, the difference, its limit and status. */
export function checkViews(report: ComparisonReport): CheckView[] {
  const byCheck = new Map<string, Map<string, ComparisonReport['measurements'][number][]>>();
  for (const m of report.measurements) {
    const metrics = byCheck.get(m.check) ?? new Map<string, ComparisonReport['measurements'][number][]>();
    const list = metrics.get(m.metric) ?? [];
    list.push(m);
    metrics.set(m.metric, list);
    byCheck.set(m.check, metrics);
  }
  return report.assessment.checks.map((c) => {
    const metrics = byCheck.get(c.check) ?? new Map();
    const series: MetricSeries[] = [...metrics.entries()].map(([metric, ms]) => {
      const sorted = [...ms].sort((x, y) => x.window.start - y.window.start);
      const declared = report.expected.find((e) => (e.check === c.check || e.check === c.type) && (e.metric === undefined || e.metric === metric) && e.change);
      const withSample = [...sorted].reverse().find((m) => m.detail.examples !== undefined);
      return {
        metric,
        points: sorted.map((m) => ({ start: m.window.start, end: m.window.end, a: num(m.sides?.a), b: num(m.sides?.b), observed: num(m.observed), threshold: num(m.threshold), status: m.status, noiseFloor: num(m.detail.noiseFloor) })),
        expected: declared?.change ? { min: declared.change.min ?? null, max: declared.change.max ?? null, reason: declared.reason ?? null } : null,
        sample: withSample ? { window: withSample.window, onlyA: withSample.detail.onlyA ?? null, onlyB: withSample.detail.onlyB ?? null, examples: withSample.detail.examples } : null,
      };
    });
    return { check: c.check, type: c.type, status: c.status, reason: c.reason, judgedWindows: c.judgedWindows, series };
  });
}

export interface ReportSummary {
  readonly generatedAt: string;
  readonly complete: boolean;
  readonly verdict: string;
  readonly reason: string;
  readonly windows: number;
  readonly records: { readonly a: number; readonly b: number; readonly noise: number | null };
  readonly watermarkLag: { readonly p50Ms: number | null; readonly maxMs: number | null } | null;
  readonly checks: readonly { readonly check: string; readonly type: string; readonly status: string; readonly reason: string }[];
  readonly expected: ComparisonReport['expected'];
  /** The diverging keys of the latest failed window that names them (null when none does). */
  readonly divergingKeys: { readonly window: { readonly start: number; readonly end: number }; readonly failedWindows: number; readonly ignoreFields: readonly string[] } & NonNullable<ComparisonReport['windows'][number]['divergingKeys']> | null;
}

export function reportSummary(r: ComparisonReport): ReportSummary {
  return {
    generatedAt: r.generatedAt,
    complete: r.complete,
    verdict: r.verdict,
    reason: r.reason,
    windows: r.windows.length,
    records: { a: r.sides.a.records, b: r.sides.b.records, noise: r.sides.noise?.records ?? null },
    watermarkLag: r.watermarkLag ? { p50Ms: r.watermarkLag.p50Ms, maxMs: r.watermarkLag.maxMs } : null,
    checks: r.assessment.checks.map((c) => ({ check: c.check, type: c.type, status: c.status, reason: c.reason })),
    expected: r.expected,
    divergingKeys: latestDivergingKeys(r),
  };
}

function latestDivergingKeys(r: ComparisonReport): ReportSummary['divergingKeys'] {
  const named = r.windows.filter((w) => w.divergingKeys !== undefined);
  const w = named.at(-1);
  return w?.divergingKeys ? { window: { start: w.start, end: w.end }, failedWindows: named.length, ignoreFields: r.settings.ignoreFields ?? [], ...w.divergingKeys } : null;
}

export interface DeploymentDetail {
  readonly row: DeploymentRow;
  readonly noiseReplica: { readonly jobId: string; readonly topic: string } | null;
  readonly timeline: readonly TimelineEntry[];
  readonly savepoints: readonly SavepointView[];
  readonly promotion: Deployment['promotion'] | null;
  readonly abort: Deployment['abort'] | null;
  readonly rollback: Deployment['rollback'] | null;
  readonly report: { readonly summary: ReportSummary; readonly checks: readonly CheckView[] } | { readonly unavailable: string };
  /** Which manual commands the phase allows (the controller still decides). */
  readonly actions: { readonly promote: boolean; readonly overrideNeeded: boolean; readonly abort: boolean; readonly rollback: boolean };
}

export function deploymentDetail(d: Deployment, history: readonly TransitionEntry[], report: ComparisonReport | { readonly unavailable: string }, kept: readonly SavepointRecord[] = []): DeploymentDetail {
  const finished = d.phase === 'Aborted' || d.phase === 'RolledBack';
  return {
    row: deploymentRow(d),
    noiseReplica: noiseReplicaOf(d) ?? null,
    timeline: timeline(history),
    savepoints: savepoints(d, kept),
    promotion: d.promotion ?? null,
    abort: d.abort ?? null,
    rollback: d.rollback ?? null,
    report: 'unavailable' in report ? { unavailable: report.unavailable } : { summary: reportSummary(report), checks: checkViews(report) },
    actions: {
      promote: ['Passed', 'Failed', 'Inconclusive'].includes(d.phase),
      overrideNeeded: d.phase !== 'Passed',
      abort: !finished && d.phase !== 'Promoted' && d.phase !== 'Promoting',
      rollback: d.phase === 'Promoted' || d.phase === 'Promoting',
    },
  };
}
