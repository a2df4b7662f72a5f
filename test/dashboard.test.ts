/**
 * End to end: a real deployment on the test broker (through the CLI, the canary
 * harness), and `pitlane dashboard` as its own process over the same store and
 * state directory. Over HTTP: the pages and the JSON they load, a live update by
 * server-sent events, /metrics parsed as the Prometheus text format, commands
 * refused without or with a wrong token (and nothing changed), and an abort
 * with the token done by the controller and recorded with who and why.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import parse from 'parse-prometheus-text-format';
import { canaryHarness } from './canary-harness.ts';
import { waitFor } from './support/kafka.ts';
import { stopPid } from '../src/process/index.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const TOKEN = 'dashboard-test-token-7f3a';

interface Detail {
  row: { phase: string; revision: number };
  timeline: { event: string; by: string; why: string | null; to: string }[];
  report: { summary?: { windows: number; records: { a: number; b: number } }; checks?: { check: string; series: unknown[] }[]; unavailable?: string };
  abort: { by: string; reason: string } | null;
  savepoints: { role: string; location: string }[];
}

test('the dashboard over a live canary: pages, live updates, /metrics, refused and accepted commands', { timeout: 240_000 }, async (t) => {
  const h = await canaryHarness(t, 'dash');
  h.startTraffic(500);
  await h.launch(2);
  const start = await h.cli(['canary', 'start', h.spec({ parallelism: 2 })]);
  assert.equal(start.code, 0, start.err);

  const proc = spawn(process.execPath, [join(ROOT, 'bin/pitlane.mjs'), 'dashboard', '--port', '0', '--token', TOKEN, '--poll', '250ms'], { cwd: ROOT, env: h.env, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(async () => {
    if (proc.exitCode === null && proc.pid) await stopPid(proc.pid, 10_000);
  });
  let out = '';
  let err = '';
  proc.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  proc.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const url = await waitFor(() => /pitlane dashboard on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1], { timeoutMs: 30_000, message: `dashboard did not start: ${err}` });
  const json = async <T>(path: string): Promise<T> => {
    const r = await fetch(`${url}${path}`);
    assert.equal(r.status, 200, `${path}: ${r.status}`);
    return (await r.json()) as T;
  };

  // The page and what it loads.
  const page = await fetch(`${url}/`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /pitlane dashboard/);
  assert.equal((await fetch(`${url}/vendor/uplot/uPlot.iife.min.js`)).status, 200);

  // The deployment appears in the list, past Forking.
  const listed = await waitFor(async () => {
    const l = await json<{ rows: { name: string; phase: string }[]; store: { up: boolean } }>('/api/deployments');
    return l.store.up && l.rows.find((r) => r.name === h.name && r.phase !== 'Pending' && r.phase !== 'Forking');
  }, { timeoutMs: 30_000, message: 'deployment not listed' });
  assert.ok(['Shadowing', 'Analyzing', 'Passed', 'Inconclusive', 'Failed'].includes(listed.phase), listed.phase);

  // Live updates: an open event stream hears of the deployment's next change (a new revision or report).
  const ac = new AbortController();
  t.after(() => ac.abort());
  const events = await fetch(`${url}/api/events`, { headers: { accept: 'text/event-stream' }, signal: ac.signal });
  assert.equal(events.status, 200);
  const reader = events.body!.getReader();
  let stream = '';
  while (!new RegExp(`event: change\\ndata: .*"${h.name}"`).test(stream)) {
    const { value, done } = await reader.read();
    assert.ok(!done, `the event stream ended: ${stream}`);
    stream += Buffer.from(value).toString('utf8');
  }
  ac.abort();

  // One deployment: the report with its checks, and the timeline.
  const detail = await waitFor(async () => {
    const d = await json<Detail>(`/api/deployments/${h.name}`);
    return d.report.summary && d.report.summary.windows > 0 ? d : undefined;
  }, { timeoutMs: 60_000, message: 'no report with a judged window' });
  assert.deepEqual(detail.report.checks?.map((c) => c.check).sort(), ['count', 'key-coverage', 'schema']);
  assert.ok(detail.report.checks?.every((c) => c.series.length > 0));
  assert.ok(detail.report.summary!.records.a > 0 && detail.report.summary!.records.b > 0);
  assert.deepEqual(detail.timeline.slice(0, 2).map((e) => e.event), ['create', 'start']);
  assert.ok(detail.savepoints.some((s) => s.role.startsWith('fork')), `the fork savepoint is shown: ${JSON.stringify(detail.savepoints)}`);
  const reports = await json<{ reports: { seq: number }[] }>(`/api/deployments/${h.name}/reports`);
  assert.ok(reports.reports.length > 0, 'the report history keeps reports');
  await json(`/api/deployments/${h.name}/reports/${reports.reports[0]!.seq}`);

  // /metrics in the Prometheus text format, with this deployment's series.
  const metrics = await fetch(`${url}/metrics`);
  assert.equal(metrics.status, 200);
  const families = parse(await metrics.text());
  const samples = (name: string) => families.find((f) => f.name === name)?.metrics.filter((m) => m.labels?.deployment === h.name) ?? [];
  assert.equal(samples('pitlane_deployment_phase').filter((m) => m.value === '1').length, 1, 'exactly one phase is current');
  assert.ok(Number(samples('pitlane_records_compared').find((m) => m.labels?.side === 'a')?.value) > 0);
  assert.ok(Number(samples('pitlane_windows_judged')[0]?.value) > 0);
  assert.ok(samples('pitlane_check_status').some((m) => m.labels?.check === 'count' && m.value === '1'));
  const jobLag = samples('pitlane_job_input_lag_records').find((m) => m.labels?.role === 'authoritative');
  assert.ok(jobLag && Number.isFinite(Number(jobLag.value)), 'the authoritative job\'s input lag');

  // Refused commands: no token, a wrong one. Each is answered 401/403 and changes nothing.
  const abort = (auth?: string) =>
    fetch(`${url}/api/deployments/${h.name}/abort`, { method: 'POST', headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) }, body: JSON.stringify({ by: 'mallory', reason: 'not allowed' }) });
  assert.equal((await abort()).status, 401);
  assert.equal((await abort(`Bearer ${TOKEN}x`)).status, 403);
  assert.equal((await abort('Bearer wrong')).status, 403);
  const after = await json<Detail>(`/api/deployments/${h.name}`);
  assert.notEqual(after.row.phase, 'Aborted');
  assert.equal(after.abort, null);
  assert.ok(!after.timeline.some((e) => e.event === 'abort'), 'no abort was recorded');

  // With the token: the controller aborts it, recorded with who and why.
  const r = await fetch(`${url}/api/deployments/${h.name}/abort`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify({ by: 'tester', reason: 'dashboard integration test' }) });
  const body = (await r.json()) as { phase: string; code?: string; message?: string };
  assert.equal(r.status, 200, JSON.stringify(body));
  assert.equal(body.phase, 'Aborted');
  const status = await h.status();
  assert.equal(status.deployment.phase, 'Aborted');
  assert.equal(status.deployment.abort?.reason, 'dashboard integration test');
  assert.equal(status.deployment.abort?.by, 'user');
  const done = await json<Detail>(`/api/deployments/${h.name}`);
  const entry = done.timeline.find((e) => e.event === 'abort');
  assert.deepEqual([entry?.by, entry?.why, entry?.to], ['tester via dashboard', 'dashboard integration test', 'Aborted']);
});
