import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregateCheck } from './aggregate.ts';
import { rec, runWindow, statuses } from '../test-support.ts';
import type { CompareRecord } from '../types.ts';

const base = Array.from({ length: 200 }, (_, i) => rec(`k${i}`, { amount: 10 + (i % 50), label: 'x' }, i));
const map = (f: (r: CompareRecord, i: number) => CompareRecord) => base.map(f);

const cases: { name: string; b: CompareRecord[]; params?: object; failed: string[] }[] = [
  { name: 'identical values pass', b: base, failed: [] },
  { name: 'identical values reordered pass', b: [...base].reverse(), failed: [] },
  { name: 'shifted values fail every statistic and record-level', b: map((r) => ({ ...r, value: { amount: (r.value as { amount: number }).amount * 1.2, label: 'x' } })), failed: ['amount.mean', 'amount.p50', 'amount.p95', 'amount.p99', 'amount.records', 'amount.sum'] },
  { name: 'one changed record fails only record-level', b: map((r, i) => (i === 7 ? { ...r, value: { amount: 11.5, label: 'x' } } : r)), failed: ['amount.records'] },
  { name: 'record-level mismatch tolerance', b: map((r, i) => (i === 7 ? { ...r, value: { amount: 11.5, label: 'x' } } : r)), params: { recordLevel: { maxMismatchRate: 0.01 } }, failed: [] },
  { name: 'swapped values between keys keep aggregates but not records', b: map((r, i) => ({ ...r, value: { amount: (base[(i + 1) % 200]!.value as { amount: number }).amount, label: 'x' } })), failed: ['amount.records'] },
];

for (const c of cases) {
  test(`aggregate: ${c.name}`, () => {
    const ms = runWindow(aggregateCheck('agg', c.params ?? {}), base, c.b);
    assert.deepEqual(ms.filter((m) => m.status === 'Failed').map((m) => m.metric).sort(), c.failed);
    assert.ok(ms.some((m) => m.metric === 'amount.p95'));
    assert.ok(!ms.some((m) => m.metric.startsWith('label')), 'non-numeric fields are not aggregated');
  });
}

test('aggregate: records align by lineage when both sides carry it', () => {
  const lin = (o: number) => ({ topic: 'in', partition: 0, offset: o });
  const a = [rec('k', { v: 1 }, 10, 10, lin(1)), rec('k', { v: 2 }, 20, 20, lin(2))];
  // Same lineage, different event time: still aligned; the values match.
  const b = [rec('k', { v: 2 }, 25, 25, lin(2)), rec('k', { v: 1 }, 15, 15, lin(1))];
  const ms = runWindow(aggregateCheck('agg', {}), a, b);
  const records = ms.find((m) => m.metric === 'v.records');
  assert.equal(records?.status, 'Successful');
  assert.equal(records?.detail.aligned, 2);
});

test('aggregate: an explicit field with no numbers is an Error measurement, not a throw', () => {
  const ms = runWindow(aggregateCheck('agg', { fields: ['amount'] }), [rec('k', { amount: 1 })], [rec('k', { amount: 'one' })]);
  assert.deepEqual(statuses(ms).filter((s) => s.startsWith('amount:')), ['amount:Error']);
});

test('aggregate: one empty side is inconclusive', () => {
  assert.deepEqual(statuses(runWindow(aggregateCheck('agg', {}), base, [])), ['*:Inconclusive']);
});
