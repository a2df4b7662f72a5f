/**
 * event-count v2: also tracks the max event timestamp per type. The reduce state's
 * type changes ({type, count} → {type, count, maxTs}); its schema gives maxTs a
 * default (0), so a restore from v1 reads each saved count with maxTs 0, and the
 * next event of the type sets it. The preflight reports the migration; without the
 * default it refuses the upgrade (migrate the savepoint with the state processor instead).
 */
import { defineJob } from '../../src/engine/index.ts';
import { countV1Schema, type Event } from './v1.ts';

export interface CountV2 {
  readonly type: string;
  readonly count: number;
  /** Max event time seen (ms); 0 for a count restored from v1 until its next event. */
  readonly maxTs: number;
}

export const countV2Schema = {
  ...countV1Schema,
  fields: [...countV1Schema.fields, { name: 'maxTs', type: 'long', default: 0 }],
};

export default defineJob({
  name: 'event-count',
  version: '2',
  maxParallelism: 128,
  build(env) {
    env
      .fromKafka<Event>({ uid: 'events', topics: env.param('input', 'events'), timestamp: { field: 'ts' } })
      .map((e): CountV2 => ({ type: e.type, count: 1, maxTs: e.ts }))
      .keyBy((c) => c.type)
      .reduce('counts', (a, b) => ({ type: a.type, count: a.count + b.count, maxTs: Math.max(a.maxTs, b.maxTs) }), { schema: countV2Schema })
      .toKafka({ uid: 'counts-out', topic: env.param('output', 'event-counts'), key: (c) => c.type });
  },
});
