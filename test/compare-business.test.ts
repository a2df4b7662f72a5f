/**
 * Business checks end to end, through the CLI against the real broker: the example
 * check (examples/checks/revenue-per-merchant.ts) fails a candidate that keeps its
 * counts but changes amounts — and, with every built-in check on, one that books
 * revenue to the wrong merchant, which only it sees — and passes a good candidate;
 * the reports show it as they show the built-ins. A check that throws while running
 * errs its own windows, with its message and line, and the others measure on. A check
 * module that is missing or does not load is refused by `compare`, `canary launch` and
 * `canary start` before anything runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kafkaForTest } from './support/kafka.ts';
import { pitlaneCli as cli } from './support/cli.ts';
import { BASE, WINDOW, writeRows, type Row } from './compare-support.ts';
import { canaryHarness } from './canary-harness.ts';
import { checkViews } from '../src/dashboard/view-model.ts';
import type { ComparisonReport } from '../src/compare/index.ts';

const EXAMPLE = fileURLToPath(new URL('../examples/checks/revenue-per-merchant.ts', import.meta.url));
const MERCHANTS = ['m0', 'm1', 'm2', 'm3', 'm4'];

/** Orders of five merchants: 50 per window over 6 windows, keyed by order id, with lineage. */
function orders(): Row[] {
  const rows: Row[] = [];
  for (let w = 0; w < 6; w++) {
    for (let i = 0; i < 50; i++) {
      const eventTime = BASE + w * WINDOW + i * 150;
      const orderId = `o-${w}-${i}`;
      rows.push({ key: orderId, eventTime, timestamp: eventTime + 100, value: { orderId, merchant: MERCHANTS[i % 5]!, amount: 5 + ((i * 13 + w * 7) % 40) }, srcOffset: w * 50 + i });
    }
  }
  return rows;
}

const builtIns = [{ type: 'count' }, { type: 'schema' }, { type: 'null-rate' }, { type: 'key-coverage' }, { type: 'aggregate' }, { type: 'lateness' }];
const config = (checks: readonly object[]) => ({ window: '10s', allowedLateness: 0, minimum: { windows: 3, records: 100 }, checks });
const revenue = { type: 'custom', module: EXAMPLE, relative: 0.01, options: { merchant: 'merchant', amount: 'amount' } };

interface Report {
  verdict: string;
  assessment: { checks: { check: string; type: string; status: string }[] };
  measurements: { check: string; status: string; detail: { reason?: string; error?: string } }[];
}

