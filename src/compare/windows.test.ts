import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WindowSet } from './windows.ts';
import { countCheck } from '../../comparators/count/count.ts';
import type { CompareRecord, Side, Window } from '../../comparators/types.ts';

const rec = (eventTime: number): CompareRecord => ({ key: 'k', value: {}, eventTime, timestamp: eventTime, lineage: undefined, schemaId: undefined });
const context = (window: Window, late: Record<Side, number>) => ({ window, a: { watermark: 0, lateRecords: late.a, schemaFields: undefined }, b: { watermark: 0, lateRecords: late.b, schemaFields: undefined }, compatibility: undefined });

test('windows: a window closes only when time passes its end plus grace', () => {
  const ws = new WindowSet(1000, 200, [countCheck('count', {})]);
  ws.add('a', rec(100), false);
  ws.add('b', rec(900), false);
  assert.deepEqual(ws.closeUpTo(1100, context), []);
  const closed = ws.closeUpTo(1200, context);
  assert.equal(closed.length, 1);
  assert.deepEqual(closed[0]?.window, { start: 0, end: 1000 });
  assert.equal(closed[0]?.status, 'Successful');
});

test('windows: gaps between windows are judged as empty (Inconclusive), not skipped', () => {
  const ws = new WindowSet(1000, 0, [countCheck('count', {})]);
  ws.add('a', rec(100), false);
  ws.add('b', rec(100), false);
  ws.add('a', rec(3100), false);
  ws.add('b', rec(3100), false);
  const closed = ws.closeUpTo(Infinity, context);
  assert.deepEqual(closed.map((m) => [m.window.start, m.status]), [[0, 'Successful'], [1000, 'Inconclusive'], [2000, 'Inconclusive'], [3000, 'Successful']]);
});

test('windows: records for a closed window are counted as dropped, late ones per window', () => {
  const ws = new WindowSet(1000, 0, [countCheck('count', {})]);
  ws.add('a', rec(100), false);
  ws.add('b', rec(100), false);
  ws.closeUpTo(1000, context);
  ws.add('b', rec(500), true);
  assert.deepEqual(ws.droppedLate, { a: 0, b: 1 });
  let seen: Record<Side, number> | undefined;
  ws.add('a', rec(1500), false);
  ws.add('b', rec(1600), true);
  ws.closeUpTo(2000, (w, late) => ((seen = late), context(w, late)));
  assert.deepEqual(seen, { a: 0, b: 1 });
});
