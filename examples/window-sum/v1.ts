/**
 * window-sum v1: per key, the sum and count of values per 1-minute tumbling window,
 * with allowed lateness (default 30 s); later records go to the late topic.
 *   pitlane run examples/window-sum/v1.ts --param input=readings --param output=sums --param late=sums.late
 */
import { defineJob, outputTag, tumbling } from '../../src/engine/index.ts';

export interface Reading {
  readonly key: string;
  readonly value: number;
  readonly ts: number;
}

export interface WindowSum {
  readonly key: string;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly sum: number;
  readonly count: number;
}

export const late = outputTag<Reading>('late');

/** The window accumulator's shape (JSON state with a declared schema, kept in savepoints and checked on upgrade). */
export const sumAccSchema = {
  type: 'record',
  name: 'SumAcc',
  fields: [
    { name: 'sum', type: 'double' },
    { name: 'count', type: 'long' },
  ],
};

export default defineJob({
  name: 'window-sum',
  version: '1',
  maxParallelism: 128,
  build(env) {
    const sums = env
      .fromKafka<Reading>({
        uid: 'readings',
        topics: env.param('input', 'readings'),
        timestamp: { field: 'ts' },
        watermark: { outOfOrderness: env.numberParam('outOfOrdernessMs', 0), idleTimeout: env.numberParam('idleTimeoutMs', 10_000) },
      })
      .keyBy((r) => r.key)
      .window(tumbling(60_000))
      .allowedLateness(env.numberParam('latenessMs', 30_000))
      .sideOutputLateData(late)
      .aggregate('sum-per-minute', {
        createAccumulator: () => ({ sum: 0, count: 0 }),
        add: (r, acc) => ({ sum: acc.sum + r.value, count: acc.count + 1 }),
        getResult: (acc) => acc,
        merge: (a, b) => ({ sum: a.sum + b.sum, count: a.count + b.count }),
      }, { schema: sumAccSchema });
    sums
      .map((w): WindowSum => ({ key: w.key, windowStart: w.start, windowEnd: w.end, sum: w.value.sum, count: w.value.count }))
      .toKafka({ uid: 'sums-out', topic: env.param('output', 'sums'), key: (s) => s.key });
    sums.sideOutput(late).toKafka({ uid: 'late-out', topic: env.param('late', 'sums.late'), key: (r) => r.key });
  },
});
