import { randomUUID } from 'node:crypto';
import type { TestContext } from 'node:test';
import { resolveConnection, type ConnectionConfig } from '../../src/config/connection.ts';
import { createKafkaClients, type KafkaClients } from '../../src/kafka/index.ts';
import { silentLogger } from '../../src/logger.ts';

/** The connection the test run was given (scripts/test.mjs sets the environment). */
export function testConnection(): ConnectionConfig {
  if (!process.env.KAFKA_BROKERS) {
    throw new Error('KAFKA_BROKERS is not set: run integration tests with `npm test` (which starts a local broker), or set KAFKA_BROKERS.');
  }
  return resolveConnection({ env: process.env });
}

/** Topic, group and subject names unique to this test, so tests never share data. */
export function uniqueName(prefix: string): string {
  return `t-${prefix}-${randomUUID().slice(0, 8)}`;
}

/** Kafka clients for one test; topics, groups and subjects it names are deleted after it. */
export function kafkaForTest(t: TestContext): KafkaClients & {
  topic(prefix: string, partitions?: number): Promise<string>;
  /** Deletes, after the test, a topic created some other way (e.g. by the code under test). */
  trackTopic(topic: string): string;
  trackGroup(groupId: string): string;
  trackSubject(subject: string): string;
} {
  const clients = createKafkaClients(testConnection(), silentLogger());
  const topics: string[] = [];
  const groups: string[] = [];
  const subjects: string[] = [];
  t.after(async () => {
    await clients.kafka.deleteGroups(groups).catch(() => undefined);
    await clients.kafka.deleteTopics(topics).catch(() => undefined);
    for (const s of subjects) await clients.registry?.deleteSubject(s).catch(() => undefined);
    await clients.kafka.close();
  });
  return {
    ...clients,
    async topic(prefix, partitions = 1) {
      const name = uniqueName(prefix);
      topics.push(name);
      await clients.kafka.createTopics([{ topic: name, partitions }]);
      return name;
    },
    trackTopic(topic) {
      topics.push(topic);
      return topic;
    },
    trackGroup(groupId) {
      groups.push(groupId);
      return groupId;
    },
    trackSubject(subject) {
      subjects.push(subject);
      return subject;
    },
  };
}

export interface WaitOptions {
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
  readonly message?: string;
}

/** Polls `probe` until it returns a value other than undefined/false; no fixed sleeps in tests. */
export async function waitFor<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, options: WaitOptions = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 20000);
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      lastError = e;
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 100));
  }
  throw new Error(`waitFor timed out after ${options.timeoutMs ?? 20000} ms: ${options.message ?? 'condition not met'}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
}
