/**
 * The dashboard's page under faults, in headless Chromium (Debian's), over a
 * `dir:` store and report files:
 * - hundreds of deployments: the list is paged and filtered by the server, and
 *   the page holds one page of rows;
 * - the store cannot be read (one deployment's log replaced by a folder, so the
 *   store's list fails as it would on a damaged disk): the page says so, keeps
 *   what it shows, and recovers by itself when the store reads again. A real
 *   broker outage is not used here: the broker is shared by every test run on
 *   the machine; the watcher's handling of a Kafka error is the same code path
 *   (the store's list rejects), unit-tested in live.test.ts;
 * - a report file that turns unreadable while its page is open: never shown
 *   torn, the last whole version stays with a note;
 * - a deployment removed while its page is open: the page says so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { LocalDeploymentStore } from '../src/orchestrator/store/local-store.ts';
import { deploymentDir } from '../src/orchestrator/state-dir.ts';
import { renderJson } from '../src/compare/index.ts';
import { silentLogger } from '../src/logger.ts';
import { startDashboard } from '../src/dashboard/server.ts';
import { history, report } from '../src/dashboard/test-support.ts';

declare const document: { querySelector(s: string): { textContent: string | null; hidden?: boolean } | null; querySelectorAll(s: string): { length: number }; activeElement: { id: string } | null };

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const MANY = 230;

test('the dashboard page under faults: hundreds of deployments, store unreadable and back, a damaged report, a deployment removed', { timeout: 180_000 }, async (t) => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium`);
  const dir = mkdtempSync(join(tmpdir(), 'pl-dash-faults-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const storeDir = join(dir, 'store');
  const store = new LocalDeploymentStore(storeDir);
  const now = Date.now();
  for (const e of history('fraud').slice(0, 4)) await store.append({ ...e, record: { ...e.record, updatedAt: now } });
  const first = history('x')[0]!;
  for (let i = 0; i < MANY; i++) {
    const name = `svc-${String(i).padStart(3, '0')}`;
    await store.append({ ...first, name, record: { ...first.record, name, updatedAt: now - 60_000 + i, phase: i % 2 ? 'Pending' : 'Shadowing' } });
  }
  const reports = deploymentDir(join(dir, 'state'), 'fraud');
  mkdirSync(reports, { recursive: true });
  writeFileSync(join(reports, 'report.json'), renderJson(report()));

  const dash = await startDashboard({ store, stateDir: join(dir, 'state'), dispatch: () => Promise.reject(new Error('no command in this test')), logger: silentLogger(), pollMs: 100 }, { host: '127.0.0.1', port: 0 });
  t.after(() => dash.close());
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => (m.type() === 'error' && !m.text().startsWith('Failed to load resource') ? problems.push(`console: ${m.text()}`) : undefined));
  const failed: string[] = [];
  page.on('response', (r) => (r.status() >= 400 ? failed.push(`${r.status()} ${new URL(r.url()).pathname}`) : undefined));
  const text = (sel: string) => page.$eval(sel, (e) => e.textContent ?? '');

  // Hundreds: one page of rows, the pager, and the name filter answered by the server.
  await page.goto(dash.url);
  await page.waitForSelector('#deployments tr[data-name="fraud"]');
  assert.equal(await page.$$eval('#deployments tbody tr', (r) => r.length), 50);
  assert.equal(await text('#page-of'), `1–50 of ${MANY + 1}`);
  await page.click('#older');
  await page.waitForFunction(() => /^51–100 of/.test(document.querySelector('#page-of')?.textContent ?? ''));
  assert.equal(await page.$$eval('#deployments tbody tr', (r) => r.length), 50);
  await page.goto(`${dash.url}/#/`);
  await page.waitForSelector('#deployments tr[data-name="fraud"]');
  await page.click('#name-filter');
  await page.keyboard.type('svc-12');
  await page.waitForFunction(() => document.querySelectorAll('#deployments tbody tr').length === 10);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'name-filter', 'the caret stays in the filter');
  assert.match(await text('#phase'), /Shadowing \(5\)/, 'phase counts of the filtered names');
  await page.selectOption('#phase', 'Shadowing');
  await page.waitForFunction(() => document.querySelectorAll('#deployments tbody tr').length === 5);
  assert.ok(failed.every((f) => !f.includes('/api/deployments?')), `list requests failed: ${failed.join(', ')}`);

  // The store cannot be read: the banner says so, the rows stay; it recovers by itself.
  const log = join(storeDir, 'svc-000.transitions.jsonl');
  const saved = readFileSync(log);
  rmSync(log);
  mkdirSync(log);
  await page.waitForFunction(() => /cannot be read: .*EISDIR/.test(document.querySelector('#banner')?.textContent ?? '') && !document.querySelector('#banner')?.hidden, undefined, { timeout: 20_000 });
  assert.equal(await page.$$eval('#deployments tbody tr', (r) => r.length), 5, 'the last read is still shown');
  rmSync(log, { recursive: true });
  writeFileSync(log, saved);
  await page.waitForFunction(() => document.querySelector('#banner')?.hidden === true, undefined, { timeout: 20_000 });

  // One deployment's page, with the store unreadable meanwhile and back.
  await page.goto(`${dash.url}/#/d/fraud`);
  await page.waitForSelector('#check-keys .uplot');
  rmSync(log);
  mkdirSync(log);
  await page.waitForFunction(() => document.querySelector('#banner')?.hidden === false, undefined, { timeout: 20_000 });
  assert.match(await text('#verdict'), /Analyzing/, 'the deployment stays on screen');
  rmSync(log, { recursive: true });
  writeFileSync(log, saved);
  await page.waitForFunction(() => document.querySelector('#banner')?.hidden === true, undefined, { timeout: 20_000 });

  // Its report file damaged while the page is open: the last whole version stays, with a note; a whole one clears it.
  writeFileSync(join(reports, 'report.json'), renderJson(report()).slice(0, 400));
  await page.waitForSelector('p.stale', { timeout: 20_000 });
  assert.match(await text('p.stale'), /not a whole comparison report/);
  assert.ok(await page.$('#check-keys .uplot'), 'the charts of the last whole report stay');
  writeFileSync(join(reports, 'report.json'), renderJson(report({ reason: 'rewritten whole' })));
  await page.waitForFunction(() => !document.querySelector('p.stale'), undefined, { timeout: 20_000 });

  // The deployment removed while its page is open.
  rmSync(join(storeDir, 'fraud.transitions.jsonl'));
  rmSync(join(storeDir, 'fraud.json'));
  await page.waitForFunction(() => /not in the store \(any more\)/.test(document.querySelector('main')?.textContent ?? ''), undefined, { timeout: 20_000 });

  assert.deepEqual(problems, []);
  assert.deepEqual([...new Set(failed)], ['404 /api/deployments/fraud']);
});
