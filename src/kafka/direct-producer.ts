/**
 * An idempotent producer that speaks to the partition leaders itself (the port's
 * non-transactional producers over a plaintext connection; kafkajs keeps the
 * transactional ones): each send's records are encoded per partition straight into
 * one record batch (produce-wire.ts) with the producer's id, epoch and the
 * partition's next sequence, and written with acks = all.
 *
 * Idempotence is Kafka's own: a batch sent again after a lost connection or a moved
 * leader carries the same sequence, so the broker writes it once (or answers
 * DUPLICATE_SEQUENCE_NUMBER, taken as written). One send is in flight at a time per
 * producer (callers serialize, as the engine's send pipeline does), so each
 * partition's batches reach the broker in sequence order.
 */
import { KafkaError, describeUnknown } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { sleep } from '../clock.ts';
import { BrokerConnection, KafkaCode, RETRIABLE_CODES } from './fetch-wire.ts';
import { decodeInitProducerId, decodeProduce, encodeInitProducerId, encodeProduce, encodeRecordBatch, type ProduceTopic } from './produce-wire.ts';
import { partitionKey } from './partition-key.ts';
import type { OutgoingRecord, SendOptions, TopicPartitionOffset } from './port.ts';

export interface DirectProducerDeps {
  /** The leader of each partition of the topics, as host:port, by partitionKey. */
  leaders(topics: readonly string[]): Promise<Map<string, string>>;
  fail(e: unknown, action: string): KafkaError;
  logger: Logger;
  clientId: string;
  connectionTimeoutMs: number;
  requestTimeoutMs: number;
  /** How long lost connections and moved leaders are retried (at least 10 s, as kafkajs' producer retries). */
  outageToleranceMs?: number | undefined;
}

const PRODUCE_TIMEOUT_MS = 30_000;
const RETRY_CODES: ReadonlySet<number> = new Set([...RETRIABLE_CODES, KafkaCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND, KafkaCode.COORDINATOR_LOAD_IN_PROGRESS, KafkaCode.CORRUPT_MESSAGE]);

/** A failure the next attempt may not have: a lost connection, a moved leader. */
class RetryError extends Error {}

export class DirectProducer {
  private readonly connections = new Map<string, BrokerConnection>();
  private readonly sequences = new Map<string, number>();
  private identity: { producerId: number; producerEpoch: number } | undefined;
  private leaders: Map<string, string> | undefined;
  private closed = false;

  constructor(private readonly deps: DirectProducerDeps) {}

  /** Writes records whose partitions are assigned; resolves with each record's position, in order. */
  async send(topic: string, records: readonly (OutgoingRecord & { readonly partition: number })[], options?: SendOptions): Promise<TopicPartitionOffset[]> {
    if (records.length === 0) return [];
    const action = `produce to ${topic}`;
    if (this.closed) throw new KafkaError('KAFKA_CLIENT_CLOSED', `The producer is closed; cannot ${action}.`);
    const byPartition = new Map<number, OutgoingRecord[]>();
    for (const r of records) {
      const list = byPartition.get(r.partition);
      if (list) list.push(r);
      else byPartition.set(r.partition, [r]);
    }
    const identity = await this.retrying(action, () => this.initIdentity(topic));
    // Encoded once: a retry sends the same batches, with the same sequences.
    const batches = new Map<number, Buffer>();
    for (const [partition, list] of byPartition) {
      const baseSequence = this.sequences.get(partitionKey(topic, partition)) ?? 0;
      batches.set(partition, await encodeRecordBatch(list, { ...identity, baseSequence }, options?.compression ?? 'none'));
    }
    const base = new Map<number, number>();
    await this.retrying(action, async () => {
      this.leaders ??= await this.findLeaders(topic);
      const byLeader = new Map<string, ProduceTopic['partitions'][number][]>();
      for (const [partition, batch] of batches) {
        if (base.has(partition)) continue;
        const leader = this.leaders.get(partitionKey(topic, partition));
        if (leader === undefined) throw new RetryError(`no leader for ${topic}/${partition}`);
        const list = byLeader.get(leader) ?? [];
        byLeader.set(leader, list);
        list.push({ partition, batch });
      }
      const answers = await Promise.all(
        [...byLeader].map(async ([leader, partitions]) => decodeProduce(await this.request(leader, 'Produce', (id, cid) => encodeProduce(id, cid, PRODUCE_TIMEOUT_MS, [{ topic, partitions }]), PRODUCE_TIMEOUT_MS + this.deps.requestTimeoutMs))),
      );
      let retry: string | undefined;
      for (const p of answers.flat()) {
        if (p.errorCode === 0 || p.errorCode === KafkaCode.DUPLICATE_SEQUENCE_NUMBER) base.set(p.partition, p.baseOffset);
        else if (RETRY_CODES.has(p.errorCode)) retry = `Kafka error code ${p.errorCode} for ${topic}/${p.partition}`;
        else {
          throw new KafkaError('KAFKA_ERROR', `Kafka refused a write to ${topic}/${p.partition} (error code ${p.errorCode}) while trying to ${action}.`, {
            hint: p.errorCode === 10 ? 'A record batch is larger than the topic accepts (max.message.bytes): write smaller records.' : 'See the Kafka protocol error codes for this one; the job restarts from its last checkpoint.',
            data: { errorCode: p.errorCode },
          });
        }
      }
      if (retry !== undefined) throw new RetryError(retry);
    });
    for (const [partition, list] of byPartition) {
      const key = partitionKey(topic, partition);
      this.sequences.set(key, ((this.sequences.get(key) ?? 0) + list.length) % 2 ** 31);
    }
    const seen = new Map<number, number>();
    return records.map((r) => {
      const n = seen.get(r.partition) ?? 0;
      seen.set(r.partition, n + 1);
      return { topic, partition: r.partition, offset: (base.get(r.partition) ?? 0) + n };
    });
  }

