/**
 * A slow fraud v2 for the slow-candidate canary test: examples/fraud/v2.ts's logic
 * behind a stage that takes a few milliseconds per record (it sleeps without
 * spinning, so the test does not starve the machine), as a candidate that cannot
 * keep up with the input would.
 */
import { avroCodec, defineJob, valueState } from '../../src/engine/index.ts';
import { profileV2Schema, type Flag, type ProfileV2, type Transaction } from '../../examples/fraud/model.ts';

const THRESHOLD = 500;
const MS_PER_RECORD = Number(process.env.PITLANE_TEST_SLOW_MS ?? 4);
const profile = valueState<ProfileV2>('profile', { codec: avroCodec(profileV2Schema) });
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
      .process<Flag>('profile', {
        states: [profile],
        processElement(t, ctx) {
          const p = ctx.state.value(profile);
          const before = p.value() ?? { count: 0, total: 0, maxAmount: 0 };
          if (t.amount > THRESHOLD) ctx.emit({ txId: t.txId, userId: t.userId, amount: t.amount, ts: t.ts, threshold: THRESHOLD, priorCount: before.count });
          p.update({ count: before.count + 1, total: before.total + t.amount, maxAmount: Math.max(before.maxAmount, t.amount) });
        },
      })
      .toKafka({ uid: 'flags', topic: env.param('output', 'fraud.flags'), key: (f) => f.userId });
  },
});
