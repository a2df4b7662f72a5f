/** Helpers for engine and example tests on the real broker (not a test file itself). */
import type { TestContext } from 'node:test';
import type { KafkaPort, IncomingRecord } from '../src/kafka/port.ts';
import type { SchemaRegistryPort } from '../src/kafka/registry.ts';
import { silentLogger } from '../src/logger.ts';
import { startJob, type JobDefinition, type RunOptions, type RunningJob } from '../src/engine/index.ts';
import { waitFor } from './support/kafka.ts';

/** Starts a job against the test broker; it is stopped after the test. */
export async function runJob(t: TestContext, clients: { kafka: KafkaPort; registry: SchemaRegistryPort | undefined }, job: JobDefinition, options: RunOptions): Promise<RunningJob> {
  const running = await startJob(job, { kafka: clients.kafka, registry: clients.registry, logger: silentLogger() }, { tickMs: 100, ...options });
  t.after(() => running.stop().catch(() => undefined));
  // A job that fails shows why in the test output, rather than as a later timeout.
  running.finished.catch((e: unknown) => t.diagnostic(`job ${job.name} failed: ${e instanceof Error ? e.message : String(e)}`));
  return running;
}

/** Everything in a topic right now. */
export async function readTopic(kafka: KafkaPort, topic: string): Promise<IncomingRecord[]> {
  const out: IncomingRecord[] = [];
  for await (const b of kafka.read({ topics: [topic], from: 'earliest', to: 'end' })) out.push(...b.records);
  return out.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

/** Waits until a topic holds at least `count` records, then returns them all. */
export async function waitForRecords(kafka: KafkaPort, topic: string, count: number, timeoutMs = 30000): Promise<IncomingRecord[]> {
  return waitFor(
    async () => {
      const recs = await readTopic(kafka, topic);
      return recs.length >= count ? recs : undefined;
    },
    { timeoutMs, intervalMs: 200, message: `${count} records in ${topic}` },
  );
}

export const values = <T>(records: readonly IncomingRecord[]): T[] => records.map((r) => JSON.parse(r.value!.toString()) as T);

export const json = (records: readonly object[], key?: (r: never) => string) =>
  records.map((r) => ({ key: key ? key(r as never) : null, value: JSON.stringify(r), ...('ts' in r ? { timestamp: (r as { ts: number }).ts } : {}) }));
