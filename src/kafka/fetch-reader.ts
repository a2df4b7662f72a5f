import type { Logger } from '../logger.ts';
import { KafkaError, describeUnknown, isPitlaneError } from '../errors.ts';
import { BrokerConnection, KafkaCode, RETRIABLE_CODES, type FetchPartition, type FetchedPartition } from './fetch-wire.ts';
import { BatchQueue } from './batch-queue.ts';
import { takeBuffer, type PackedBatch } from './packed.ts';
import type { RecordReader, ReadOptions } from './port.ts';
import { partitionKey } from './partition-key.ts';
import { planRead, type PartitionPlan, type PlanDeps } from './read-plan.ts';
import { UnsupportedBatchError, inflateBatches, selectBatches } from './record-batches.ts';
import { decodeRecords } from './batch-records.ts';
import { sleep } from '../clock.ts';

export interface FetchReaderDeps extends PlanDeps {
  /** The leader of each partition of the topics, as host:port, by partitionKey. */
  leaders(topics: readonly string[]): Promise<Map<string, string>>;
  fail(e: unknown, action: string): KafkaError;
  onClose(): void;
  logger: Logger;
  clientId: string;
  connectionTimeoutMs: number;
  requestTimeoutMs: number;
  /** How long connection failures and leader changes are retried; default 3 s. */
  outageToleranceMs?: number | undefined;
}

/** Per fetch: the broker waits up to this long for data, and returns up to this much. */
const MAX_WAIT_MS = 250;
const MAX_BYTES = 10 * 2 ** 20;
const PARTITION_MAX_BYTES = 2 ** 20;

/**
 * A read straight from each partition's leader (fetch-wire.ts): Fetch requests,
 * batch headers walked in this thread (record-batches.ts). With `pack` each
 * partition's fetched record batches are handed over as bytes (`RecordBatch.packed`,
 * kind `records`), records left for the thread that decodes them (the comparator);
 * without (`direct`: the engine's sources), records are decoded in place into the
 * port's records (batch-records.ts), with no per-record work beyond one object.
 * Used over a plaintext, unauthenticated connection; positions come from the
 * caller and nothing is committed, as with the kafkajs reader.
 */
