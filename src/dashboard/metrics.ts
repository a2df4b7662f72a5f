/**
 * `/metrics` in the Prometheus text exposition format (prom-client). Every
 * scrape builds a fresh registry from what the store and the reports say now,
 * so a deployment removed from the store leaves no stale series behind. Units
 * follow Prometheus' conventions: seconds and bytes.
 */
import { Gauge, Registry } from 'prom-client';
import type { ComparisonReport } from '../compare/index.ts';
import type { JobMetrics } from '../engines/adapter.ts';
import type { Deployment } from '../orchestrator/lifecycle/model.ts';
import { PHASES } from '../orchestrator/lifecycle/model.ts';

export interface JobSample {
  readonly jobId: string;
  /** authoritative, candidate, noise, live… */
  readonly role: string;
  readonly engine: string;
  readonly metrics?: JobMetrics | undefined;
}

/** What /metrics needs of a report: small, so it is kept per report file (reports.ts) rather than the report. */
export interface ReportMetrics {
  readonly generatedAt: string;
  readonly checks: readonly { readonly check: string; readonly type: string; readonly status: string }[];
  readonly latest: readonly { readonly check: string; readonly type: string; readonly metric: string; readonly value: number }[];
  readonly windows: number;
  readonly records: { readonly a: number; readonly b: number; readonly noise: number | null };
  readonly lag: { readonly p50Ms: number | null; readonly maxMs: number | null } | null;
}

export function reportMetrics(r: ComparisonReport): ReportMetrics {
  return {
    generatedAt: r.generatedAt,
    checks: r.assessment.checks.map((c) => ({ check: c.check, type: c.type, status: c.status })),
    latest: latestValues(r),
    windows: r.windows.length,
    records: { a: r.sides.a.records, b: r.sides.b.records, noise: r.sides.noise?.records ?? null },
    lag: r.watermarkLag ? { p50Ms: r.watermarkLag.p50Ms, maxMs: r.watermarkLag.maxMs } : null,
  };
}

export interface MetricsInput {
  readonly deployments: readonly { readonly deployment: Deployment; readonly report?: ReportMetrics | undefined; readonly jobs: readonly JobSample[] }[];
  readonly store: { readonly description: string; readonly up: boolean; readonly readSeconds: number | null };
}

const VERDICTS = ['pass', 'fail', 'inconclusive', 'none'] as const;
const CHECK_STATUSES = ['Successful', 'Failed', 'Inconclusive', 'Error'] as const;

function gauges(reg: Registry) {
  const g = (name: string, help: string, labelNames: readonly string[]) => new Gauge({ name, help, labelNames: [...labelNames], registers: [reg] });
  const dep = ['deployment'] as const;
  return {
    storeUp: g('pitlane_store_up', 'Whether the dashboard could read the deployment store on this scrape (1) or not (0).', ['store']),
    storeRead: g('pitlane_store_read_seconds', 'How long reading every deployment from the store took on this scrape.', ['store']),
    phase: g('pitlane_deployment_phase', 'The deployment\'s lifecycle phase: 1 for the phase it is in, 0 for the others.', [...dep, 'phase']),
    verdict: g('pitlane_deployment_verdict', 'The deployment\'s recorded verdict: 1 for it, 0 for the others (none: no verdict yet).', [...dep, 'verdict']),
    revision: g('pitlane_deployment_revision', 'The deployment\'s revision in the store (+1 per transition).', dep),
    updated: g('pitlane_deployment_updated_timestamp_seconds', 'When the deployment last changed (Unix time).', dep),
    checkStatus: g('pitlane_check_status', 'Each check\'s assessed status: 1 for it, 0 for the others.', [...dep, 'check', 'type', 'status']),
    checkValue: g('pitlane_check_observed_value', 'The latest measured difference per check and metric (its latest judged window).', [...dep, 'check', 'type', 'metric']),
    windows: g('pitlane_windows_judged', 'Event-time windows judged by the live comparison.', dep),
    records: g('pitlane_records_compared', 'Records read and compared per side (a: authoritative, b: candidate, noise: the noise replica).', [...dep, 'side']),
    lag: g('pitlane_watermark_lag_seconds', 'The candidate\'s watermark lag behind the authoritative over the judged windows.', [...dep, 'stat']),
    reportTime: g('pitlane_report_generated_timestamp_seconds', 'When the current comparison report was written (Unix time).', dep),
    pitGap: g('pitlane_pit_stop_output_gap_seconds', 'Pit stop of the promotion: last output of the old job to first output of the new one.', dep),
    pitNoWriter: g('pitlane_pit_stop_no_writer_seconds', 'Pit stop of the promotion: the time no job was writing the authoritative topic.', dep),
    jobRate: g('pitlane_job_input_records_per_second', 'Records per second a job reads (its engine\'s recent interval).', [...dep, 'job', 'role', 'engine']),
    jobLag: g('pitlane_job_input_lag_records', 'Input records a job is behind the end of its input topics.', [...dep, 'job', 'role', 'engine']),
    jobState: g('pitlane_job_state_bytes', 'Bytes of keyed state a job holds.', [...dep, 'job', 'role', 'engine']),
    jobIn: g('pitlane_job_records_in', 'Records a job has read since it started.', [...dep, 'job', 'role', 'engine']),
    jobOut: g('pitlane_job_records_out', 'Records a job has written since it started.', [...dep, 'job', 'role', 'engine']),
  };
}

