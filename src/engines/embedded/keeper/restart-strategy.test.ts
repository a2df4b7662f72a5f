import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideRestart, NO_RESTARTS, type RestartCount } from './restart-strategy.ts';
import type { RestartStrategy } from '../../types.ts';

/** The delays of consecutive failures, each after a run of `ranMs`, until the strategy gives up (or `max`). */
function delays(s: RestartStrategy, ranMs: number, max = 20): { delays: number[]; gaveUp?: string } {
  let c: RestartCount = NO_RESTARTS;
  const out: number[] = [];
  for (let i = 0; i < max; i++) {
    const d = decideRestart(s, c, ranMs);
    if (!d.restart) return { delays: out, gaveUp: d.reason };
    out.push(d.delayMs);
    c = d.next;
  }
  return { delays: out };
}

test('none never restarts', () => {
  assert.deepEqual(delays({ type: 'none' }, 0), { delays: [], gaveUp: 'the restart strategy is none' });
});

test('fixed-delay: the same delay, then failed after its attempts, however long each run lasted', () => {
  const s: RestartStrategy = { type: 'fixed-delay', attempts: 3, delayMs: 500 };
  const r = delays(s, 10_000_000);
  assert.deepEqual(r.delays, [500, 500, 500]);
  assert.match(r.gaveUp ?? '', /restart limit reached: 3/);
});

test('fixed-delay with 0 attempts fails at the first crash', () => {
  assert.equal(decideRestart({ type: 'fixed-delay', attempts: 0, delayMs: 1 }, NO_RESTARTS, 0).restart, false);
});

test('exponential-delay: the delay grows by the multiplier up to its maximum, then the limit fails the job', () => {
  const s: RestartStrategy = { type: 'exponential-delay', attempts: 6, initialDelayMs: 100, maxDelayMs: 1000, multiplier: 2, resetAfterMs: 60_000 };
  const r = delays(s, 10);
  assert.deepEqual(r.delays, [100, 200, 400, 800, 1000, 1000]);
  assert.match(r.gaveUp ?? '', /restart limit reached: 6 restart\(s\) in a row/);
});

test('exponential-delay: a run as long as resetAfter forgets the earlier failures', () => {
  const s: RestartStrategy = { type: 'exponential-delay', attempts: 2, initialDelayMs: 100, maxDelayMs: 1000, multiplier: 3, resetAfterMs: 5000 };
  let c: RestartCount = NO_RESTARTS;
  for (const want of [100, 300]) {
    const d = decideRestart(s, c, 10);
    assert.ok(d.restart);
    assert.equal(d.delayMs, want);
    c = d.next;
  }
  assert.equal(decideRestart(s, c, 10).restart, false, 'the limit is reached after short runs');
  const after = decideRestart(s, c, 5000);
  assert.ok(after.restart, 'a stable run resets the count');
  assert.deepEqual(after.next, { attempts: 1, lastDelayMs: 100 });
});