test('pitlane compare: a business check fails a candidate that keeps counts but changes amounts, or books revenue to the wrong merchant; a good candidate passes', { timeout: 180_000 }, async (t) => {
  const k = kafkaForTest(t);
  const dir = await mkdtemp(join(tmpdir(), 'pitlane-business-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const rows = orders();
  const [a, good, amounts, misbooked] = [await k.topic('biz-a'), await k.topic('biz-good'), await k.topic('biz-amounts'), await k.topic('biz-misbooked')];
  await writeRows(k.kafka, a!, rows);
  await writeRows(k.kafka, good!, rows);
  // Same records and count; m1's amounts 20% higher.
  await writeRows(k.kafka, amounts!, rows.map((r) => (r.value.merchant === 'm1' ? { ...r, value: { ...r.value, amount: (r.value.amount as number) * 1.2 } } : r)));
  // Same records, keys, fields, amounts: every other m1 order booked to m2.
  await writeRows(k.kafka, misbooked!, rows.map((r, i) => (r.value.merchant === 'm1' && i % 2 === 0 ? { ...r, value: { ...r.value, merchant: 'm2' } } : r)));
  const countAndRevenue = join(dir, 'count-revenue.yaml');
  await writeFile(countAndRevenue, JSON.stringify(config([{ type: 'count' }, revenue])));
  const all = join(dir, 'all.yaml');
  await writeFile(all, JSON.stringify(config([...builtIns, revenue])));
  const statuses = (r: Report) => Object.fromEntries(r.assessment.checks.map((c) => [c.check, c.status]));

  const changed = await cli(['compare', '--a', a!, '--b', amounts!, '--checks', countAndRevenue, '--report-dir', join(dir, 'amounts')]);
  assert.equal(changed.code, 1, changed.stderr + changed.stdout);
  const r1 = JSON.parse(await readFile(join(dir, 'amounts', 'report.json'), 'utf8')) as Report;
  assert.deepEqual(statuses(r1), { count: 'Successful', 'revenue-per-merchant': 'Failed' }, 'counts pass; only the business check fails');
  assert.match(r1.measurements.find((m) => m.check === 'revenue-per-merchant' && m.status === 'Failed')!.detail.reason ?? '', /^1 of 5 merchants off: m1 \d+(\.\d+)? → \d+(\.\d+)? \(\+20\.0%\)$/);
  // The reports show it as they show the built-ins.
  assert.match(changed.stdout, /^revenue-per-merchant\s+custom\s+FAIL\s+0\/6\/0\/0\s+6 failed windows \(limit 0\) in revenue$/m);
  assert.match(await readFile(join(dir, 'amounts', 'report.txt'), 'utf8'), /revenue-per-merchant\s+custom\s+FAIL/);
  const view = checkViews(r1 as unknown as ComparisonReport).find((c) => c.check === 'revenue-per-merchant')!;
  assert.deepEqual([view.type, view.status, view.series.map((x) => x.metric), view.series[0]!.points.map((p) => p.status)], ['custom', 'Failed', ['revenue'], Array(6).fill('Failed')], 'the dashboard charts it per window');
  assert.equal(view.series[0]!.sample, null);
  assert.match(await readFile(join(dir, 'amounts', 'report.html'), 'utf8'), /<section class="check" data-check="revenue-per-merchant">[\s\S]*?\(custom\)[\s\S]*?<svg class="chart" data-check="revenue-per-merchant"/);

  const wrong = await cli(['compare', '--a', a!, '--b', misbooked!, '--checks', all, '--json']);
  assert.equal(wrong.code, 1, wrong.stderr);
  assert.deepEqual(statuses(JSON.parse(wrong.stdout) as Report), { count: 'Successful', schema: 'Successful', 'null-rate': 'Successful', 'key-coverage': 'Successful', aggregate: 'Successful', lateness: 'Successful', 'revenue-per-merchant': 'Failed' });

  const pass = await cli(['compare', '--a', a!, '--b', good!, '--checks', all, '--json']);
  assert.equal(pass.code, 0, pass.stderr);
  const r3 = JSON.parse(pass.stdout) as Report;
  assert.equal(r3.verdict, 'Successful');
  assert.equal(statuses(r3)['revenue-per-merchant'], 'Successful');
  assert.deepEqual(r3.assessment.checks.find((c) => c.check === 'revenue-per-merchant')!.type, 'custom');

  // A check that throws while it runs: its windows are Errors with the message and line; count still measures every window.
  const throwing = join(dir, 'throwing.ts');
  await writeFile(throwing, `import { defineCheck } from '${new URL('../src/engine/authoring.ts', import.meta.url).href}';
export default defineCheck({
  name: 'throwing',
  init: () => 0,
  add: (n: number, r) => {
    if ((r.value as { merchant: string }).merchant === 'm3') throw new Error('no m3 please');
    return n + 1;
  },
  measure: (a, b) => ({ a, b }),
});
`);
  const withThrowing = join(dir, 'throwing.yaml');
  await writeFile(withThrowing, JSON.stringify(config([{ type: 'count' }, { type: 'custom', module: throwing }])));
  const errs = await cli(['compare', '--a', a!, '--b', good!, '--checks', withThrowing, '--json']);
  assert.equal(errs.code, 3, errs.stderr);
  const r4 = JSON.parse(errs.stdout) as Report;
  assert.deepEqual(statuses(r4), { count: 'Successful', throwing: 'Error' });
  const errored = r4.measurements.filter((m) => m.check === 'throwing');
  assert.deepEqual([errored.length, new Set(errored.map((m) => m.status))], [6, new Set(['Error'])]);
  assert.match(errored[0]!.detail.error ?? '', /^add threw at .*throwing\.ts:6:\d+: no m3 please$/);

  // A module that is not there, or does not parse: exit 3 before anything is read, with the file and line.
  await writeFile(join(dir, 'broken.ts'), "import { defineCheck } from 'pitlane';\n\nexport default defineCheck({ name: 'x', init: () => 0, add: (n) => n +, measure: () => ({ status: 'pass' }) });\n");
  for (const [module, code, message] of [
    [join(dir, 'nope.ts'), 'CHECK_MODULE_NOT_FOUND', /check .*nope\.ts \(custom\) in .*\.yaml: module .*nope\.ts does not exist/],
    [join(dir, 'broken.ts'), 'CHECK_MODULE_SYNTAX_ERROR', /check .*broken\.ts \(custom\) in .*\.yaml: Could not load check module .*broken\.ts: syntax error at .*broken\.ts:3:\d+: /],
  ] as const) {
    const file = join(dir, `${code}.yaml`);
    await writeFile(file, JSON.stringify(config([{ type: 'count' }, { type: 'custom', module }])));
    const r = await cli(['compare', '--a', a!, '--b', good!, '--checks', file]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, new RegExp(`^error \\[${code}\\]: `), r.stderr);
    assert.match(r.stderr, message, r.stderr);
  }
});

test('canary launch and canary start refuse a spec whose check module is missing or does not export a check, before anything runs', { timeout: 120_000 }, async (t) => {
  const h = await canaryHarness(t, 'bizmod');
  const notACheck = join(h.dir, 'not-a-check.ts');
  writeFileSync(notACheck, "export const helper = 1;\n\nexport default { name: 'revenue', measure() {} };\n");
  const cases = [
    ['examples/checks/no-such-check.ts', 'CHECK_MODULE_NOT_FOUND', /check examples\/checks\/no-such-check\.ts \(custom\) in .*\.yaml \(analysis\): module examples\/checks\/no-such-check\.ts does not exist .*; nothing was started/],
    [notACheck, 'CHECK_MODULE_NOT_A_CHECK', /check revenue \(custom\) in .*\.yaml \(analysis\): .*not-a-check\.ts:3: the default export is an object \(keys: name, measure\), not a check made by defineCheck\(\)/],
  ] as const;
  for (const [module, code, message] of cases) {
    const spec = h.spec({ checks: [`{ type: custom, ${module === notACheck ? 'name: revenue, ' : ''}module: ${module} }`] });
    for (const command of ['launch', 'start']) {
      const r = await h.cli(['canary', command, spec]);
      assert.equal(r.code, 3, `${command}: ${r.err}`);
      assert.match(r.err, new RegExp(`^error \\[${code}\\]: `), `${command}: ${r.err}`);
      assert.match(r.err, message, `${command}: ${r.err}`);
    }
  }
  assert.match((await h.cli(['canary', 'status', h.name])).err, /DEPLOYMENT_NOT_FOUND/, 'no deployment was recorded');
  const jobs = join(h.dir, 'state', 'jobs');
  assert.deepEqual(existsSync(jobs) ? readdirSync(jobs) : [], [], 'no job was started');
  // The example as the spec names it (relative to the directory pitlane runs in) is accepted: launch goes on to start the job.
  const good = await h.cli(['canary', 'launch', h.spec({ checks: ['{ type: custom, module: examples/checks/revenue-per-merchant.ts, relative: 0.01 }'] })]);
  assert.equal(good.code, 0, good.err);
});
