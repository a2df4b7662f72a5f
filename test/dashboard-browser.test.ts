/**
 * The dashboard's page in headless Chromium (Debian's), over a `dir:` store and
 * report files: the list with its phase filter, a deployment opened with the
 * keyboard, its charts drawn by uPlot (served by pitlane, no network beyond
 * it), its verdict changing live when the store changes (no reload), a command
 * refused without the token (and nothing changed), and the report history side
 * by side. No page error or console error anywhere. With PITLANE_SCREENSHOTS=DIR
 * it also saves screenshots of the pages there (the README's).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { LocalDeploymentStore } from '../src/orchestrator/store/local-store.ts';
import { deploymentDir } from '../src/orchestrator/state-dir.ts';
import { ReportHistory, renderJson } from '../src/compare/index.ts';
import { silentLogger } from '../src/logger.ts';
import { startDashboard } from '../src/dashboard/server.ts';
import { history, report } from '../src/dashboard/test-support.ts';
import type { TransitionEntry } from '../src/orchestrator/lifecycle/model.ts';

// The page's globals, for the functions that run in it (the project's lib has no DOM types).
declare const document: { querySelector(s: string): { textContent: string | null; getBoundingClientRect(): { bottom: number } } | null; querySelectorAll(s: string): { length: number }; activeElement: { getAttribute(n: string): string | null } | null };
declare const window: { marker?: number };

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A history moved to the present (the page shows times) and renamed. */
function recent(name: string, now: number): TransitionEntry[] {
  return history(name).map((e, i) => {
    const at = now - 60_000 + i * 5_000;
    return { ...e, at, record: { ...e.record, createdAt: now - 60_000, updatedAt: at } };
  });
}

