/**
 * A buggy fraud v2 for the demo's `--buggy` run: identical to examples/fraud/v2.ts
 * except that it silently drops the transactions of a range of users (user-0 …
 * user-9), the kind of bug key coverage catches.
 */
import { defineJob } from '../engine/index.ts';
import type { Flag, Transaction } from '../../examples/fraud/model.ts';
import { profileV2 } from '../../examples/fraud/v2.ts';

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
      .process<Flag>('profile', profileV2)
      .toKafka({ uid: 'flags', topic: env.param('output', 'fraud.flags'), key: (f) => f.userId });
  },
});