  close(): void {
    this.closed = true;
    for (const c of this.connections.values()) c.close();
    this.connections.clear();
  }

  /** The producer id and epoch, from the first broker that answers (Kafka gives an idempotent producer one of its own). */
  private async initIdentity(topic: string): Promise<{ producerId: number; producerEpoch: number }> {
    if (this.identity) return this.identity;
    this.leaders ??= await this.findLeaders(topic);
    const broker = [...new Set(this.leaders.values())][0] ?? [...this.connections.keys()][0];
    if (broker === undefined) throw new RetryError('no broker known yet');
    const answer = decodeInitProducerId(await this.request(broker, 'InitProducerId', (id, cid) => encodeInitProducerId(id, cid)));
    if (RETRY_CODES.has(answer.errorCode)) throw new RetryError(`Kafka error code ${answer.errorCode} for InitProducerId`);
    if (answer.errorCode !== 0) throw new KafkaError('KAFKA_ERROR', `Kafka refused an idempotent producer id (error code ${answer.errorCode}).`, { hint: 'The broker may deny IdempotentWrite to this client: check its ACLs.' });
    this.identity = { producerId: answer.producerId, producerEpoch: answer.producerEpoch };
    return this.identity;
  }

  /** The leaders (a lookup that fails, the broker away, is retried like a lost connection). */
  private async findLeaders(topic: string): Promise<Map<string, string>> {
    try {
      return await this.deps.leaders([topic]);
    } catch (e) {
      throw new RetryError(describeUnknown(e), { cause: e });
    }
  }

  private async request(address: string, name: string, encode: (id: number, clientId: string) => Buffer, timeoutMs?: number): Promise<Buffer> {
    let c = this.connections.get(address);
    if (!c) {
      const i = address.lastIndexOf(':');
      c = new BrokerConnection(address.slice(0, i), Number(address.slice(i + 1)), this.deps);
      this.connections.set(address, c);
    }
    try {
      return await c.request(name, encode, timeoutMs);
    } catch (e) {
      c.close();
      if (this.connections.get(address) === c) this.connections.delete(address);
      throw new RetryError(describeUnknown(e), { cause: e });
    }
  }

  /** Runs `fn` until it succeeds, retrying RetryErrors with fresh leaders, for the outage tolerance. */
  private async retrying<T>(action: string, fn: () => Promise<T>): Promise<T> {
    const tolerance = Math.max(10_000, this.deps.outageToleranceMs ?? 0);
    const since = Date.now();
    for (let backoff = 100; ; backoff = Math.min(2000, backoff * 2)) {
      try {
        return await fn();
      } catch (e) {
        if (!(e instanceof RetryError) || this.closed) throw e instanceof RetryError ? this.deps.fail(e.cause ?? e, action) : e;
        if (Date.now() - since > tolerance) throw this.deps.fail(e.cause ?? e, action);
        this.deps.logger.debug({ err: e.message }, 'produce failed; finding the leaders again and retrying');
        this.leaders = undefined;
        await sleep(backoff);
      }
    }
  }
}
