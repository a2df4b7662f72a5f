/**
 * The read loop of each source of a running job. Every slice of input goes through
 * the job's lock, is pushed through the operators synchronously, and its output is
 * flushed before the next; a loop ends when its input does (items), or when the
 * stop closes its reader (Kafka).
 */
import type { KafkaPort, IncomingRecord, RecordReader } from '../../kafka/port.ts';
import type { SchemaRegistryPort } from '../../kafka/registry.ts';
import type { Logger } from '../../logger.ts';
import { JobFailedError, describeUnknown } from '../../errors.ts';
import type { ItemsSourceSpec, KafkaSourceSpec } from '../api/graph.ts';
import { sleep, type Clock } from '../../clock.ts';
import type { BatchLock } from './lock.ts';
import type { SourceOperator } from './source.ts';
import { ingestKafkaBatch } from './source-io.ts';

/** Records processed under the lock at a time; see runKafkaSource. */
const PROCESS_SLICE = 500;

/**
 * Resolves after a full turn of the event loop — its timers ran and its sockets were
 * read — wherever it is called from (an immediate set in the check phase runs in the
 * next turn's, so the second of two always follows a timers and a poll phase).
 */
export function eventLoopTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}

export interface SourceLoopContext {
  readonly kafka: KafkaPort | undefined;
  readonly registry: SchemaRegistryPort | undefined;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly lock: BatchLock;
  /** Every reader opened, so the stop can close them. */
  readonly readers: RecordReader[];
  /** The stop sequence has begun: read no further. */
  stopBegun(): boolean;
  /** Asked under the lock: whether a slice of input may change the state (not once quiesced). */
  admitsInput(): boolean;
  /** Flushes sinks and dead letters (under the lock). */
  flush(): Promise<void>;
}

// A failed read is reopened from the engine's own positions (exact, so nothing is lost or
// repeated); kafkajs sometimes fails on fresh topics whose metadata has not settled.
// A batch that fails while it is processed or written fails the job instead: its records
// already changed state and moved those positions, so reading on would lose their output.
export async function runKafkaSource(src: SourceOperator, c: SourceLoopContext): Promise<void> {
  const ingest = async (records: readonly IncomingRecord[]) => {
    await ingestKafkaBatch(src, records, c.registry, c.clock.now());
    await c.flush();
  };
  for (let failures = 0; ; ) {
    const reader = c.kafka!.read({ topics: (src.spec as KafkaSourceSpec).topics, from: { offsets: [...src.positions.values()] }, to: 'follow', direct: true });
    c.readers.push(reader);
    if (c.stopBegun()) await reader.close();
    let batchFailed = false;
    try {
      for await (const batch of reader) {
        if (c.stopBegun()) break;
        failures = 0;
        // A fetch can hold thousands of records. They go through in slices, each under the
        // lock on its own, so a stop, a savepoint or a periodic commit waits for one slice,
        // not the whole fetch (seconds for a job that spends milliseconds per record).
        // Positions move per record, so a stop between slices is exact.
        for (let i = 0; i < batch.records.length && !c.stopBegun(); i += PROCESS_SLICE) {
          const slice = batch.records.length <= PROCESS_SLICE ? batch.records : batch.records.slice(i, i + PROCESS_SLICE);
          // Quiesced (a delta stop): the state is final; records read after it stay unread.
          await c.lock.run(() => (c.admitsInput() ? ingest(slice) : undefined)).catch((e: unknown) => {
            batchFailed = true;
            throw e;
          });
          // Nothing else in a slice's path waits for the event loop: its output is only
          // queued, and the next batch may already wait in the reader's buffer. Without a
          // turn here, timers (periodic commits, request timeouts) and sockets (the writes'
          // responses, the next fetch) would wait for the whole buffer — a minute and more
          // for a job that spends milliseconds per record.
          await eventLoopTurn();
        }
      }
      return;
    } catch (e) {
      if (batchFailed || c.stopBegun() || ++failures > 5 || e instanceof JobFailedError) throw e;
      c.logger.warn({ err: describeUnknown(e), source: src.node.name, attempt: failures }, 'source read failed; reopening from the engine positions');
      await sleep(200 * failures);
    }
  }
}

/** `startedAt`: when the job's partitions were added (the items partition's idleness starts there). */
export async function runItemsSource(src: SourceOperator, c: SourceLoopContext, startedAt: number): Promise<void> {
  const spec = src.spec as ItemsSourceSpec;
  const topic = `items:${src.node.uid}`;
  src.addPartition(topic, 0, 0, startedAt);
  let records: IncomingRecord[] = [];
  let items: unknown[] = [];
  let offset = 0;
  const run = () =>
    c.lock.run(async () => {
      if (!c.admitsInput()) return;
      const now = c.clock.now();
      for (let i = 0; i < records.length; i++) src.ingest(records[i]!, items[i], now);
      records = [];
      items = [];
      src.advanceWatermark(now);
      await c.flush();
    });
  for (const item of spec.items) {
    if (c.stopBegun()) return;
    records.push({ topic, partition: 0, offset: offset++, key: null, value: null, headers: {}, timestamp: 0 });
    items.push(item);
    if (records.length >= spec.batchSize) {
      await run();
      await new Promise((r) => setImmediate(r)); // let stop() and snapshot() in between batches
    }
  }
  await run();
  // A bounded input is complete: every window and event-time timer may fire.
  await c.lock.run(async () => {
    src.processWatermark(Number.POSITIVE_INFINITY);
    await c.flush();
  });
}
