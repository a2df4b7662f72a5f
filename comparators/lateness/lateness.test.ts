import { test } from 'node:test';
import assert from 'node:assert/strict';
import { latenessCheck } from './lateness.ts';
import { ctx, rec, runWindow, statuses } from '../test-support.ts';

const rows = (delay: number) => Array.from({ length: 20 }, (_, i) => rec(`k${i}`, {}, i * 10, i * 10 + delay));
const late = (a: number, b: number) => ctx({ a: { watermark: 0, lateRecords: a, schemaFields: undefined }, b: { watermark: 0, lateRecords: b, schemaFields: undefined } });

const cases: { name: string; a: number; b: number; c?: ReturnType<typeof ctx>; params?: object; expect: string[]; lag?: number }[] = [
  { name: 'same emission delay passes', a: 200, b: 200, expect: ['watermark-lag:Successful', 'late-rate:Successful'], lag: 0 },
  { name: 'candidate lagging 5 s fails', a: 200, b: 5200, expect: ['watermark-lag:Failed', 'late-rate:Successful'], lag: 5000 },
  { name: 'candidate ahead passes', a: 800, b: 100, expect: ['watermark-lag:Successful', 'late-rate:Successful'], lag: -700 },
  { name: 'lag within maxLagMs', a: 0, b: 600, params: { maxLagMs: 1000 }, expect: ['watermark-lag:Successful', 'late-rate:Successful'] },
  { name: 'more late records on b fails', a: 100, b: 100, c: late(0, 5), expect: ['watermark-lag:Successful', 'late-rate:Failed'] },
  { name: 'event time = timestamp: lag is inconclusive, not a fake zero', a: 0, b: 0, expect: ['watermark-lag:Inconclusive', 'late-rate:Successful'] },
];

for (const c of cases) {
  test(`lateness: ${c.name}`, () => {
    const ms = runWindow(latenessCheck('lat', c.params ?? {}), rows(c.a), rows(c.b), c.c ?? ctx());
    assert.deepEqual(statuses(ms), c.expect);
    if (c.lag !== undefined) assert.equal(ms[0]?.observed, c.lag);
  });
}

test('lateness: one empty side is inconclusive', () => {
  assert.deepEqual(statuses(runWindow(latenessCheck('lat', {}), rows(1), [])), ['watermark-lag:Inconclusive']);
});
