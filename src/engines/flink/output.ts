/**
 * When a Flink job's output became visible — the times a pit stop is made of
 * (the engine port's `lastOutputAt` / `firstOutputAt`). Flink does not report them:
 * its exactly-once Kafka sink commits one transaction per checkpoint, inside the
 * cluster. So they are read from the sink topic itself: a transaction's records
 * become visible to `read_committed` readers when the broker writes its commit
 * marker, and the marker carries the broker's time (kafka/transaction-marks.ts).
 *
 * - first output of a run: the first commit, after the sink topic's end offsets at
 *   its submission, of a transaction with records there (`outputFrom`, kept in the
 *   job's record) — in a handoff the old job has stopped by then, so only the new
 *   one writes after those offsets;
 * - last output of a stopped run: the commit marker right before the topic's end
 *   once the stop's final commit has landed.
 *
 * The times are the broker's clock, both ends of a pit stop alike. An at-least-once
 * sink writes no markers, and a TLS/SASL connection cannot read them: the times are
 * then absent, and so is the pit stop's output gap.
 */
import { sleep } from '../../clock.ts';
import type { KafkaPort, TopicPartitionOffset } from '../../kafka/port.ts';

/** The sink topic's end offsets now (a run's own output comes after them). */
export async function sinkEnds(kafka: KafkaPort, topic: string): Promise<TopicPartitionOffset[]> {
  return (await kafka.watermarks(topic)).map((w) => ({ topic, partition: w.partition, offset: w.high }));
}

/** The first commit after `from` (epoch ms, broker clock), if one is there yet. */
export async function firstCommitAt(kafka: KafkaPort, topic: string, from: readonly TopicPartitionOffset[]): Promise<number | undefined> {
  const r = await kafka.commitMarks(topic, { first: from });
  return r && r.marks.length > 0 ? Math.min(...r.marks.map((m) => m.timestamp)) : undefined;
}

/**
 * After a stop: the sink topic's end offsets once no transaction is open on it
 * any more (the final commit's markers are written after the commit is decided),
 * and when the last commit before them became visible. Waits at most `waitMs` for
 * the markers; the offsets are the high watermarks then.
 */
export async function finalOutput(kafka: KafkaPort, topic: string, waitMs = 10_000): Promise<{ offsets: TopicPartitionOffset[]; lastOutputAt?: number; settled?: boolean; waitedMs?: number } | undefined> {
  const began = Date.now();
  const deadline = Date.now() + waitMs;
  for (;;) {
    const ends = await sinkEnds(kafka, topic);
    const r = await kafka.commitMarks(topic, { last: ends }).catch(() => undefined);
    if (!r) return { offsets: ends };
    const settled = r.ends.every((e) => e.lastStable >= e.high) && r.ends.every((e) => ends.find((x) => x.partition === e.partition)?.offset === e.high);
    if (settled || Date.now() > deadline) {
      const offsets = r.ends.map((e) => ({ topic, partition: e.partition, offset: e.high }));
      return { offsets, settled, waitedMs: Date.now() - began, ...(r.marks.length > 0 ? { lastOutputAt: Math.max(...r.marks.map((m) => m.timestamp)) } : {}) };
    }
    await sleep(50);
  }
}
