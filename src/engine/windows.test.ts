import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assignWindows, mergeSession, session, sliding, tumbling, type TimeWindow, type WindowAssigner } from './windows.ts';
import { JobDefinitionError } from '../errors.ts';

const w = (start: number, end: number): TimeWindow => ({ start, end });

test('window assignment', async (t) => {
  const cases: [string, WindowAssigner, number, TimeWindow[]][] = [
    ['tumbling: inside', tumbling(60_000), 61_000, [w(60_000, 120_000)]],
    ['tumbling: at the start', tumbling(60_000), 60_000, [w(60_000, 120_000)]],
    ['tumbling: last ms', tumbling(60_000), 119_999, [w(60_000, 120_000)]],
    ['tumbling: zero', tumbling(10), 0, [w(0, 10)]],
    ['tumbling: negative time', tumbling(10), -1, [w(-10, 0)]],
    ['tumbling: with offset', tumbling(10, 3), 12, [w(3, 13)]],
    ['sliding: size 10 slide 5', sliding(10, 5), 12, [w(5, 15), w(10, 20)]],
    ['sliding: on a boundary', sliding(10, 5), 10, [w(5, 15), w(10, 20)]],
    ['sliding: size 30 slide 10', sliding(30, 10), 25, [w(0, 30), w(10, 40), w(20, 50)]],
    ['sliding: slide larger than size leaves gaps', sliding(5, 10), 7, []],
    ['session: gap from the record', session(100), 42, [w(42, 142)]],
  ];
  for (const [name, a, ts, want] of cases) await t.test(name, () => assert.deepEqual(assignWindows(a, ts), want));
});

test('session merging', async (t) => {
  const cases: [string, TimeWindow[], TimeWindow, TimeWindow, TimeWindow[]][] = [
    ['no sessions yet', [], w(10, 20), w(10, 20), []],
    ['disjoint stays apart', [w(0, 5)], w(10, 20), w(10, 20), []],
    ['touching merges', [w(0, 10)], w(10, 20), w(0, 20), [w(0, 10)]],
    ['overlap on the left', [w(0, 15)], w(10, 20), w(0, 20), [w(0, 15)]],
    ['inside an existing one', [w(0, 100)], w(10, 20), w(0, 100), [w(0, 100)]],
    ['bridges two sessions', [w(0, 10), w(30, 40), w(100, 110)], w(8, 32), w(0, 40), [w(0, 10), w(30, 40)]],
    ['unsorted input', [w(30, 40), w(0, 10)], w(8, 32), w(0, 40), [w(0, 10), w(30, 40)]],
  ];
  for (const [name, existing, incoming, result, absorbed] of cases) {
    await t.test(name, () => assert.deepEqual(mergeSession(existing, incoming), { result, absorbed }));
  }
});

test('bad window sizes are definition errors', () => {
  for (const f of [() => tumbling(0), () => sliding(10, -1), () => session(1.5)]) assert.throws(f, JobDefinitionError);
});
