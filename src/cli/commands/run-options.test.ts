import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCount, parseDuration } from './run-options.ts';

test('durations: units, a bare number of milliseconds (src/config/duration.ts), and refusals', () => {
  const cases: [string, number | RegExp][] = [
    ['10s', 10000],
    ['500ms', 500],
    ['2m', 120000],
    ['3', 3],
    ['1m30s', 90000],
    ['0.5s', 500],
    ['0s', /duration like 10s/],
    ['ten', /duration like 10s/],
    ['-1s', /duration like 10s/],
  ];
  for (const [text, want] of cases) {
    if (typeof want === 'number') assert.equal(parseDuration('--x', text), want, text);
    else assert.throws(() => parseDuration('--x', text), want, text);
  }
});

test('counts are whole numbers of at least 1', () => {
  assert.equal(parseCount('--n', '3'), 3);
  for (const bad of ['0', '1.5', 'x', '-2']) assert.throws(() => parseCount('--n', bad), /--n must be a whole number/);
});
