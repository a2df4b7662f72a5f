import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkViews, deploymentDetail, reportSummary, rowPage, savepoints, timeline } from './view-model.ts';
import { deployment, history, report } from './test-support.ts';

test('rowPage: filters by phase, counts every phase, newest change first, pages', () => {
  const all = [deployment('a', 'Shadowing', {}, 3), deployment('b', 'Promoted', {}, 5), deployment('c', 'Shadowing', {}, 9), deployment('d', 'Failed', {}, 1)];
  const page = rowPage(all, { phase: 'Shadowing' });
  assert.deepEqual(page.rows.map((r) => r.name), ['c', 'a']);
  assert.equal(page.total, 2);
  assert.equal(page.phases.Shadowing, 2);
  assert.equal(page.phases.Promoted, 1);
  assert.equal(page.phases.Pending, 0);
  const second = rowPage(all, { offset: 1, limit: 2 });
  assert.deepEqual(second.rows.map((r) => r.name), ['b', 'a']);
  assert.equal(second.total, 4);
});

test('rowPage: a row names versions, engines, the plan and the pit stop', () => {
  const d = deployment('x', 'Promoted', { promotion: { strategy: 'savepoint-handoff', mode: 'warm', auto: false, startedAt: 1, steps: [], pitStop: { outputGapMs: 120, noWriterMs: 40 } } });
  const [r] = rowPage([d]).rows;
  assert.equal(r?.authoritative.version, 'v1');
  assert.equal(r?.authoritative.engine, 'embedded');
  assert.equal(r?.candidate.engine, 'embedded');
  assert.equal(r?.candidate.topic, 'alerts-canary');
  assert.deepEqual(r?.pitStop, { outputGapMs: 120, noWriterMs: 40 });
});

test('timeline: every transition with who did it and why', () => {
  const t = timeline(history('fraud'));
  assert.deepEqual(t.map((e) => `${e.from ?? '-'}>${e.to}`), ['->Pending', 'Pending>Forking', 'Forking>Shadowing', 'Shadowing>Analyzing', 'Analyzing>Failed', 'Failed>Aborted']);
  assert.equal(t[2]?.by, 'controller');
  assert.equal(t[2]?.why, 'triggerSavepoint done');
  assert.equal(t[4]?.by, 'shadow analysis');
  assert.match(t[4]?.why ?? '', /^fail: key-coverage/);
  assert.deepEqual([t[5]?.by, t[5]?.why], ['alice via dashboard', 'candidate drops users']);
});

test('checkViews: per check and metric, windows in event-time order, both sides, declared change and key sample', () => {
  const views = checkViews(report());
  assert.deepEqual(views.map((v) => [v.check, v.status]), [['count', 'Successful'], ['keys', 'Failed']]);
  const count = views[0]!.series[0]!;
  assert.deepEqual(count.points.map((p) => p.start), [10_000, 12_000, 14_000]);
  assert.deepEqual(count.points.map((p) => [p.a, p.b]), [[100, 45], [100, 30], [100, 40]]);
  assert.deepEqual(count.expected, { min: -0.95, max: -0.5, reason: 'threshold 100 -> 500' });
  const keys = views[1]!.series[0]!;
  assert.equal(keys.expected, null);
  assert.deepEqual(keys.points.map((p) => p.status), ['Successful', 'Failed', 'Failed']);
  assert.deepEqual((keys.sample?.examples as { onlyA: string[] }).onlyA, ['user-7', 'user-9']);
});

test('deploymentDetail: the commands a phase allows, and a missing report said so', () => {
  const h = history('fraud');
  const failed = deploymentDetail(deployment('fraud', 'Failed'), h, report());
  assert.deepEqual(failed.actions, { promote: true, overrideNeeded: true, abort: true, rollback: false });
  assert.ok('summary' in failed.report && failed.report.summary.windows === 3);
  const passed = deploymentDetail(deployment('fraud', 'Passed'), h, { unavailable: 'no report yet' });
  assert.equal(passed.actions.overrideNeeded, false);
  assert.deepEqual(passed.report, { unavailable: 'no report yet' });
  const promoted = deploymentDetail(deployment('fraud', 'Promoted'), h, report());
  assert.deepEqual([promoted.actions.promote, promoted.actions.abort, promoted.actions.rollback], [false, false, true]);
  const aborted = deploymentDetail(h.at(-1)!.record, h, report());
  assert.deepEqual(aborted.actions, { promote: false, overrideNeeded: true, abort: false, rollback: false });
  assert.equal(aborted.savepoints[0]?.location, '/sp/1');
});

test('savepoints: from the store\'s savepoint history (this generation only) when it has some, else from the record', () => {
  const d = deployment('fraud', 'Promoted', { generation: 2, fork: { savepoint: { location: '/sp/fork', sourceOffsets: [], completedAt: 1 } } });
  assert.deepEqual(savepoints(d).map((s) => s.location), ['/sp/fork']);
  const kept = [
    { id: '1', location: '/sp/old-gen', engine: 'embedded' as const, job: 'fraud', deployment: 'fraud', generation: 1, trigger: 'fork' as const, takenAt: 1 },
    { id: '2', location: '/sp/handoff', engine: 'embedded' as const, job: 'fraud', deployment: 'fraud', generation: 2, trigger: 'handoff' as const, takenAt: 9 },
    { id: '3', location: '/sp/fork2', engine: 'embedded' as const, job: 'fraud', deployment: 'fraud', generation: 2, trigger: 'fork' as const, takenAt: 5 },
    { id: '4', location: '/sp/other', engine: 'embedded' as const, job: 'orders', deployment: 'orders', generation: 2, trigger: 'fork' as const, takenAt: 5 },
  ];
  const views = savepoints(d, kept);
  assert.deepEqual(views.map((s) => s.location), ['/sp/fork2', '/sp/handoff']);
  assert.match(views[1]!.role, /^handoff \(kept for rollback\)/);
});

test('reportSummary: the latest failed window that names diverging keys, for the deployment page', () => {
  const keys = { onlyAuthoritative: [], onlyCandidate: [], different: [{ key: 'user-3', authoritative: { amount: 1 }, candidate: { amount: 2 } }], truncated: 0, exact: true };
  const r = report();
  const named = { ...r, windows: r.windows.map((w, i) => (i > 0 ? { ...w, divergingKeys: keys } : w)) };
  const s = reportSummary(named).divergingKeys;
  assert.equal(s?.window.start, r.windows[2]!.start);
  assert.equal(s?.failedWindows, 2);
  assert.deepEqual(s?.different, keys.different);
  assert.equal(reportSummary(r).divergingKeys, null);
});
