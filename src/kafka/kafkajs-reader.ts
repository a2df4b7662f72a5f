import './kafkajs-grouping.ts'; // first: before kafkajs' producer loads
import { randomUUID } from 'node:crypto';
import type { Admin, Kafka, Consumer, EachBatchPayload, IHeaders, KafkaMessage } from 'kafkajs';
import type { Logger } from '../logger.ts';
import { describeUnknown, type KafkaError } from '../errors.ts';
import { isCoordinatorNotReady, isOutage } from './kafka-errors.ts';
import { BatchQueue } from './batch-queue.ts';
import { packRecords } from './packed.ts';
import { partitionKey } from './partition-key.ts';
import { planRead, type PartitionPlan } from './read-plan.ts';
import type {
  IncomingRecord,
  PartitionWatermarks,
  ReadOptions,
  RecordBatch,
  RecordReader,
  TopicPartitionOffset,
} from './port.ts';
import { sleep } from '../clock.ts';

export interface ReaderDeps {
  admin(): Promise<Admin>;
  watermarks(topic: string): Promise<PartitionWatermarks[]>;
  offsetsForTimestamp(topic: string, ts: number): Promise<TopicPartitionOffset[]>;
  fail(e: unknown, action: string): KafkaError;
  onClose(): void;
  logger: Logger;
  /**
   * With a tolerance, a consumer that crashed because the broker went away is
   * replaced, for that long, by a new one at the exact positions reached —
   * instead of ending the read with an error.
   */
  outageToleranceMs?: number | undefined;
}

/** How long a read waits for a group coordinator that answers but is not ready (its own consumer group needs one). */
const COORDINATOR_WAIT_MS = 30_000;

const NO_HEADERS: Readonly<Record<string, Buffer>> = Object.freeze({});

/** A fetched batch, as eachBatch and END_BATCH_PROCESS both name it (kafkajs gives the last offset as a string). */
const batchKey = (topic: string, partition: number, lastOffset: string) => `${partitionKey(topic, partition)}@${lastOffset}`;

/**
 * kafkajs decodes each record's headers into a fresh object whose values are
 * Buffers, except for a repeated header name (an array) — so the object is
 * handed on as is unless it has one of those, which keeps its first value.
 */
function headersOf(h: IHeaders | undefined): Readonly<Record<string, Buffer>> {
  if (!h) return NO_HEADERS;
  for (const k in h) if (!Buffer.isBuffer(h[k])) return copyHeaders(h);
  return h as Record<string, Buffer>;
}

function copyHeaders(h: IHeaders): Record<string, Buffer> {
  const headers: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    headers[k] = Buffer.isBuffer(v) ? v : Array.isArray(v) ? Buffer.from(String(v[0])) : Buffer.from(String(v));
  }
  return headers;
}

/** kafkajs keeps the record batch's attributes on each message, untyped; 1 is LogAppendTime. */
function timestampTypeOf(m: KafkaMessage | undefined): RecordBatch['timestampType'] {
  const t = (m as { batchContext?: { timestampType?: number } } | undefined)?.batchContext?.timestampType;
  return t === 1 ? 'LogAppendTime' : 'CreateTime';
}

/**
 * A read from explicit positions built on a kafkajs consumer with a throwaway
 * group that never commits: positions come from the caller, not from Kafka.
 * Batches are handed over through a small queue; when it is full the fetch loop
 * waits (heartbeating), so a slow caller holds back Kafka instead of memory.
 */