/** The latest measured value per check and metric: the observed difference of its latest window that has one. */
export function latestValues(report: ComparisonReport): { check: string; type: string; metric: string; value: number }[] {
  const latest = new Map<string, { check: string; type: string; metric: string; value: number; start: number }>();
  for (const m of report.measurements) {
    if (m.observed === null || !Number.isFinite(m.observed)) continue;
    const key = `${m.check}\u0000${m.metric}`;
    const seen = latest.get(key);
    if (!seen || m.window.start >= seen.start) latest.set(key, { check: m.check, type: m.type, metric: m.metric, value: m.observed, start: m.window.start });
  }
  return [...latest.values()].map(({ start: _s, ...v }) => v);
}

/** Renders the exposition text and its content type. */
export async function renderMetrics(input: MetricsInput): Promise<{ contentType: string; text: string }> {
  const reg = new Registry();
  const m = gauges(reg);
  m.storeUp.set({ store: input.store.description }, input.store.up ? 1 : 0);
  if (input.store.readSeconds !== null) m.storeRead.set({ store: input.store.description }, input.store.readSeconds);
  for (const { deployment: d, report, jobs } of input.deployments) {
    const deployment = d.name;
    for (const p of PHASES) m.phase.set({ deployment, phase: p }, p === d.phase ? 1 : 0);
    const v = d.verdict?.status ?? 'none';
    for (const x of VERDICTS) m.verdict.set({ deployment, verdict: x }, x === v ? 1 : 0);
    m.revision.set({ deployment }, d.revision);
    m.updated.set({ deployment }, d.updatedAt / 1000);
    const pit = d.promotion?.pitStop;
    if (pit?.outputGapMs !== undefined) m.pitGap.set({ deployment }, pit.outputGapMs / 1000);
    if (pit?.noWriterMs !== undefined) m.pitNoWriter.set({ deployment }, pit.noWriterMs / 1000);
    if (report) {
      for (const c of report.checks) for (const s of CHECK_STATUSES) m.checkStatus.set({ deployment, check: c.check, type: c.type, status: s }, s === c.status ? 1 : 0);
      for (const x of report.latest) m.checkValue.set({ deployment, check: x.check, type: x.type, metric: x.metric }, x.value);
      m.windows.set({ deployment }, report.windows);
      m.records.set({ deployment, side: 'a' }, report.records.a);
      m.records.set({ deployment, side: 'b' }, report.records.b);
      if (report.records.noise !== null) m.records.set({ deployment, side: 'noise' }, report.records.noise);
      if (report.lag?.p50Ms != null) m.lag.set({ deployment, stat: 'p50' }, report.lag.p50Ms / 1000);
      if (report.lag?.maxMs != null) m.lag.set({ deployment, stat: 'max' }, report.lag.maxMs / 1000);
      const at = Date.parse(report.generatedAt);
      if (Number.isFinite(at)) m.reportTime.set({ deployment }, at / 1000);
    }
    for (const j of jobs) {
      if (!j.metrics) continue;
      const l = { deployment, job: j.jobId, role: j.role, engine: j.engine };
      m.jobRate.set(l, j.metrics.inRate);
      m.jobLag.set(l, j.metrics.inputLag);
      m.jobIn.set(l, j.metrics.recordsIn);
      m.jobOut.set(l, j.metrics.recordsOut);
      if (j.metrics.stateBytes !== undefined) m.jobState.set(l, j.metrics.stateBytes);
    }
  }
  return { contentType: reg.contentType, text: await reg.metrics() };
}
