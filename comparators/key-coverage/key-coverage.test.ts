import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keyCoverageCheck } from './key-coverage.ts';
import { HyperLogLog } from './hyperloglog.ts';
import { rec, runWindow } from '../test-support.ts';

const keys = (ks: string[]) => ks.map((k) => rec(k, { v: 1 }));
const range = (from: number, to: number, prefix = 'k') => Array.from({ length: to - from }, (_, i) => `${prefix}${from + i}`);

const cases: { name: string; a: string[]; b: string[]; params?: object; status: string; jaccard: number | null; onlyA?: number; onlyB?: number }[] = [
  { name: 'same keys pass', a: range(0, 50), b: range(0, 50), status: 'Successful', jaccard: 1, onlyA: 0, onlyB: 0 },
  { name: 'same keys in another order and multiplicity pass', a: range(0, 50), b: [...range(0, 50).reverse(), ...range(0, 10)], status: 'Successful', jaccard: 1 },
  { name: 'dropped keys fail', a: range(0, 100), b: range(0, 80), status: 'Failed', jaccard: 0.8, onlyA: 20, onlyB: 0 },
  { name: 'extra keys fail', a: range(0, 80), b: range(0, 100), status: 'Failed', jaccard: 0.8, onlyA: 0, onlyB: 20 },
  { name: 'one empty side fails coverage', a: range(0, 10), b: [], status: 'Failed', jaccard: 0, onlyA: 10 },
  { name: 'no keys at all is inconclusive', a: [], b: [], status: 'Inconclusive', jaccard: null },
  { name: 'minJaccard lowers the bar', a: range(0, 100), b: range(0, 95), params: { minJaccard: 0.9 }, status: 'Successful', jaccard: 0.95 },
];

for (const c of cases) {
  test(`key-coverage: ${c.name}`, () => {
    const [m] = runWindow(keyCoverageCheck('kc', c.params ?? {}), keys(c.a), keys(c.b));
    assert.equal(m?.status, c.status);
    assert.equal(m?.observed, c.jaccard);
    if (c.onlyA !== undefined) assert.equal(m?.detail.onlyA, c.onlyA);
    if (c.onlyB !== undefined) assert.equal(m?.detail.onlyB, c.onlyB);
  });
}

test('key-coverage: past the exact bound, HyperLogLog estimates stay within a few percent', () => {
  const check = keyCoverageCheck('kc', { exactBound: 1000, minJaccard: 0.7 });
  // |A| = |B| = 20000, overlap 16000: Jaccard = 16000 / 24000 = 0.667.
  const [m] = runWindow(check, keys(range(0, 20000)), keys(range(4000, 24000)));
  assert.equal(m?.detail.mode, 'hyperloglog');
  assert.ok(Math.abs((m?.observed ?? 0) - 2 / 3) < 0.03, String(m?.observed));
  assert.equal(m?.status, 'Failed');
  assert.ok(Math.abs((m?.detail.onlyA as number) - 4000) < 600, String(m?.detail.onlyA));
});

test('hyperloglog: relative error within 3 sigma at several cardinalities, merge is a union', () => {
  for (const n of [100, 5_000, 200_000]) {
    const h = new HyperLogLog();
    for (let i = 0; i < n; i++) h.add(`key-${i}`);
    const err = Math.abs(h.estimate() - n) / n;
    assert.ok(err < 3 * 0.0081, `n=${n} err=${err}`);
  }
  const x = new HyperLogLog();
  const y = new HyperLogLog();
  for (let i = 0; i < 30_000; i++) x.add(`a${i}`);
  for (let i = 0; i < 30_000; i++) y.add(`a${i + 15_000}`);
  const u = x.merge(y).estimate();
  assert.ok(Math.abs(u - 45_000) / 45_000 < 0.03, String(u));
});
