import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kafkaForTest } from './support/kafka.ts';
import { pitlaneCli as cli } from './support/cli.ts';
import { silentLogger } from '../src/logger.ts';
import { createComparison, resolveCompareConfig, type ComparisonReport } from '../src/compare/index.ts';
import type { DivergingKeys } from '../src/compare/keys/divergence.ts';
import { BASE, TEST_CONFIG, WINDOW, authoritativeRows, writeRows, type Row } from './compare-support.ts';

const inWindow = (r: Row, w: number) => r.eventTime >= BASE + w * WINDOW && r.eventTime < BASE + (w + 1) * WINDOW;

test('pitlane compare: a failed window names exactly the keys the candidate got wrong, with both values', async (t) => {
  const k = kafkaForTest(t);
  const dir = await mkdtemp(join(tmpdir(), 'pitlane-divkeys-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const checks = join(dir, 'checks.json');
  await writeFile(checks, JSON.stringify(TEST_CONFIG));
  const a = authoritativeRows();
  // In window 2 only: three keys get a wrong amount, one key is missing, one is extra.
  const wrong = new Set(['user-3', 'user-17', 'user-30']);
  const b: Row[] = a
    .filter((r) => !(inWindow(r, 2) && r.key === 'user-5'))
    .map((r) => (inWindow(r, 2) && wrong.has(r.key) ? { ...r, value: { ...r.value, amount: (r.value.amount as number) + 1000 } } : r));
  const extra = a.find((r) => inWindow(r, 2) && r.key === 'user-6')!;
  b.push({ ...extra, key: 'user-999', value: { ...extra.value, id: 'user-999' } });
  const [ta, tb] = [await k.topic('divkeys-a', 2), await k.topic('divkeys-b', 3)];
  await writeRows(k.kafka, ta, a);
  await writeRows(k.kafka, tb, b);

  const out = join(dir, 'report');
  const run = await cli(['compare', '--a', ta, '--b', tb, '--checks', checks, '--report-dir', out]);
  assert.equal(run.code, 1, run.stderr + run.stdout);
  const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as ComparisonReport;
  const withKeys = report.windows.filter((w) => w.divergingKeys);
  assert.deepEqual(withKeys.map((w) => w.start), [BASE + 2 * WINDOW], 'only the failed window carries diverging keys');
  const keys = withKeys[0]!.divergingKeys!;
  const row = (rows: Row[], key: string) => rows.find((r) => inWindow(r, 2) && r.key === key)!.value;
  assert.deepEqual(keys.different, ['user-17', 'user-3', 'user-30'].map((key) => ({ key, authoritative: row(a, key), candidate: row(b, key) })));
  assert.deepEqual(keys.onlyAuthoritative, [{ key: 'user-5', value: row(a, 'user-5') }]);
  assert.deepEqual(keys.onlyCandidate, [{ key: 'user-999', value: row(b, 'user-999') }]);
  assert.equal(keys.truncated, 0);
  assert.equal(keys.exact, true);

  const text = await readFile(join(out, 'report.txt'), 'utf8');
  const amount = (key: string) => row(a, key).amount as number;
  assert.match(text, new RegExp(`differs {4}user-3: amount: ${amount('user-3')} → ${amount('user-3') + 1000}\\n`));
  assert.match(text, /only in a {2}user-5 = /);
  assert.match(text, /only in b {2}user-999 = /);
  assert.match(run.stdout, /diverging keys in failed windows/);
  const html = await readFile(join(out, 'report.html'), 'utf8');
  assert.match(html, new RegExp(`<td class="mono">user-17</td><td><div><b>amount</b>: ${amount('user-17')} → ${amount('user-17') + 1000}</div>`));
});

test('compare: in a window of thousands of diverging keys the sample is bounded and the rest counted (worker thread, several partitions)', async (t) => {
  const k = kafkaForTest(t);
  const keys = 5000;
  const a: Row[] = Array.from({ length: keys }, (_, i) => ({ key: `k-${i}`, eventTime: BASE + (i % WINDOW), timestamp: BASE + WINDOW, value: { id: `k-${i}`, amount: i }, srcOffset: i }));
  // 2000 keys with another amount, 30 keys missing; a declared new field that must not count.
  const b: Row[] = a
    .filter((_, i) => i < 4970)
    .map((r, i) => ({ ...r, value: { ...r.value, amount: i < 2000 ? -i - 1 : i, riskScore: 0.5 } }));
  const [ta, tb] = [await k.topic('divkeys-big-a', 4), await k.topic('divkeys-big-b', 2)];
  await writeRows(k.kafka, ta, a);
  await writeRows(k.kafka, tb, b);
  const config = resolveCompareConfig({ ...TEST_CONFIG, minimum: { windows: 1, records: 1 }, expected: [{ check: 'schema', addedFields: ['riskScore'] }], divergence: { sample: 7 } });
  const report = await createComparison({ a: { topic: ta }, b: { topic: tb }, config }, { kafka: k.kafka, logger: silentLogger(), worker: true }).run();
  assert.equal(report.verdict, 'Failed');
  assert.equal(report.windows.length, 1);
  const d = report.windows[0]!.divergingKeys as DivergingKeys;
  assert.ok(d, 'the failed window names its keys');
  assert.equal(d.different.length, 7);
  assert.equal(d.onlyAuthoritative.length, 7);
  assert.equal(d.onlyCandidate.length, 0);
  assert.equal(d.truncated, 2000 - 7 + 30 - 7);
  assert.equal(d.exact, true);
  // The sample is the first keys in key order, each with both values; riskScore is ignored, as declared.
  assert.deepEqual(d.different.map((x) => x.key), ['k-0', 'k-1', 'k-10', 'k-100', 'k-1000', 'k-1001', 'k-1002']);
  assert.deepEqual(d.different[1], { key: 'k-1', authoritative: { id: 'k-1', amount: 1 }, candidate: { id: 'k-1', amount: -2, riskScore: 0.5 } });
  assert.deepEqual(d.onlyAuthoritative.map((x) => x.key), ['k-4970', 'k-4971', 'k-4972', 'k-4973', 'k-4974', 'k-4975', 'k-4976']);
  assert.deepEqual(report.settings.ignoreFields, ['riskScore']);
});
