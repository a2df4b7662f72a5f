import type { PartitionWatermarks, ReadOptions, TopicPartitionOffset } from './port.ts';
import { partitionKey } from './partition-key.ts';

/** Where a read of one partition starts, stands and ends. */
export interface PartitionPlan {
  topic: string;
  partition: number;
  start: number;
  /** Exclusive end; undefined follows the partition forever. */
  end: number | undefined;
  next: number;
  done: boolean;
}

export interface PlanDeps {
  watermarks(topic: string): Promise<PartitionWatermarks[]>;
  offsetsForTimestamp(topic: string, ts: number): Promise<TopicPartitionOffset[]>;
}

/** Each partition's range for a read's `from` and `to`, from the topics' watermarks (and timestamps' offsets). */
export async function planRead(options: ReadOptions, deps: PlanDeps): Promise<Map<string, PartitionPlan>> {
  const plans = new Map<string, PartitionPlan>();
  const from = options.from ?? 'earliest';
  const to = options.to ?? 'end';
  const wanted = options.partitions ? new Set(options.partitions.map((p) => partitionKey(p.topic, p.partition))) : undefined;
  for (const topic of options.topics) {
    const marks = await deps.watermarks(topic);
    const atTs = typeof from === 'object' && 'timestamp' in from ? await deps.offsetsForTimestamp(topic, from.timestamp) : [];
    const endTs = typeof to === 'object' && 'timestamp' in to ? await deps.offsetsForTimestamp(topic, to.timestamp) : [];
    for (const m of marks) {
      if (wanted && !wanted.has(partitionKey(topic, m.partition))) continue;
      let start: number;
      if (from === 'earliest') start = m.low;
      else if (from === 'latest') start = m.high;
      else if ('timestamp' in from) start = atTs.find((o) => o.partition === m.partition)?.offset ?? m.high;
      else {
        const explicit = from.offsets.find((o) => o.topic === topic && o.partition === m.partition);
        start = explicit ? explicit.offset : from.otherwise === 'latest' ? m.high : m.low;
      }
      start = Math.max(start, m.low);
      let end: number | undefined;
      if (to === 'follow') end = undefined;
      else if (to === 'end') end = m.high;
      else if ('timestamp' in to) end = endTs.find((o) => o.partition === m.partition)?.offset ?? m.high;
      else end = to.offsets.find((o) => o.topic === topic && o.partition === m.partition)?.offset ?? m.high;
      plans.set(partitionKey(topic, m.partition), { topic, partition: m.partition, start, end, next: start, done: end !== undefined && start >= end });
    }
  }
  return plans;
}
