/**
 * event-count v1: a running count per event type, with `reduce`.
 *   pitlane run examples/event-count/v1.ts --param input=events --param output=event-counts
 * The reduce state is JSON with a declared schema: the savepoint keeps it, so the
 * preflight can check a new version's state against it.
 */
import { defineJob } from '../../src/engine/index.ts';

export interface Event {
  readonly type: string;
  readonly ts: number;
}

export interface CountV1 {
  readonly type: string;
  readonly count: number;
}

/** The shape of v1's reduce state (an Avro schema of its JSON values). */
export const countV1Schema = {
  type: 'record',
  name: 'EventCount',
  fields: [
    { name: 'type', type: 'string' },
    { name: 'count', type: 'long' },
  ],
};

export default defineJob({
  name: 'event-count',
  version: '1',
  maxParallelism: 128,
  build(env) {
    env
      .fromKafka<Event>({ uid: 'events', topics: env.param('input', 'events'), timestamp: { field: 'ts' } })
      .map((e): CountV1 => ({ type: e.type, count: 1 }))
      .keyBy((c) => c.type)
      .reduce('counts', (a, b) => ({ type: a.type, count: a.count + b.count }), { schema: countV1Schema })
      .toKafka({ uid: 'counts-out', topic: env.param('output', 'event-counts'), key: (c) => c.type });
  },
});
