import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import parse from 'parse-prometheus-text-format';
import { LocalDeploymentStore } from '../orchestrator/store/local-store.ts';
import { deploymentDir } from '../orchestrator/state-dir.ts';
import { ReportHistory, renderJson } from '../compare/index.ts';
import type { ManualEvent, TransitionEntry } from '../orchestrator/lifecycle/model.ts';
import { silentLogger } from '../logger.ts';
import { startDashboard } from './server.ts';
import { history, report } from './test-support.ts';

async function setup(t: TestContext, token?: string) {
  const dir = mkdtempSync(join(tmpdir(), 'pl-dash-'));
  const store = new LocalDeploymentStore(join(dir, 'store'));
  const entries = history('fraud');
  // Up to Failed: the abort is what the tests send.
  for (const e of entries.slice(0, 5)) await store.append(e);
  const reports = deploymentDir(join(dir, 'state'), 'fraud');
  mkdirSync(reports, { recursive: true });
  writeFileSync(join(reports, 'report.json'), renderJson(report()));
  const calls: { name: string; event: ManualEvent }[] = [];
  const dispatch = async (name: string, event: ManualEvent) => {
    calls.push({ name, event });
    const d = (await store.load(name))!;
    const record = { ...d, phase: 'Aborted' as const, revision: d.revision + 1, updatedAt: d.updatedAt + 1 };
    const entry: TransitionEntry = { name, revision: record.revision, at: record.updatedAt, from: d.phase, to: 'Aborted', event, record };
    await store.append(entry);
    return record;
  };
  const dash = await startDashboard({ store, stateDir: join(dir, 'state'), token, dispatch, logger: silentLogger(), pollMs: 50 }, { host: '127.0.0.1', port: 0 });
  t.after(async () => {
    await dash.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const post = (action: string, body: unknown, auth?: string) =>
    fetch(`${dash.url}/api/deployments/fraud/${action}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) }, body: JSON.stringify(body) });
  return { dash, store, calls, reports, post, entries };
}

test('serves the page, its scripts and uPlot from node_modules, and nothing else from there', async (t) => {
  const { dash } = await setup(t);
  const page = await fetch(`${dash.url}/`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<script type="module" src="\/app\.js">/);
  for (const f of ['/app.js', '/detail.js', '/charts.js', '/style.css', '/vendor/uplot/uPlot.iife.min.js', '/vendor/uplot/uPlot.min.css']) {
    const r = await fetch(`${dash.url}${f}`);
    assert.equal(r.status, 200, f);
    await r.arrayBuffer();
  }
  assert.equal((await fetch(`${dash.url}/vendor/uplot/uPlot.cjs.js`)).status, 404);
  assert.equal((await fetch(`${dash.url}/vendor/uplot/../package.json`)).status, 404);
});

test('lists and filters deployments; one deployment with its report, timeline and commands', async (t) => {
  const { dash } = await setup(t);
  const list = (await (await fetch(`${dash.url}/api/deployments`)).json()) as { total: number; rows: { name: string; phase: string }[]; store: { up: boolean }; readOnly: boolean };
  assert.deepEqual(list.rows.map((r) => [r.name, r.phase]), [['fraud', 'Failed']]);
  assert.equal(list.store.up, true);
  assert.equal(list.readOnly, true);
  assert.equal(((await (await fetch(`${dash.url}/api/deployments?phase=Promoted`)).json()) as { total: number }).total, 0);
  assert.equal((await fetch(`${dash.url}/api/deployments?phase=Nope`)).status, 400);
  const d = (await (await fetch(`${dash.url}/api/deployments/fraud`)).json()) as { timeline: unknown[]; report: { summary: { windows: number } }; actions: { promote: boolean } };
  assert.equal(d.timeline.length, 5);
  assert.equal(d.report.summary.windows, 3);
  assert.equal(d.actions.promote, true);
  assert.equal((await fetch(`${dash.url}/api/deployments/nobody`)).status, 404);
});

test('a report that does not parse is said to be unreadable, never shown torn', async (t) => {
  const { dash, reports } = await setup(t);
  writeFileSync(join(reports, 'report.json'), renderJson(report()).slice(0, 200));
  const d = (await (await fetch(`${dash.url}/api/deployments/fraud`)).json()) as { report: { unavailable?: string } };
  assert.match(d.report.unavailable ?? '', /not a whole comparison report/);
  assert.equal((await fetch(`${dash.url}/api/deployments/fraud/reports/latest`)).status, 500);
});

test('report history: kept reports listed, read by number, two side by side', async (t) => {
  const { dash, reports } = await setup(t);
  const h = new ReportHistory(reports);
  assert.equal(h.record(report({ windows: report().windows.slice(0, 2), verdict: 'Inconclusive' })), 1);
  assert.equal(h.record(report({ windows: report().windows.slice(0, 2), verdict: 'Inconclusive' })), undefined, 'an unchanged analysis is not kept twice');
  assert.equal(h.record(report()), 2);
  const list = (await (await fetch(`${dash.url}/api/deployments/fraud/reports`)).json()) as { reports: { seq: number; verdict: string; windows: number }[] };
  assert.deepEqual(list.reports.map((r) => [r.seq, r.verdict, r.windows]), [[1, 'Inconclusive', 2], [2, 'Failed', 3]]);
  const one = (await (await fetch(`${dash.url}/api/deployments/fraud/reports/1`)).json()) as { summary: { verdict: string } };
  assert.equal(one.summary.verdict, 'Inconclusive');
  assert.equal((await fetch(`${dash.url}/api/deployments/fraud/reports/9`)).status, 404);
});

test('read-only without a token: every command is refused with 403 and nothing changes', async (t) => {
  const { post, calls, store } = await setup(t);
  for (const action of ['promote', 'abort', 'rollback']) {
    const r = await post(action, { by: 'mallory', reason: 'x', override: 'y' }, 'Bearer anything');
    assert.equal(r.status, 403, action);
    assert.equal(((await r.json()) as { code: string }).code, 'DASHBOARD_READ_ONLY');
  }
  assert.equal(calls.length, 0);
  assert.equal((await store.load('fraud'))?.revision, 5);
});

test('with a token: missing 401, wrong 403, bad body 400, all changing nothing; the right one dispatches with who and why', async (t) => {
  const { post, calls, store } = await setup(t, 's3cret-token');
  const missing = await post('abort', { by: 'eve', reason: 'x' });
  assert.equal(missing.status, 401);
  assert.match(missing.headers.get('www-authenticate') ?? '', /Bearer/);
  assert.equal((await post('abort', { by: 'eve', reason: 'x' }, 'Bearer s3cret-tokeN')).status, 403);
  assert.equal((await post('abort', { by: 'eve', reason: 'x' }, 'Bearer s3cret')).status, 403);
  assert.equal((await post('abort', { by: 'eve', reason: 'x' }, 'Basic s3cret-token')).status, 401);
  const noReason = await post('abort', { by: 'alice' }, 'Bearer s3cret-token');
  assert.equal(noReason.status, 400);
  assert.match(((await noReason.json()) as { message: string }).message, /reason/);
  assert.equal(calls.length, 0);
  assert.equal((await store.load('fraud'))?.revision, 5);
  const ok = await post('abort', { by: 'alice', reason: 'candidate drops users' }, 'Bearer s3cret-token');
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { name: 'fraud', phase: 'Aborted', revision: 6 });
  assert.deepEqual(calls, [{ name: 'fraud', event: { type: 'abort', by: 'alice via dashboard', reason: 'candidate drops users' } }]);
  const last = (await store.history('fraud')).at(-1)!;
  assert.deepEqual(last.event, { type: 'abort', by: 'alice via dashboard', reason: 'candidate drops users' });
});

test('server-sent events: a new revision in the store reaches an open page', async (t) => {
  const { dash, store, entries } = await setup(t);
  const ac = new AbortController();
  t.after(() => ac.abort());
  const res = await fetch(`${dash.url}/api/events`, { headers: { accept: 'text/event-stream' }, signal: ac.signal });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  const reader = res.body!.getReader();
  let text = '';
  const until = async (re: RegExp) => {
    while (!re.test(text)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`stream ended before ${re}: ${text}`);
      text += Buffer.from(value).toString('utf8');
    }
  };
  await until(/event: store/);
  await store.append(entries[5]!);
  await until(/event: change\ndata: .*"name":"fraud","revision":6,"phase":"Aborted"/);
});

test('/metrics parses as the Prometheus text format', async (t) => {
  const { dash } = await setup(t);
  const r = await fetch(`${dash.url}/metrics`);
  assert.equal(r.status, 200);
  const f = parse(await r.text());
  const phase = f.find((x) => x.name === 'pitlane_deployment_phase')!.metrics.find((m) => m.labels?.phase === 'Failed');
  assert.equal(phase?.value, '1');
  assert.equal(f.find((x) => x.name === 'pitlane_windows_judged')?.metrics[0]?.value, '3');
});

test('a report read whole, then damaged: the last whole version is shown, marked stale with why; a whole one clears it', async (t) => {
  const { dash, reports } = await setup(t);
  const first = (await (await fetch(`${dash.url}/api/deployments/fraud`)).json()) as { report: { summary?: { windows: number }; stale?: string } };
  assert.equal(first.report.summary?.windows, 3);
  assert.equal(first.report.stale, undefined);
  writeFileSync(join(reports, 'report.json'), renderJson(report({ windows: report().windows.slice(0, 1) })).slice(0, 150));
  const torn = (await (await fetch(`${dash.url}/api/deployments/fraud`)).json()) as { report: { summary?: { windows: number }; stale?: string; unavailable?: string } };
  assert.equal(torn.report.unavailable, undefined, 'never unavailable while a whole version was read');
  assert.equal(torn.report.summary?.windows, 3, 'the last whole version');
  assert.match(torn.report.stale ?? '', /not a whole comparison report.*last whole version/);
  const latest = (await (await fetch(`${dash.url}/api/deployments/fraud/reports/latest`)).json()) as { stale?: string };
  assert.match(latest.stale ?? '', /last whole version/);
  writeFileSync(join(reports, 'report.json'), renderJson(report({ windows: report().windows.slice(0, 2) })));
  const whole = (await (await fetch(`${dash.url}/api/deployments/fraud`)).json()) as { report: { summary?: { windows: number }; stale?: string } };
  assert.equal(whole.report.summary?.windows, 2);
  assert.equal(whole.report.stale, undefined);
});

test('hundreds of deployments: the list is paged and filtered by name and phase on the server', async (t) => {
  const { dash, store } = await setup(t);
  const e = history('x')[0]!;
  for (let i = 0; i < 240; i++) {
    const name = `svc-${String(i).padStart(3, '0')}`;
    await store.append({ ...e, name, record: { ...e.record, name, updatedAt: 10_000 + i, phase: i % 3 === 0 ? 'Shadowing' : 'Pending' } });
  }
  await dash.watcher.poll();
  type Page = { total: number; offset: number; rows: { name: string }[]; phases: Record<string, number> };
  const get = async (q: string) => (await (await fetch(`${dash.url}/api/deployments?${q}`)).json()) as Page;
  const first = await get('');
  assert.equal(first.total, 241);
  assert.equal(first.rows.length, 50, 'one page, not the whole list');
  assert.equal(first.rows[0]!.name, 'svc-239', 'most recently changed first');
  const third = await get('offset=100&limit=50');
  assert.deepEqual([third.rows[0]!.name, third.rows.at(-1)!.name], ['svc-139', 'svc-090']);
  const named = await get('q=SVC-12');
  assert.deepEqual(named.rows.map((r) => r.name), Array.from({ length: 10 }, (_, i) => `svc-12${9 - i}`));
  assert.equal(named.phases.Shadowing, 4, 'phase counts follow the name filter');
  const both = await get('q=svc-12&phase=Shadowing');
  assert.deepEqual(both.rows.map((r) => r.name), ['svc-129', 'svc-126', 'svc-123', 'svc-120']);
  assert.equal((await fetch(`${dash.url}/api/deployments?q=${'x'.repeat(201)}`)).status, 400);
});
