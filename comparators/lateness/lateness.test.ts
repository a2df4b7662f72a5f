import { test } from 'node:test';
import assert from 'node:assert/strict';
import { latenessCheck } from './lateness.ts';
import { ctx, rec, runWindow, statuses, WINDOW } from '../test-support.ts';
import type { EmitTimeSource, SideContext } from '../types.ts';

const rows = Array.from({ length: 20 }, (_, i) => rec(`k${i}`, {}, i * 10));
const END = WINDOW.end;

/** A side that passed the window's end `after` ms after it (undefined: never), in clock `clock` (null: none). */
const side = (after: number | undefined, clock: EmitTimeSource | null = 'read-time', lateRecords = 0): SideContext => ({
  watermark: 2000,
  lateRecords,
  schemaFields: undefined,
  emitTime: clock ?? undefined,
  watermarkPassedAt: after === undefined ? undefined : END + after,
});

const cases: { name: string; a: SideContext; b: SideContext; params?: object; expect: string[]; lag?: number | null; reason?: RegExp }[] = [
  { name: 'both sides pass the window end together', a: side(200), b: side(200), expect: ['watermark-lag:Successful', 'late-rate:Successful'], lag: 0 },
  { name: 'a candidate 40 s behind fails the default 30 s', a: side(200), b: side(40_200), expect: ['watermark-lag:Failed', 'late-rate:Successful'], lag: 40_000 },
  { name: 'a candidate ahead passes', a: side(900), b: side(100), expect: ['watermark-lag:Successful', 'late-rate:Successful'], lag: -800 },
  { name: 'a lag within maxLagMs passes', a: side(0), b: side(4_000), params: { maxLagMs: 5_000 }, expect: ['watermark-lag:Successful', 'late-rate:Successful'], lag: 4_000 },
  { name: 'a lag beyond maxLagMs fails', a: side(0), b: side(6_000), params: { maxLagMs: 5_000 }, expect: ['watermark-lag:Failed', 'late-rate:Successful'], lag: 6_000 },
  { name: 'producer timestamps are a clock too', a: side(0, 'record-timestamp'), b: side(45_000, 'record-timestamp'), expect: ['watermark-lag:Failed', 'late-rate:Successful'], lag: 45_000 },
  {
    name: 'no emit times (bounded read, event-time timestamps): inconclusive, not a fake zero',
    a: side(undefined, null),
    b: side(undefined, null),
    expect: ['watermark-lag:Inconclusive', 'late-rate:Successful'],
    lag: null,
    reason: /no emit times.*bounded/,
  },
  { name: 'different clocks are not compared', a: side(0, 'record-timestamp'), b: side(0, 'read-time'), expect: ['watermark-lag:Inconclusive', 'late-rate:Successful'], reason: /different clocks/ },
  { name: 'a watermark that never passed the end (read ended first)', a: side(0), b: side(undefined), expect: ['watermark-lag:Inconclusive', 'late-rate:Successful'], reason: /side b's watermark never passed/ },
  { name: 'more late records on b fails the late rate', a: side(0, 'read-time', 0), b: side(0, 'read-time', 5), expect: ['watermark-lag:Successful', 'late-rate:Failed'] },
];

for (const c of cases) {
  test(`lateness: ${c.name}`, () => {
    const ms = runWindow(latenessCheck('lat', c.params ?? {}), rows, rows, ctx({ a: c.a, b: c.b }));
    assert.deepEqual(statuses(ms), c.expect);
    if (c.lag !== undefined) assert.equal(ms[0]?.observed, c.lag);
    if (c.reason) assert.match(String(ms[0]?.detail.reason), c.reason);
  });
}

test('lateness: one empty side is inconclusive', () => {
  assert.deepEqual(statuses(runWindow(latenessCheck('lat', {}), rows, [], ctx({ a: side(0), b: side(0) }))), ['watermark-lag:Inconclusive']);
});
