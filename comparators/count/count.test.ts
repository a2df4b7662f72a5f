import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countCheck } from './count.ts';
import { rec, runWindow } from '../test-support.ts';

const n = (k: number) => Array.from({ length: k }, (_, i) => rec(`k${i}`, { v: i }));

const cases: { name: string; a: number; b: number; params?: object; status: string; observed: number | null }[] = [
  { name: 'equal counts pass', a: 100, b: 100, status: 'Successful', observed: 0 },
  { name: 'within relative tolerance', a: 100, b: 104, status: 'Successful', observed: 0.04 },
  { name: 'beyond relative tolerance', a: 100, b: 90, status: 'Failed', observed: -0.1 },
  { name: 'absolute tolerance saves small windows', a: 3, b: 4, params: { absolute: 1 }, status: 'Successful', observed: 1 / 3 },
  { name: 'empty window is inconclusive, never successful', a: 0, b: 0, status: 'Inconclusive', observed: null },
  { name: 'empty b fails', a: 10, b: 0, status: 'Failed', observed: -1 },
  { name: 'empty a fails', a: 0, b: 10, status: 'Failed', observed: null },
];

for (const c of cases) {
  test(`count: ${c.name}`, () => {
    const [m] = runWindow(countCheck('count', c.params ?? {}), n(c.a), n(c.b));
    assert.equal(m?.status, c.status);
    if (c.observed === null) assert.equal(m?.observed, null);
    else assert.ok(Math.abs((m?.observed ?? NaN) - c.observed) < 1e-9);
    assert.deepEqual(m?.sides, { a: c.a, b: c.b });
  });
}

test('count: bad params are a ConfigError naming the check', () => {
  assert.throws(() => countCheck('my-count', { relative: -1 }), /my-count/);
  assert.throws(() => countCheck('my-count', { relativ: 0.1 }), /relativ/);
});
