import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sleep, systemClock } from './clock.ts';

test('systemClock reads the wall clock; sleep waits at least as long as asked', async () => {
  const t0 = systemClock.now();
  assert.ok(Math.abs(t0 - Date.now()) < 1000);
  const started = performance.now();
  assert.equal(await sleep(30), undefined);
  assert.ok(performance.now() - started >= 29, 'slept ~30 ms');
});
