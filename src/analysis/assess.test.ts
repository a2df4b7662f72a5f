import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assess, type AssessmentPolicy, type CheckLimits } from './assess.ts';
import { ms } from './test-support.ts';
import type { Measurement, Status } from '../../comparators/types.ts';

const limits: CheckLimits = { maxFailures: 0, maxInconclusive: null, maxConsecutiveErrors: 1 };
const policy = (over: Partial<AssessmentPolicy> = {}, l: Partial<CheckLimits> = {}): AssessmentPolicy => ({
  checks: [{ name: 'count', type: 'count', limits: { ...limits, ...l } }],
  minWindows: 3,
  minRecords: 100,
  ...over,
});
const series = (...s: Status[]) => s.map((st, i) => ms('count', i, st));

const cases: { name: string; m: Measurement[]; p?: AssessmentPolicy; status: Status }[] = [
  { name: 'no data never passes', m: [], status: 'Inconclusive' },
  { name: 'only empty windows never pass', m: series('Inconclusive', 'Inconclusive', 'Inconclusive', 'Inconclusive'), status: 'Inconclusive' },
  { name: 'too few judged windows', m: series('Successful', 'Successful'), status: 'Inconclusive' },
  { name: 'too few records', m: series('Successful', 'Successful', 'Successful').map((m) => ({ ...m, records: 10 })), status: 'Inconclusive' },
  { name: 'enough good windows pass', m: series('Successful', 'Successful', 'Successful'), status: 'Successful' },
  { name: 'one failure fails by default', m: series('Successful', 'Failed', 'Successful', 'Successful'), status: 'Failed' },
  { name: 'a failure fails even before the minimum of data', m: series('Failed'), status: 'Failed' },
  { name: 'failures within the limit pass', m: series('Successful', 'Failed', 'Successful', 'Successful'), p: policy({}, { maxFailures: 1 }), status: 'Successful' },
  { name: 'isolated errors are tolerated', m: series('Successful', 'Error', 'Successful', 'Error', 'Successful', 'Successful'), status: 'Successful' },
  { name: 'consecutive errors beyond the limit are Error', m: series('Successful', 'Error', 'Error', 'Successful', 'Successful'), status: 'Error' },
  { name: 'inconclusive windows beyond the limit', m: series('Successful', 'Successful', 'Successful', 'Inconclusive', 'Inconclusive'), p: policy({}, { maxInconclusive: 1 }), status: 'Inconclusive' },
  {
    name: 'a window is as bad as its worst metric',
    m: [...series('Successful', 'Successful', 'Successful'), ms('count', 1, 'Failed', { metric: 'other' })],
    status: 'Failed',
  },
  { name: 'no checks configured is inconclusive', m: series('Successful', 'Successful', 'Successful'), p: policy({ checks: [] }), status: 'Inconclusive' },
];

for (const c of cases) {
  test(`assess: ${c.name}`, () => {
    const r = assess(c.m, c.p ?? policy());
    assert.equal(r.status, c.status, r.reason);
  });
}

test('assess: worst status over checks wins; Failed outranks Error outranks Inconclusive', () => {
  const p: AssessmentPolicy = {
    checks: ['x', 'y', 'z'].map((name) => ({ name, type: name, limits })),
    minWindows: 1,
    minRecords: 1,
  };
  const good = (c: string) => [0, 1].map((i) => ms(c, i, 'Successful'));
  assert.equal(assess([...good('x'), ...good('y'), ...good('z')], p).status, 'Successful');
  assert.equal(assess([...good('x'), ...good('y')], p).status, 'Inconclusive');
  assert.equal(assess([...good('x'), ms('y', 0, 'Error'), ms('y', 1, 'Error')], p).status, 'Error');
  const r = assess([ms('x', 0, 'Failed'), ms('y', 0, 'Error'), ms('y', 1, 'Error')], p);
  assert.equal(r.status, 'Failed');
  assert.match(r.reason, /x/);
});

test('assess: statistical mode fails a shifted series and passes noise within tolerance', () => {
  const stat = { tolerance: 0.05, alpha: 0.05, minSamples: 5 };
  const p: AssessmentPolicy = { checks: [{ name: 'count', type: 'count', limits, statistical: stat }], minWindows: 3, minRecords: 1 };
  const windows = (shift: number, jitter: number) =>
    Array.from({ length: 12 }, (_, i) => {
      const a = 1000 + ((i * 37) % 50);
      const b = a * (1 + shift) + (i % 2 ? jitter : -jitter);
      return ms('count', i, 'Failed', { sides: { a, b } });
    });
  const shifted = assess(windows(0.2, 3), p);
  assert.equal(shifted.status, 'Failed', shifted.reason);
  assert.ok(shifted.checks[0]?.rankTests?.[0]?.pValue !== null);
  // Every window "failed" its point tolerance, but the distributions agree: the rank test passes.
  const same = assess(windows(0, 3), p);
  assert.equal(same.status, 'Successful', same.reason);
});
