import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { kafkaForTest } from './support/kafka.ts';
import { silentLogger } from '../src/logger.ts';
import { createComparison, renderHtml, resolveCompareConfig } from '../src/compare/index.ts';
import { INJECTIONS, TEST_CONFIG, authoritativeRows, writeRows } from './compare-support.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

test('the HTML report opens offline in headless Chromium and every check has a rendered chart', async (t) => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium`);
  const k = kafkaForTest(t);
  const rows = authoritativeRows();
  const [ta, tb] = [await k.topic('html-a'), await k.topic('html-b')];
  await writeRows(k.kafka, ta, rows);
  await writeRows(k.kafka, tb, INJECTIONS.find((i) => i.name === 'shifted values')!.mutate(rows));
  const report = await createComparison({ a: { topic: ta }, b: { topic: tb }, config: resolveCompareConfig(TEST_CONFIG) }, { kafka: k.kafka, registry: k.registry, logger: silentLogger() }).run();
  const dir = await mkdtemp(join(tmpdir(), 'pitlane-compare-html-'));
  // The report and its screenshot are kept for a look only when asked (PITLANE_KEEP_ARTIFACTS=1).
  t.after(() => (process.env.PITLANE_KEEP_ARTIFACTS ? undefined : rm(dir, { recursive: true, force: true })));
  const file = join(dir, 'report.html');
  await writeFile(file, renderHtml(report));

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 900, height: 900 } });
  const requests: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith('file:')) requests.push(r.url());
  });
  await page.goto(`file://${file}`);
  const charts = await page.$$eval('svg.chart', (els) =>
    els.map((el) => {
      const box = el.getBoundingClientRect();
      const points = [...el.querySelectorAll('circle.point')].map((c) => c.getBoundingClientRect()).filter((b) => b.width > 0 && b.height > 0);
      return { check: el.getAttribute('data-check'), width: box.width, height: box.height, points: points.length, lines: el.querySelectorAll('polyline.series').length };
    }),
  );
  assert.deepEqual(charts.map((c) => c.check), report.assessment.checks.map((c) => c.check));
  for (const c of charts) {
    assert.ok(c.width > 100 && c.height > 100, `chart ${c.check} has size ${c.width}x${c.height}`);
    assert.ok(c.points >= report.windows.length, `chart ${c.check} shows ${c.points} points for ${report.windows.length} windows`);
    assert.ok(c.lines >= 1, `chart ${c.check} has no line`);
  }
  assert.deepEqual(requests, [], 'the report loads nothing from the network');
  assert.match(await page.title(), /Failed/);
  const shot = join(dir, 'report.png');
  await page.screenshot({ path: shot, fullPage: true });
  assert.ok(existsSync(shot));
  if (process.env.PITLANE_KEEP_ARTIFACTS) t.diagnostic(`screenshot: ${shot}`);
});
