/**
 * fraud v1: flags transactions over 100, keeping a per-user profile in state.
 *   pitlane run examples/fraud/v1.ts --param input=fraud.tx --param output=fraud.flags
 */
import { avroCodec, defineJob, valueState } from '../../src/engine/index.ts';
import { profileV1Schema, type Flag, type ProfileV1, type Transaction } from './model.ts';

const THRESHOLD = 100;
const profile = valueState<ProfileV1>('profile', { codec: avroCodec(profileV1Schema) });

export default defineJob({
  name: 'fraud',
  version: '1',
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
          if (t.amount > THRESHOLD) ctx.emit({ txId: t.txId, userId: t.userId, amount: t.amount, ts: t.ts, threshold: THRESHOLD, priorCount: before.count });
          p.update({ count: before.count + 1, total: before.total + t.amount });
        },
      })
      .toKafka({ uid: 'flags', topic: env.param('output', 'fraud.flags'), key: (f) => f.userId });
  },
});
