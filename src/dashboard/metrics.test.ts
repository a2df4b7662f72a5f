import { test } from 'node:test';
import assert from 'node:assert/strict';
import parse from 'parse-prometheus-text-format';
import { renderMetrics, reportMetrics } from './metrics.ts';
import { deployment, report } from './test-support.ts';

const series = (families: ReturnType<typeof parse>, name: string) => families.find((f) => f.name === name)?.metrics ?? [];
const value = (families: ReturnType<typeof parse>, name: string, labels: Record<string, string>) =>
  series(families, name).find((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v))?.value;

test('renderMetrics: phase, verdict, checks, windows, records, lag, pit stop and jobs, in the exposition format', async () => {
  const promoted = deployment('b', 'Promoted', { verdict: { status: 'pass', at: 1 }, promotion: { strategy: 'cutover', auto: false, startedAt: 1, steps: [], pitStop: { outputGapMs: 250, noWriterMs: 0 } } });
  const out = await renderMetrics({
    store: { description: 'kafka:pitlane.deployments', up: true, readSeconds: 0.012 },
    deployments: [
      { deployment: deployment('a', 'Failed', { verdict: { status: 'fail', at: 1 } }), report: reportMetrics(report()), jobs: [{ jobId: 'a', role: 'authoritative', engine: 'embedded', metrics: { recordsIn: 900, recordsOut: 300, inputLag: 7, inRate: 512.5, stateBytes: 4096 } }, { jobId: 'a.candidate', role: 'candidate', engine: 'embedded' }] },
      { deployment: promoted, jobs: [] },
    ],
  });
  assert.match(out.contentType, /^text\/plain; version=0\.0\.4/);
  const f = parse(out.text);
  assert.equal(value(f, 'pitlane_store_up', {}), '1');
  assert.equal(value(f, 'pitlane_deployment_phase', { deployment: 'a', phase: 'Failed' }), '1');
  assert.equal(value(f, 'pitlane_deployment_phase', { deployment: 'a', phase: 'Shadowing' }), '0');
  assert.equal(value(f, 'pitlane_deployment_verdict', { deployment: 'a', verdict: 'fail' }), '1');
  assert.equal(value(f, 'pitlane_deployment_verdict', { deployment: 'b', verdict: 'pass' }), '1');
  assert.equal(value(f, 'pitlane_check_status', { deployment: 'a', check: 'keys', status: 'Failed' }), '1');
  assert.equal(value(f, 'pitlane_check_status', { deployment: 'a', check: 'count', status: 'Failed' }), '0');
  // the latest window's measurement, though it is not the last in the report
  assert.equal(value(f, 'pitlane_check_observed_value', { deployment: 'a', check: 'count', metric: 'records' }), '-0.6');
  assert.equal(value(f, 'pitlane_check_observed_value', { deployment: 'a', check: 'keys', metric: 'jaccard' }), '0.4');
  assert.equal(value(f, 'pitlane_windows_judged', { deployment: 'a' }), '3');
  assert.equal(value(f, 'pitlane_records_compared', { deployment: 'a', side: 'a' }), '300');
  assert.equal(value(f, 'pitlane_records_compared', { deployment: 'a', side: 'b' }), '115');
  assert.equal(value(f, 'pitlane_watermark_lag_seconds', { deployment: 'a', stat: 'max' }), '0.45');
  assert.equal(value(f, 'pitlane_pit_stop_output_gap_seconds', { deployment: 'b' }), '0.25');
  assert.equal(value(f, 'pitlane_job_input_records_per_second', { deployment: 'a', job: 'a', role: 'authoritative' }), '512.5');
  assert.equal(value(f, 'pitlane_job_input_lag_records', { deployment: 'a', job: 'a' }), '7');
  assert.equal(value(f, 'pitlane_job_state_bytes', { deployment: 'a', job: 'a' }), '4096');
  // a job whose engine did not answer has no series (not a zero)
  assert.equal(value(f, 'pitlane_job_input_lag_records', { job: 'a.candidate' }), undefined);
  // a deployment without a report has no check series
  assert.equal(series(f, 'pitlane_windows_judged').some((s) => s.labels?.deployment === 'b'), false);
});

test('renderMetrics: an unreachable store is a 0, not a missing series', async () => {
  const f = parse((await renderMetrics({ store: { description: 'dir:/x', up: false, readSeconds: null }, deployments: [] })).text);
  assert.equal(value(f, 'pitlane_store_up', { store: 'dir:/x' }), '0');
});