export function openKafkaJsReader(kafka: Kafka, options: ReadOptions, deps: ReaderDeps): RecordReader {
  const queue = new BatchQueue(Math.max(1, options.bufferedBatches ?? 4));
  let plans = new Map<string, PartitionPlan>();
  /** Batches eachBatch dropped (their consumer stopped while they waited): a replacement reads them again. */
  const dropped = new Set<string>();
  let consumer: Consumer | undefined;
  /** Every throwaway group this read used (one per consumer), deleted on close. */
  const groupIds: string[] = [];
  /** When the current run of outage-caused crashes began. */
  let outageSince: number | undefined;

  const finish = (err?: unknown) => queue.finish(err);

  const maybeComplete = () => {
    if (options.to !== 'follow' && [...plans.values()].every((p) => p.done)) finish();
  };

  const advance = (topic: string, partition: number, next: number) => {
    const plan = plans.get(partitionKey(topic, partition));
    if (!plan || next <= plan.next) return;
    plan.next = next;
    if (plan.end !== undefined && plan.next >= plan.end && !plan.done) {
      plan.done = true;
      consumer?.pause([{ topic, partitions: [partition] }]);
    }
  };

  /**
   * Waits (heartbeating) while the queue is full. False when the batch is no longer
   * wanted: the read finished, or its consumer stopped or went stale meanwhile (after
   * a crash, a replacement consumer reads from the position, which this batch has not
   * moved, so it fetches these records again).
   */
  async function room({ heartbeat, isRunning, isStale }: EachBatchPayload): Promise<boolean> {
    while (queue.full && !queue.finished && isRunning() && !isStale()) {
      await queue.taken(1000);
      await heartbeat();
    }
    return !queue.finished && isRunning() && !isStale();
  }

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const plan = plans.get(partitionKey(batch.topic, batch.partition));
    if (!plan || plan.done || queue.finished) return;
    // Room first, then the records from where the read stands once there is room: a batch
    // taken before waiting could overlap one another consumer queued meanwhile.
    if (!(await room(payload))) {
      // Not queued, so the position must not move past it either (see END_BATCH_PROCESS).
      dropped.add(batchKey(batch.topic, batch.partition, batch.lastOffset()));
      return;
    }
    if (plan.done) return;
    const { topic, partition } = batch;
    const timestampType = timestampTypeOf(batch.messages[0]);
    const highWatermark = Number(batch.highWatermark);
    if (options.pack) {
      // Straight from kafkajs' messages into the buffer: no IncomingRecord per record.
      const packed = packRecords(batch.messages, { partition, timestampType, headerNames: options.pack.headers, pool: options.pack.pool, from: plan.next, to: plan.end });
      if (packed) {
        queue.push({ topic, partition, records: [], packed, highWatermark, timestampType });
        advance(topic, partition, packed.lastOffset + 1);
      }
      maybeComplete();
      return;
    }
    const records: IncomingRecord[] = [];
    for (const m of batch.messages) {
      const offset = Number(m.offset);
      if (offset < plan.next) continue; // fetched before our seek took effect
      if (plan.end !== undefined && offset >= plan.end) break;
      records.push({ topic, partition, offset, key: m.key ?? null, value: m.value ?? null, headers: headersOf(m.headers), timestamp: Number(m.timestamp) });
    }
    if (records.length > 0) {
      queue.push({ topic, partition, records, highWatermark, timestampType });
      advance(topic, partition, records[records.length - 1]!.offset + 1);
    }
    maybeComplete();
  }

  /**
   * A crash the broker's absence caused, within the tolerance: a new consumer takes
   * over at the positions reached (kafkajs' own restart would rejoin without our
   * seeks). Anything else ends the read with the error.
   */
  async function crashed(err: unknown, c: Consumer): Promise<void> {
    if (queue.finished) return;
    // A group coordinator still loading (a broker just started) is waited for even without a tolerance.
    const tolerance = deps.outageToleranceMs ?? (isCoordinatorNotReady(err) ? COORDINATOR_WAIT_MS : undefined);
    const now = Date.now();
    // A replacement whose group never came up (the broker still away) fails its seeks
    // with "not initialized": that is the same outage, not a new kind of failure.
    const stillAway = outageSince !== undefined && /consumer#run must be called first|not initialized/i.test(describeUnknown(err));
    outageSince ??= now;
    if (tolerance === undefined || !(isOutage(err) || stillAway) || now - outageSince > tolerance) {
      finish(deps.fail(err, `read ${options.topics.join(', ')}`));
      return;
    }
    deps.logger.warn({ err: describeUnknown(err), topics: options.topics }, 'reader lost the broker; resuming at its positions');
    await c.disconnect().catch(() => undefined);
    await sleep(500);
    if (queue.finished) return;
    await runConsumer().catch((e: unknown) => crashed(e, consumer ?? c));
  }

  async function start(): Promise<void> {
    plans = await planRead(options, deps);
    maybeComplete();
    if (queue.finished) return;
    await runConsumer();
  }

  async function runConsumer(): Promise<void> {
    const groupId = `pitlane-reader-${randomUUID()}`;
    groupIds.push(groupId);
    const c = kafka.consumer({
      groupId,
      readUncommitted: options.isolation === 'read_uncommitted',
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 250,
      sessionTimeout: 30000,
      heartbeatInterval: 3000,
      // Never kafkajs' own restart: it would rejoin without our seeks (crashed() does it).
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2000, restartOnFailure: async () => false },
    });
    consumer = c;
    const { END_BATCH_PROCESS, CRASH, GROUP_JOIN } = c.events;
    // Joined: the broker is back, so a later outage gets the whole tolerance again.
    c.on(GROUP_JOIN, () => {
      if (consumer === c) outageSince = undefined;
    });
    // kafkajs never calls eachBatch for a batch of only control records (transaction
    // markers) or aborted messages, but reports its last offset here: that moves the
    // position too, or a bounded read of a transactional topic would never reach its end.
    c.on(END_BATCH_PROCESS, (e) => {
      const p = e.payload as { topic: string; partition: number; lastOffset: string };
      if (dropped.delete(batchKey(p.topic, p.partition, p.lastOffset))) return;
      const plan = plans.get(partitionKey(p.topic, p.partition));
      const last = Number(p.lastOffset);
      if (!plan || !Number.isFinite(last)) return;
      advance(p.topic, p.partition, Math.min(last + 1, plan.end ?? Number.MAX_SAFE_INTEGER));
      maybeComplete();
    });
    c.on(CRASH, (e) => {
      if (consumer !== c) return; // a replaced consumer's last words
      void crashed((e.payload as { error: unknown }).error, c);
    });
    await c.connect();
    await c.subscribe({ topics: [...options.topics], fromBeginning: true });
    await c.run({ autoCommit: false, eachBatchAutoResolve: true, partitionsConsumedConcurrently: 1, eachBatch });
    // `next` is where the read stands: the start on the first consumer, the position reached on a replacement.
    for (const p of plans.values()) c.seek({ topic: p.topic, partition: p.partition, offset: String(p.next) });
    const idle = [...plans.values()].filter((p) => p.done).map((p) => ({ topic: p.topic, partitions: [p.partition] }));
    const marked = new Set(plans.keys());
    if (idle.length > 0) c.pause(idle);
    // Partitions outside the requested set are never read.
    for (const topic of options.topics) {
      const all = (await deps.watermarks(topic)).map((m) => m.partition);
      const others = all.filter((p) => !marked.has(partitionKey(topic, p)));
      if (others.length > 0) c.pause([{ topic, partitions: others }]);
    }
  }

  const started = start().catch((e: unknown) => (consumer ? crashed(e, consumer) : finish(deps.fail(e, `read ${options.topics.join(', ')}`))));

  async function close(): Promise<void> {
    finish();
    await started;
    if (consumer) {
      await consumer.disconnect().catch(() => undefined);
      if (groupIds.length > 0) {
        const admin = await deps.admin().catch(() => undefined);
        await admin?.deleteGroups(groupIds).catch(() => undefined);
      }
    }
    deps.onClose();
  }

  return queue.reader(() => plans.values(), close);
}