export function openFetchReader(options: ReadOptions, deps: FetchReaderDeps): RecordReader {
  const queue = new BatchQueue(Math.max(1, options.bufferedBatches ?? 4));
  const readCommitted = options.isolation !== 'read_uncommitted';
  const connections = new Map<string, BrokerConnection>();
  const action = `read ${options.topics.join(', ')}`;
  let plans = new Map<string, PartitionPlan>();
  let leaders: Map<string, string> | undefined;

  const finish = (err?: unknown) => queue.finish(err);

  /** Once the read finished (ended, failed or closed), no connection may stay open: a socket keeps the process alive. */
  function closeConnections(): void {
    for (const c of connections.values()) c.close();
    connections.clear();
  }

  function connection(address: string): BrokerConnection {
    let c = connections.get(address);
    if (!c) {
      const [host, port] = splitAddress(address);
      c = new BrokerConnection(host, port, deps);
      connections.set(address, c);
    }
    return c;
  }

  /** One round: a fetch to each leader of a partition still to read. */
  async function round(): Promise<void> {
    leaders ??= await deps.leaders(options.topics).catch((e: unknown) => {
      // The broker away (a restart, the round after a lost connection): asked again next
      // round, within the outage tolerance, as a lost connection is; a missing topic is not.
      throw isPitlaneError(e) && e.retriable ? new RetryError(describeUnknown(e), { cause: e }) : e;
    });
    // A round that waited for the leaders while the read finished (closed, or failed) must not connect again.
    if (queue.finished) return;
    const byLeader = new Map<string, Map<string, FetchPartition[]>>();
    for (const p of plans.values()) {
      if (p.done) continue;
      const leader = leaders.get(partitionKey(p.topic, p.partition));
      if (leader === undefined) throw new RetryError(`no leader for ${p.topic}/${p.partition}`);
      const topics = byLeader.get(leader) ?? new Map<string, FetchPartition[]>();
      byLeader.set(leader, topics);
      const list = topics.get(p.topic) ?? [];
      topics.set(p.topic, list);
      list.push({ partition: p.partition, offset: p.next, maxBytes: PARTITION_MAX_BYTES });
    }
    const responses = await Promise.all(
      [...byLeader].map(async ([leader, topics]) => {
        try {
          return await connection(leader).fetch({ maxWaitMs: MAX_WAIT_MS, minBytes: 1, maxBytes: MAX_BYTES, readCommitted, topics });
        } catch (e) {
          connections.get(leader)?.close();
          connections.delete(leader);
          throw new RetryError(describeUnknown(e), { cause: e });
        }
      }),
    );
    // Each partition's batches are inflated (on libuv's threads) while the others' are.
    const retry = (await Promise.all(responses.flat().map(take))).find((r) => r !== undefined);
    if (retry !== undefined) throw new RetryError(retry);
  }

  /** Queues what one partition's response holds, inflated; a reason to retry, or undefined. */
  async function take(fp: FetchedPartition): Promise<string | undefined> {
    const plan = plans.get(partitionKey(fp.topic, fp.partition));
    if (!plan || plan.done) return undefined;
    if (fp.errorCode === KafkaCode.OFFSET_OUT_OF_RANGE) {
      throw new KafkaError('KAFKA_OFFSET_OUT_OF_RANGE', `Offset ${plan.next} of ${fp.topic}/${fp.partition} is no longer (or not yet) in the log while trying to ${action}.`, {
        hint: 'Retention may have deleted the records since the read was planned; read again from the earliest offset or a later timestamp.',
      });
    }
    if (RETRIABLE_CODES.has(fp.errorCode)) return `Kafka error code ${fp.errorCode} for ${fp.topic}/${fp.partition}`;
    if (fp.errorCode !== 0) {
      throw new KafkaError('KAFKA_ERROR', `Kafka refused a fetch of ${fp.topic}/${fp.partition} (error code ${fp.errorCode}) while trying to ${action}.`, {
        hint: fp.errorCode === KafkaCode.TOPIC_AUTHORIZATION_FAILED ? 'The client is not allowed to read this topic: check its ACLs.' : 'See the Kafka protocol error codes for this one.',
      });
    }
    const end = plan.end ?? Infinity;
    const sel = selectBatches(fp.records, plan.next, end, fp.aborted, readCommitted);
    if (sel.bytes > 0 && !options.pack) {
      // Records for a consumer in this thread (the engine's sources): decoded in place.
      const pieces = await inflateBatches(fp.records, sel.ranges, `${fp.topic}/${fp.partition}`);
      const records = pieces.length === 1 ? decodeRecords(pieces[0]!, fp.topic, fp.partition, plan.next, end) : decodeRecords(Buffer.concat(pieces), fp.topic, fp.partition, plan.next, end);
      const timestampType = sel.logAppendTime ? 'LogAppendTime' : 'CreateTime';
      if (records.length > 0) queue.push({ topic: fp.topic, partition: fp.partition, records, highWatermark: fp.highWatermark, timestampType });
    } else if (sel.bytes > 0) {
      const pieces = await inflateBatches(fp.records, sel.ranges, `${fp.topic}/${fp.partition}`);
      const size = pieces.reduce((n, p) => n + p.length, 0);
      const buffer = takeBuffer(options.pack?.pool, size);
      const out = new Uint8Array(buffer, 0, size);
      let pos = 0;
      for (const p of pieces) {
        out.set(p, pos);
        pos += p.length;
      }
      const timestampType = sel.logAppendTime ? 'LogAppendTime' : 'CreateTime';
      const packed: PackedBatch = { kind: 'records', partition: fp.partition, count: sel.records, timestampType, buffer, size, lastOffset: sel.next - 1, from: plan.next, to: end };
      queue.push({ topic: fp.topic, partition: fp.partition, records: [], packed, highWatermark: fp.highWatermark, timestampType });
    }
    plan.next = sel.next;
    if (plan.end !== undefined && plan.next >= plan.end) plan.done = true;
    return undefined;
  }

  async function run(): Promise<void> {
    plans = await planRead(options, deps);
    deps.logger.debug({ topics: options.topics, partitions: plans.size }, 'packed read planned');
    const tolerance = deps.outageToleranceMs ?? 3000;
    let troubleSince: number | undefined;
    let backoff = 100;
    while (!queue.finished) {
      if ([...plans.values()].every((p) => p.done)) {
        // A bounded read is complete; a live one with nothing assigned has nothing to follow.
        finish();
        return;
      }
      while (queue.full && !queue.finished) await queue.taken();
      if (queue.finished) return;
      try {
        await round();
        troubleSince = undefined;
        backoff = 100;
      } catch (e) {
        if (!(e instanceof RetryError)) throw e;
        troubleSince ??= Date.now();
        if (Date.now() - troubleSince > tolerance) throw e.cause ?? e;
        deps.logger.debug({ err: e.message, topics: options.topics }, 'fetch failed; finding the leaders again and retrying');
        leaders = undefined;
        await sleep(backoff);
        backoff = Math.min(2000, backoff * 2);
      }
    }
  }

  const running = run()
    .catch((e: unknown) => {
      if (e instanceof UnsupportedBatchError) {
        finish(new KafkaError('KAFKA_UNSUPPORTED_BATCH', `Cannot read ${options.topics.join(', ')}: ${e.message}.`, { hint: 'pitlane reads record batches of message format v2 (Kafka 0.11 and later) compressed with none, gzip, snappy, lz4 or zstd; rewrite the topic with a current producer.' }));
      } else finish(e instanceof KafkaError ? e : deps.fail(e, action));
    })
    .finally(closeConnections);

  async function close(): Promise<void> {
    finish();
    closeConnections();
    await running;
    deps.onClose();
  }

  return queue.reader(() => plans.values(), close);
}

/** A failure the next round may not have: a lost connection, a moved leader. */
class RetryError extends Error {}

function splitAddress(address: string): [string, number] {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i), Number(address.slice(i + 1))];
}
