import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rankTest } from './rank-test.ts';

const o = { tolerance: 0.05, alpha: 0.05, minSamples: 5 };
const base = [100, 102, 98, 101, 99, 103, 97, 100, 101, 99];

const cases: { name: string; a: number[]; b: number[]; opts?: typeof o; status: string }[] = [
  { name: 'same distribution passes', a: base, b: [...base].reverse(), status: 'Successful' },
  { name: 'large shift fails', a: base, b: base.map((x) => x * 1.3), status: 'Failed' },
  { name: 'significant but tiny shift is tolerated', a: base, b: base.map((x) => x + 2), status: 'Successful' },
  { name: 'large shift with a loose tolerance passes', a: base, b: base.map((x) => x * 1.3), opts: { ...o, tolerance: 0.5 }, status: 'Successful' },
  { name: 'too few windows is inconclusive', a: [1, 2], b: [3, 4], status: 'Inconclusive' },
];

for (const c of cases) {
  test(`rank test: ${c.name}`, () => {
    const r = rankTest(c.a, c.b, c.opts ?? o);
    assert.equal(r.status, c.status, r.reason);
  });
}

test('rank test: the shift is the Hodges–Lehmann estimate and p is small for separated samples', () => {
  const r = rankTest([1, 2, 3, 4, 5], [11, 12, 13, 14, 15], o);
  assert.equal(r.shift, 10);
  assert.equal(r.rankSum, 40);
  assert.ok((r.pValue ?? 1) < 0.05);
});