test('the dashboard page in headless Chromium: list, keyboard, charts, live verdict, refused command, report history', { timeout: 120_000 }, async (t) => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium`);
  const dir = mkdtempSync(join(tmpdir(), 'pl-dash-ui-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = new LocalDeploymentStore(join(dir, 'store'));
  const now = Date.now();
  const fraud = recent('fraud', now);
  for (const e of fraud.slice(0, 4)) await store.append(e); // … → Analyzing
  const orders = recent('orders', now);
  for (const e of orders.slice(0, 3)) await store.append(e); // … → Shadowing
  const reports = deploymentDir(join(dir, 'state'), 'fraud');
  mkdirSync(reports, { recursive: true });
  // The fixture's windows moved to the last minutes (the charts' time axis).
  const shift = Math.floor((now - 120_000) / 2_000) * 2_000;
  const recentReport = (over: Parameters<typeof report>[0] = {}) => {
    const r = report(over);
    return { ...r, windows: r.windows.map((x) => ({ ...x, start: x.start + shift, end: x.end + shift })), measurements: r.measurements.map((m) => ({ ...m, window: { start: m.window.start + shift, end: m.window.end + shift } })) };
  };
  const w = report().windows;
  const kept = new ReportHistory(reports);
  kept.record(recentReport({ windows: w.slice(0, 1), verdict: 'Inconclusive', reason: 'not enough windows yet', measurements: report().measurements.filter((m) => m.window.start === w[0]!.start) }));
  kept.record(recentReport());
  // The last (failed) window names the keys the candidate got wrong.
  const divergingKeys = { onlyAuthoritative: [{ key: 'user-9', value: { amount: 5 } }], onlyCandidate: [], different: [{ key: 'user-3', authoritative: { amount: 52, region: 'eu' }, candidate: { amount: 65, region: 'eu' } }], truncated: 3, exact: true };
  writeFileSync(join(reports, 'report.json'), renderJson(recentReport({ windows: w.map((x, i) => (i === 2 ? { ...x, divergingKeys } : x)) })));

  const dash = await startDashboard({ store, stateDir: join(dir, 'state'), token: 'the-token', dispatch: () => Promise.reject(new Error('no command may reach the controller in this test')), logger: silentLogger(), pollMs: 100 }, { host: '127.0.0.1', port: 0 });
  t.after(() => dash.close());
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  // A refused call is a failed resource to the browser: those are checked one by one below.
  page.on('console', (m) => (m.type() === 'error' && !m.text().startsWith('Failed to load resource') ? problems.push(`console: ${m.text()}`) : undefined));
  const failed: string[] = [];
  page.on('response', (r) => (r.status() >= 400 ? failed.push(`${r.status()} ${new URL(r.url()).pathname}`) : undefined));
  page.on('request', (r) => (r.url().startsWith(dash.url) ? undefined : problems.push(`request outside the dashboard: ${r.url()}`)));
  const shots = process.env.PITLANE_SCREENSHOTS;
  // The page down to the end of its content (no empty screen below a short list); the README's are then
  // shrunk with `pngquant --quality 60-85 --speed 1` (docs/images/).
  const shot = async (name: string) => {
    if (!shots) return;
    const height = await page.evaluate(() => Math.ceil(document.querySelector('main')!.getBoundingClientRect().bottom) + 16);
    await page.screenshot({ path: join(shots, `dashboard-${name}.png`), fullPage: true, clip: { x: 0, y: 0, width: 1400, height } });
  };

  // The list, and its phase filter.
  await page.goto(dash.url);
  await page.waitForSelector('#deployments tr[data-name="fraud"]');
  assert.deepEqual(await page.$$eval('#deployments tbody tr', (rows) => rows.map((r) => r.getAttribute('data-name'))).then((n) => n.sort()), ['fraud', 'orders']);
  await page.waitForSelector('#live.up');
  await shot('list');
  await page.selectOption('#phase', 'Shadowing');
  await page.waitForFunction(() => document.querySelectorAll('#deployments tbody tr').length === 1);
  assert.equal(await page.$eval('#deployments tbody tr', (r) => r.getAttribute('data-name')), 'orders');
  await page.selectOption('#phase', '');
  await page.waitForSelector('#deployments tr[data-name="fraud"]');

  // Opened with the keyboard: focus the link, Enter. A live change of the list in
  // between redraws it, and the focus stays on the link.
  await page.focus('a[href="#/d/fraud"]');
  await store.append(orders[3]!);
  await page.waitForFunction(() => /Analyzing/.test(document.querySelector('#deployments tr[data-name="orders"]')?.textContent ?? ''), undefined, { timeout: 20_000 });
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('href')), '#/d/fraud');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#verdict');
  assert.match(await page.$eval('#verdict', (e) => e.textContent ?? ''), /no verdict.*Analyzing/);
  await page.waitForFunction(() => document.querySelectorAll('.uplot').length >= 2);
  assert.ok(await page.$('#check-keys .uplot'), 'key coverage has its chart');
  assert.match(await page.$eval('#check-keys', (e) => e.textContent ?? ''), /user-7/);
  const diverging = await page.$eval('#check-keys #diverging-keys', (e) => e.textContent ?? '');
  assert.match(diverging, /differsuser-3amount: 52 → 65/, 'the differing key, field by field');
  assert.match(diverging, /only in a \(missing\)user-9\{"amount":5\}/);
  assert.match(diverging, /3 more diverging key\(s\) not listed/);
  assert.equal(await page.$$eval('#timeline tbody tr', (r) => r.length), 4);

  // The verdict changes in the store: the page shows it without a reload.
  await page.evaluate(() => (window.marker = 42));
  await store.append(fraud[4]!);
  await page.waitForFunction(() => /fail.*Failed/.test(document.querySelector('#verdict')?.textContent ?? ''), undefined, { timeout: 20_000 });
  assert.equal(await page.evaluate(() => window.marker), 42, 'the page was not reloaded');
  assert.equal(await page.$$eval('#timeline tbody tr', (r) => r.length), 5);
  await shot('deployment');

  // A command without the token is refused, and nothing changes.
  page.on('dialog', (d) => void d.accept());
  await page.fill('form.action input[type="text"]', 'bob');
  await page.fill('form.action textarea', 'ship it anyway');
  await page.click('text=Promote (override)');
  await page.waitForFunction(() => /401 DASHBOARD_TOKEN_MISSING/.test(document.querySelector('.result')?.textContent ?? ''));
  await page.fill('form.action input[type="password"]', 'not-the-token');
  await page.click('text=Promote (override)');
  await page.waitForFunction(() => /403 DASHBOARD_TOKEN_WRONG/.test(document.querySelector('.result')?.textContent ?? ''));
  assert.equal((await store.load('fraud'))?.revision, 5);

  // The report history, two reports side by side.
  await page.goto(`${dash.url}/#/d/fraud/reports`);
  await page.waitForSelector('#reports tbody tr');
  assert.equal(await page.$$eval('#reports tbody tr', (r) => r.length), 2);
  const columns = await page.$$eval('.side-by-side .card h3', (hs) => hs.map((x) => x.textContent));
  assert.deepEqual(columns, ['#1 Inconclusive', '#2 Failed']);
  // What differs between the two is marked: key coverage passed its first window, failed by the third.
  assert.ok((await page.$$('.side-by-side td.changed')).length >= 2, 'the differences are marked');
  await shot('reports');

  // A deployment removed while its page is open says so.
  await page.goto(`${dash.url}/#/d/gone`);
  await page.waitForFunction(() => /not in the store/.test(document.querySelector('main')?.textContent ?? ''));
  assert.deepEqual(problems, []);
  assert.deepEqual(failed, ['401 /api/deployments/fraud/promote', '403 /api/deployments/fraud/promote', '404 /api/deployments/gone']);
});
