import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyExpected, type ExpectedDifference } from './expected.ts';
import { applyNoiseFloor } from './noise-floor.ts';
import { ms } from './test-support.ts';
import type { Measurement } from '../../comparators/types.ts';

const count = (observed: number, status: 'Successful' | 'Failed') => ms('count', 0, status, { observed });
const schema = (detail: Record<string, unknown>) => ms('schema', 0, 'Failed', { type: 'schema', metric: 'fields', observed: 1, detail });

const cases: { name: string; m: Measurement; e: ExpectedDifference[]; status: string }[] = [
  { name: 'expected drop inside the range passes', m: count(-0.55, 'Failed'), e: [{ check: 'count', change: { min: -0.7, max: -0.4 } }], status: 'Successful' },
  { name: 'drop outside the range fails', m: count(-0.2, 'Failed'), e: [{ check: 'count', change: { min: -0.7, max: -0.4 } }], status: 'Failed' },
  { name: 'no change when a change was expected fails', m: count(0, 'Successful'), e: [{ check: 'count', change: { min: -0.7, max: -0.4 } }], status: 'Failed' },
  { name: 'another check is untouched', m: count(-0.55, 'Failed'), e: [{ check: 'aggregate', change: { min: -1, max: 1 } }], status: 'Failed' },
  { name: 'declared new field passes', m: schema({ added: ['riskScore'], removed: [], retyped: [] }), e: [{ check: 'schema', addedFields: ['riskScore'] }], status: 'Successful' },
  { name: 'declared field plus an undeclared one fails', m: schema({ added: ['riskScore', 'oops'], removed: [], retyped: [] }), e: [{ check: 'schema', addedFields: ['riskScore'] }], status: 'Failed' },
  { name: 'declared field that did not appear fails', m: ms('schema', 0, 'Successful', { type: 'schema', detail: { added: [], removed: [], retyped: [] } }), e: [{ check: 'schema', addedFields: ['riskScore'] }], status: 'Failed' },
  { name: 'inconclusive stays inconclusive', m: ms('count', 0, 'Inconclusive', { observed: null }), e: [{ check: 'count', change: { min: -1, max: 1 } }], status: 'Inconclusive' },
];

for (const c of cases) {
  test(`expected differences: ${c.name}`, () => {
    assert.equal(applyExpected([c.m], c.e)[0]?.status, c.status);
  });
}

const noiseCases: { name: string; m: Measurement; noise: Measurement | undefined; status: string }[] = [
  { name: 'failure within the noise floor passes', m: count(-0.08, 'Failed'), noise: count(-0.1, 'Failed'), status: 'Successful' },
  { name: 'failure beyond the noise floor stays', m: count(-0.3, 'Failed'), noise: count(-0.1, 'Failed'), status: 'Failed' },
  { name: 'no noise measurement for the window: unchanged', m: count(-0.3, 'Failed'), noise: undefined, status: 'Failed' },
  { name: 'distance is taken from the expected value', m: ms('kc', 0, 'Failed', { observed: 0.9, expected: 1 }), noise: ms('kc', 0, 'Failed', { observed: 0.85, expected: 1 }), status: 'Successful' },
];

for (const c of noiseCases) {
  test(`noise floor: ${c.name}`, () => {
    assert.equal(applyNoiseFloor([c.m], c.noise ? [c.noise] : [])[0]?.status, c.status);
  });
}
