/**
 * Reads through kafkajs' admin that list a topic's partitions from its cached
 * cluster metadata (fetchTopicOffsets, fetchTopicOffsetsByTimestamp) silently
 * leave out partitions when the cache was replaced by a concurrent call's refresh
 * for other topics: kafkajs keeps one metadata response, and
 * admin.fetchTopicMetadata({ topics }) (cluster.metadata) or a refresh started
 * before a topic was added overwrites it with the topics that call asked for.
 * The answer then lacks the topic (no partitions asked about) or, when the cache
 * changes between two of its requests, a TypeError is thrown inside kafkajs.
 * A read is therefore checked against the partition count (read straight from a
 * broker, never from the cache) and made again until it covers every partition.
 */
import { KafkaError } from '../errors.ts';
import { sleep } from '../clock.ts';

/** `read()` again until it answers for each of `count` partitions; a KafkaError after `attempts`. */
export async function everyPartition<T extends { readonly partition: number }>(
  count: number,
  read: () => Promise<readonly T[]>,
  what: string,
  fail: (e: unknown) => KafkaError,
  attempts = 10,
): Promise<T[]> {
  let seen: number[] = [];
  for (let attempt = 1; ; attempt++) {
    let got: readonly T[] | undefined;
    try {
      got = await read();
    } catch (e) {
      // kafkajs' own TypeError when the cache changed between its requests; anything else is a real failure.
      if (!(e instanceof TypeError) || attempt >= attempts) throw fail(e);
    }
    if (got) {
      const partitions = new Set(got.map((x) => x.partition));
      if (Array.from({ length: count }, (_, p) => p).every((p) => partitions.has(p))) return [...got];
      seen = [...partitions].sort((a, b) => a - b);
      if (attempt >= attempts) {
        throw new KafkaError('KAFKA_PARTITIONS_MISSING', `Kafka's answer to ${what} covered partitions [${seen.join(', ')}] of ${count} in ${attempts} attempts.`, {
          retriable: true,
          hint: 'The client kept stale topic metadata (a topic deleted and created again with fewer partitions, or a very busy broker); try again.',
        });
      }
    }
    await sleep(50 * attempt);
  }
}
