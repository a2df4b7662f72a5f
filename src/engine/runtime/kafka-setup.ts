/** Start-up helpers of the runner: retried metadata reads and the dead-letter topic. */
import type { KafkaPort } from '../../kafka/port.ts';
import { sleep } from '../../clock.ts';

/** Retries a metadata read: kafkajs sometimes fails on fresh topics whose metadata has not settled. */
export async function withRetry<T>(fn: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (i >= attempts) throw e;
      await sleep(200 * i);
    }
  }
}

/** Creates the topic (1 partition) when it does not exist. */
export async function ensureTopic(kafka: KafkaPort, topic: string): Promise<void> {
  try {
    await kafka.partitionCount(topic);
  } catch {
    await kafka.createTopics([{ topic, partitions: 1 }]).catch(() => undefined);
  }
}
