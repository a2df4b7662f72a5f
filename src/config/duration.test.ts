import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, parseDuration } from './duration.ts';

test('durations: units, compounds, a bare number as milliseconds, and refusals that say why', () => {
  // null: refused with a reason.
  const cases: [string | number, number | null][] = [
    ['250ms', 250],
    ['30s', 30_000],
    ['10s', 10_000],
    ['5m', 300_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['2d', 172_800_000],
    ['1m30s', 90_000],
    ['1.5s', 1500],
    ['0.5s', 500],
    ['0s', 0],
    [' 10s ', 10_000],
    // A bare number is milliseconds, as text or as a number (YAML/JSON).
    ['30', 30],
    ['3', 3],
    ['2', 2],
    ['0.4', 0],
    [1500, 1500],
    [0, 0],
    [2.6, 3],
    ['', null],
    ['  ', null],
    ['s', null],
    ['x', null],
    ['ten', null],
    ['5 m', null],
    ['-1s', null],
    ['10x', null],
    ['1m30', null],
    ['30s5', null],
    ['1e3', null],
    [-1, null],
    [Number.NaN, null],
    [Number.POSITIVE_INFINITY, null],
    ['9'.repeat(400), null],
  ];
  for (const [input, want] of cases) {
    const r = parseDuration(input);
    if (want === null) assert.ok('error' in r && r.error.length > 0, `${JSON.stringify(input)} is refused`);
    else assert.deepEqual(r, { ms: want }, JSON.stringify(input));
  }
});

test('a refusal names the bad text and shows good ones', () => {
  const r = parseDuration('10 seconds');
  assert.ok('error' in r);
  assert.match(r.error, /"10 seconds" is not a duration .*"30s"/);
  assert.deepEqual(parseDuration(''), { error: 'is empty; write a duration such as "30s", "5m" or "250ms"' });
});

test('formatDuration: the shortest readable form', () => {
  const cases: [number, string][] = [
    [250, '250ms'],
    [1500, '1.5s'],
    [90_000, '1m30s'],
    [3_600_000, '1h'],
    [3_661_000, '1h1m1s'],
  ];
  for (const [ms, want] of cases) assert.equal(formatDuration(ms), want, String(ms));
});
