/**
 * fraud v2: the threshold rises 100 → 500, and the profile state gains maxAmount
 * (Avro default 0, so a v1 savepoint restores into v2).
 */
import { avroCodec, defineJob, valueState, type ProcessFunction, type ProcessOptions } from '../../src/engine/index.ts';
import { profileV2Schema, type Flag, type ProfileV2, type Transaction } from './model.ts';

const THRESHOLD = 500;
const profile = valueState<ProfileV2>('profile', { codec: avroCodec(profileV2Schema) });

/** v2's keyed step (state, rule and alert), shared with the demo's and tests' variants of v2. */
export const profileV2: ProcessFunction<Transaction, string, Flag> & ProcessOptions = {
  states: [profile],
  processElement(t, ctx) {
    const p = ctx.state.value(profile);
    const before = p.value() ?? { count: 0, total: 0, maxAmount: 0 };
    if (t.amount > THRESHOLD) ctx.emit({ txId: t.txId, userId: t.userId, amount: t.amount, ts: t.ts, threshold: THRESHOLD, priorCount: before.count });
    p.update({ count: before.count + 1, total: before.total + t.amount, maxAmount: Math.max(before.maxAmount, t.amount) });
  },
};

export default defineJob({
  name: 'fraud',
  version: '2',
  maxParallelism: 128,
  build(env) {
    env
      .fromKafka<Transaction>({ uid: 'transactions', topics: env.param('input', 'fraud.tx'), timestamp: { field: 'ts' } })
      .keyBy((t) => t.userId)
      .process<Flag>('profile', profileV2)
      .toKafka({ uid: 'flags', topic: env.param('output', 'fraud.flags'), key: (f) => f.userId });
  },
});
