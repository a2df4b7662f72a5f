import { test } from 'node:test';
import assert from 'node:assert/strict';
import { report } from '../../dashboard/test-support.ts';
import { renderTerminal } from './terminal.ts';
import { renderHtml } from './html.ts';
import { fieldChanges } from './divergence.ts';
import type { DivergingKeys } from '../keys/divergence.ts';

const keys: DivergingKeys = {
  onlyAuthoritative: [{ key: 'user-9', value: { amount: 5 } }],
  onlyCandidate: [{ key: 'user-77', value: { amount: 1 }, records: 2 }],
  different: [{ key: 'user-3', authoritative: { amount: 52, region: 'eu', maxTs: 1 }, candidate: { amount: 65, region: 'eu', maxTs: 2 } }],
  truncated: 4,
  exact: true,
};

const withKeys = () => {
  const r = report({ settings: { window: 10_000, grace: 1000, allowedLateness: 0, ignoreFields: ['maxTs'] } });
  return { ...r, windows: r.windows.map((w, i) => (i === 1 ? { ...w, divergingKeys: keys } : w)) };
};

test('fieldChanges: field by field, nested paths, absent fields, ignored fields and non-objects', () => {
  assert.deepEqual(fieldChanges({ a: 1, b: { c: 2, d: 3 } }, { a: 1, b: { c: 4, d: 3 }, e: 'x' }), [
    { path: 'b.c', authoritative: 2, candidate: 4 },
    { path: 'e', authoritative: undefined, candidate: 'x' },
  ]);
  assert.deepEqual(fieldChanges({ a: 1, t: 5 }, { a: 2, t: 6 }, ['t']), [{ path: 'a', authoritative: 1, candidate: 2 }]);
  assert.deepEqual(fieldChanges(3, 4), [{ path: '', authoritative: 3, candidate: 4 }]);
  assert.deepEqual(fieldChanges({ l: [1, { x: 1 }] }, { l: [1, { x: 1 }] }), []);
});

test('report.txt lists the diverging keys of a failed window with both values, field by field', () => {
  const text = renderTerminal(withKeys());
  assert.match(text, /diverging keys in failed windows/);
  assert.match(text, /1 with other values, 1 only in a \(missing from the candidate\), 1 only in b \(extra\), 4 more not listed/);
  assert.match(text, /differs {4}user-3: amount: 52 → 65\n/, 'the ignored field maxTs is not shown as a change');
  assert.match(text, /only in a {2}user-9 = \{"amount":5\}/);
  assert.match(text, /only in b {2}user-77 = \{"amount":1\} \(2 records\)/);
  assert.doesNotMatch(renderTerminal(report()), /diverging keys/, 'no section without diverging keys');
});

test('report.html shows a table per failed window with both values', () => {
  const html = renderHtml(withKeys());
  assert.match(html, /<section class="diverging-keys">/);
  assert.match(html, /<tr class="different"><td>differs<\/td><td class="mono">user-3<\/td><td><div><b>amount<\/b>: 52 → 65<\/div><\/td>/);
  assert.match(html, /<tr class="only-a"><td>only in a<\/td><td class="mono">user-9<\/td>/);
  assert.match(html, /ignored fields: maxTs/);
  assert.doesNotMatch(renderHtml(report()), /diverging-keys/);
});
