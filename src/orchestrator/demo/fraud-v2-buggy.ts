/**
 * A buggy fraud v2 for the demo's `--buggy` run: identical to examples/fraud/v2.ts
 * except that it silently drops the transactions of a range of users (user-0 …
 * user-9), the kind of bug key coverage catches.
 */
import { avroCodec, defineJob, valueState } from '../../engine/index.ts';
import { profileV2Schema, type Flag, type ProfileV2, type Transaction } from '../../../examples/fraud/model.ts';

const THRESHOLD = 500;
const profile = valueState<ProfileV2>('profile', { codec: avroCodec(profileV2Schema) });
const dropped = (userId: string) => /^user-\d$/.test(userId);

export default defineJob({
  name: 'fraud',
  version: '2-buggy',
  maxParallelism: 128,
  build(env) {
    env
      .fromKafka<Transaction>({ uid: 'transactions', topics: env.param('input', 'fraud.tx'), timestamp: { field: 'ts' } })
      .filter((t) => !dropped(t.userId))
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
