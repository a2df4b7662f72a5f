import { test } from 'node:test';
import assert from 'node:assert/strict';
import { furthest } from './warm-handoff.ts';

test('furthest takes the max offset per partition', () => {
  assert.deepEqual(
    furthest([{ topic: 'a', partition: 1, offset: 5 }, { topic: 'a', partition: 0, offset: 9 }, { topic: 'a', partition: 1, offset: 7 }, { topic: 'a', partition: 0, offset: 3 }]),
    [{ topic: 'a', partition: 0, offset: 9 }, { topic: 'a', partition: 1, offset: 7 }],
  );
});
