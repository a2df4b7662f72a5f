/**
 * A wrong fraud candidate for the diverging-keys canary test: examples/fraud/v1.ts's
 * logic, state and uids, except that the flags of two users carry an amount one
 * higher than the transaction's — the records the report must name.
 */
import { avroCodec, defineJob, valueState } from '../../src/engine/index.ts';
import { profileV1Schema, type Flag, type ProfileV1, type Transaction } from '../../examples/fraud/model.ts';

export const WRONG_USERS: readonly string[] = ['user-3', 'user-7'];
const THRESHOLD = 100;
const profile = valueState<ProfileV1>('profile', { codec: avroCodec(profileV1Schema) });

export default defineJob({
  name: 'fraud',
  version: '1-wrong-amounts',
  maxParallelism: 128,
  build(env) {
    env
      .fromKafka<Transaction>({ uid: 'transactions', topics: env.param('input', 'fraud.tx'), timestamp: { field: 'ts' } })
      .keyBy((t) => t.userId)
      .process<Flag>('profile', {
        states: [profile],
        processElement(t, ctx) {
          const p = ctx.state.value(profile);
          const before = p.value() ?? { count: 0, total: 0 };
          const amount = WRONG_USERS.includes(t.userId) ? t.amount + 1 : t.amount;
          if (t.amount > THRESHOLD) ctx.emit({ txId: t.txId, userId: t.userId, amount, ts: t.ts, threshold: THRESHOLD, priorCount: before.count });
          p.update({ count: before.count + 1, total: before.total + t.amount });
        },
      })
      .toKafka({ uid: 'flags', topic: env.param('output', 'fraud.flags'), key: (f) => f.userId });
  },
});
