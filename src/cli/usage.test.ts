import { test } from 'node:test';
import assert from 'node:assert/strict';
import { intFlag, secondsFlag, UsageError } from './usage.ts';

test('secondsFlag takes whole and fractional seconds; zero, negatives, units and words are usage errors naming the flag', () => {
  assert.equal(secondsFlag('--status-interval', '0.2'), 0.2);
  assert.equal(secondsFlag('--status-interval', '2'), 2);
  assert.equal(secondsFlag('--status-interval', '.5'), 0.5);
  for (const bad of ['0', '-1', '1s', 'abc', '', '1e3', 'Infinity']) {
    assert.throws(() => secondsFlag('--status-interval', bad), (e: unknown) => e instanceof UsageError && e.code === 'CLI_BAD_NUMBER' && e.message.includes('--status-interval'), bad);
  }
});

test('intFlag takes whole numbers within its range only', () => {
  assert.equal(intFlag('--parallelism', '4'), 4);
  assert.throws(() => intFlag('--parallelism', '0.5'), UsageError);
  assert.throws(() => intFlag('--parallelism', '0'), UsageError);
  assert.throws(() => intFlag('--port', '70000', { max: 65535 }), UsageError);
});
