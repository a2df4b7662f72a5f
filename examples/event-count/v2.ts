/**
 * event-count v2: also tracks the max event timestamp per type. The reduce state's
 * type changes ({type, count} → {type, count, maxTs}): a restore from v1 must map it.
 */
import { defineJob } from '../../src/engine/index.ts';
import type { Event } from './v1.ts';

export default defineJob({
  name: 'event-count',
  version: '2',
  maxParallelism: 128,
  build(env) {
    env
      .fromKafka<Event>({ uid: 'events', topics: env.param('input', 'events'), timestamp: { field: 'ts' } })
      .map((e) => ({ type: e.type, count: 1, maxTs: e.ts }))
      .keyBy((c) => c.type)
      .reduce('counts', (a, b) => ({ type: a.type, count: a.count + b.count, maxTs: Math.max(a.maxTs ?? 0, b.maxTs) }))
      .toKafka({ uid: 'counts-out', topic: env.param('output', 'event-counts'), key: (c) => c.type });
  },
});
