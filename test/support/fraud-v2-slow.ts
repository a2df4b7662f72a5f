/**
 * A slow fraud v2 for the slow-candidate canary test: examples/fraud/v2.ts's logic
 * behind a stage that takes a few milliseconds per record (it sleeps without
 * spinning, so the test does not starve the machine), as a candidate that cannot
 * keep up with the input would.
 */
import { defineJob } from '../../src/engine/index.ts';
import type { Flag, Transaction } from '../../examples/fraud/model.ts';
import { profileV2 } from '../../examples/fraud/v2.ts';

const MS_PER_RECORD = Number(process.env.PITLANE_TEST_SLOW_MS ?? 4);
const cell = new Int32Array(new SharedArrayBuffer(4));

export default defineJob({
  name: 'fraud',
  version: '2-slow',
  maxParallelism: 128,
  build(env) {
    env
      .fromKafka<Transaction>({ uid: 'transactions', topics: env.param('input', 'fraud.tx'), timestamp: { field: 'ts' } })
      .map((t) => {
        Atomics.wait(cell, 0, 0, MS_PER_RECORD);
        return t;
      }, 'slow')
      .keyBy((t) => t.userId)
      .process<Flag>('profile', profileV2)
      .toKafka({ uid: 'flags', topic: env.param('output', 'fraud.flags'), key: (f) => f.userId });
  },
});
