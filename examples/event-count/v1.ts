/**
 * event-count v1: a running count per event type, with `reduce`.
 *   pitlane run examples/event-count/v1.ts --param input=events --param output=event-counts
 */
import { defineJob } from '../../src/engine/index.ts';

export interface Event {
  readonly type: string;
  readonly ts: number;
}

export default defineJob({
  name: 'event-count',
  version: '1',
  maxParallelism: 128,
  build(env) {
    env
      .fromKafka<Event>({ uid: 'events', topics: env.param('input', 'events'), timestamp: { field: 'ts' } })
      .map((e) => ({ type: e.type, count: 1 }))
      .keyBy((c) => c.type)
      .reduce('counts', (a, b) => ({ type: a.type, count: a.count + b.count }))
      .toKafka({ uid: 'counts-out', topic: env.param('output', 'event-counts'), key: (c) => c.type });
  },
});
