/** window-sum v2: the same windows, and the output also carries the mean. */
import { defineJob, tumbling } from '../../src/engine/index.ts';
import { late, sumAccSchema, type Reading, type WindowSum } from './v1.ts';

export default defineJob({
  name: 'window-sum',
  version: '2',
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
      .map((w): WindowSum & { mean: number } => ({ key: w.key, windowStart: w.start, windowEnd: w.end, sum: w.value.sum, count: w.value.count, mean: w.value.sum / w.value.count }))
      .toKafka({ uid: 'sums-out', topic: env.param('output', 'sums'), key: (s) => s.key });
    sums.sideOutput(late).toKafka({ uid: 'late-out', topic: env.param('late', 'sums.late'), key: (r) => r.key });
  },
});
