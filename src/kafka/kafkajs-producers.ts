/**
 * The producer side of the kafkajs port, as kafkajs' own producer is: the shared
 * idempotent producer behind `produce`, and the producers (plain, transactional,
 * or transactional and riding through outages) that `createProducer` hands out.
 */
import './kafkajs-grouping.ts'; // first: before kafkajs' producer loads
import { Partitioners, type Message, type PartitionMetadata, type Producer, type ProducerConfig } from 'kafkajs';
import { keyPartition } from './partitioner.ts';
import { KafkaError } from '../errors.ts';
import { DirectProducer } from './direct-producer.ts';
import { assertOpen, type KafkaJsContext } from './kafkajs-client.ts';
import { openRecoverableProducer } from './kafkajs-transactions.ts';
import { kafkaJsCompressionOf as compressionOf } from './kafkajs-codecs.ts';
import type { OutgoingRecord, ProducerHandle, ProducerOptions, ReadOptions, RecordReader, SendOptions, TopicPartitionOffset, Transaction } from './port.ts';

export interface ProducersDeps {
  /** A topic's partition count, looked up once (KafkaJsAdmin.knownPartitionCount). */
  partitionCount(topic: string): Promise<number>;
  /** A read through the port: a recoverable producer reads back whether a transaction committed. */
  read(options: ReadOptions): RecordReader;
  /** The leader of each partition of the topics, as host:port (the direct producer's). */
  leaders(topics: readonly string[]): Promise<Map<string, string>>;
}

function toMessage(r: OutgoingRecord): Message {
  return {
    key: r.key ?? null,
    value: r.value,
    ...(r.headers ? { headers: { ...r.headers } } : {}),
    ...(r.timestamp !== undefined ? { timestamp: String(r.timestamp) } : {}),
    ...(r.partition !== undefined ? { partition: r.partition } : {}),
  };
}

export class KafkaJsProducers {
  private sharedProducer: Promise<Producer> | undefined;
  private readonly producers = new Set<ProducerHandle>();
  private readonly partitioner = Partitioners.DefaultPartitioner();

  constructor(
    private readonly ctx: KafkaJsContext,
    private readonly deps: ProducersDeps,
  ) {}

  async produce(topic: string, records: readonly OutgoingRecord[], options?: SendOptions): Promise<TopicPartitionOffset[]> {
    assertOpen(this.ctx);
    this.sharedProducer ??= (async () => {
      const p = this.ctx.kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
      try {
        await p.connect();
      } catch (e) {
        this.sharedProducer = undefined;
        throw this.ctx.fail(e, 'connect a producer');
      }
      return p;
    })();
    const producer = await this.sharedProducer;
    return sendWith(producer, topic, await this.withPartitions(topic, records), options, (e) => this.ctx.fail(e, `produce to ${topic}`));
  }

  async createProducer(options: ProducerOptions = {}): Promise<ProducerHandle> {
    assertOpen(this.ctx);
    const config: ProducerConfig = {
      idempotent: options.transactionalId !== undefined || (options.idempotent ?? true),
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
      ...(options.transactionalId ? { transactionalId: options.transactionalId, transactionTimeout: 60000 } : {}),
    };
    const tolerance = this.ctx.conn.outageToleranceMs;
    if (options.transactionalId && options.replayOnOutage && tolerance !== undefined) return this.recoverableProducer(config, tolerance);
    // An idempotent producer without transactions writes its batches itself over plaintext
    // (direct-producer.ts): kafkajs' encoding costs several objects per record and header.
    if (!options.transactionalId && config.idempotent && !this.ctx.conn.ssl && !this.ctx.conn.sasl) return this.directProducer();
    const producer = this.ctx.kafka.producer(config);
    try {
      await producer.connect();
    } catch (e) {
      throw this.ctx.fail(e, 'connect a producer');
    }
    const fail = (e: unknown, action: string) => this.ctx.fail(e, action);
    const handle: ProducerHandle = {
      send: async (topic, records, options) => sendWith(producer, topic, await this.withPartitions(topic, records), options, (e) => fail(e, `produce to ${topic}`)),
      transaction: async (): Promise<Transaction> => {
        const tx = await producer.transaction().catch((e: unknown) => {
          throw fail(e, 'begin a transaction');
        });
        return {
          send: async (topic, records, options) => {
            if (records.length === 0) return;
            await tx.send({ topic, messages: records.map(toMessage), compression: compressionOf(options) }).catch((e: unknown) => {
              throw fail(e, `produce to ${topic} in a transaction`);
            });
          },
          sendOffsets: async (groupId, offsets) => {
            const byTopic = new Map<string, { partition: number; offset: string }[]>();
            for (const o of offsets) {
              const list = byTopic.get(o.topic) ?? [];
              list.push({ partition: o.partition, offset: String(o.offset) });
              byTopic.set(o.topic, list);
            }
            await tx
              .sendOffsets({ consumerGroupId: groupId, topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) })
              .catch((e: unknown) => {
                throw fail(e, `commit offsets of ${groupId} in a transaction`);
              });
          },
          commit: () => tx.commit().catch((e: unknown) => {
            throw fail(e, 'commit a transaction');
          }),
          abort: () => tx.abort().catch((e: unknown) => {
            throw fail(e, 'abort a transaction');
          }),
        };
      },
      close: async () => {
        this.producers.delete(handle);
        await producer.disconnect();
      },
    };
    this.producers.add(handle);
    return handle;
  }

  private directProducer(): ProducerHandle {
    const { conn, logger } = this.ctx;
    const producer = new DirectProducer({
      leaders: (topics) => this.deps.leaders(topics),
      fail: (e, action) => this.ctx.fail(e, action),
      logger,
      clientId: conn.clientId,
      connectionTimeoutMs: conn.connectionTimeoutMs,
      requestTimeoutMs: conn.requestTimeoutMs,
      outageToleranceMs: conn.outageToleranceMs,
    });
    const handle: ProducerHandle = {
      send: async (topic, records, options) => {
        assertOpen(this.ctx);
        return producer.send(topic, (await this.withPartitions(topic, records)) as (OutgoingRecord & { partition: number })[], options);
      },
      transaction: async () => {
        throw new KafkaError('KAFKA_NOT_TRANSACTIONAL', 'This producer has no transactional id, so it cannot open a transaction.', { hint: 'Create the producer with a transactionalId.' });
      },
      close: async () => {
        this.producers.delete(handle);
        producer.close();
      },
    };
    this.producers.add(handle);
    return handle;
  }

  /** A transactional producer that rewrites a transaction an outage interrupted (kafkajs-transactions.ts). */
  private async recoverableProducer(config: ProducerConfig, toleranceMs: number): Promise<ProducerHandle> {
    const handle = await openRecoverableProducer({
      create: () => this.ctx.kafka.producer(config),
      toMessage,
      sendPlain: async (p, topic, records, options) => sendWith(p, topic, await this.withPartitions(topic, records), options, (e) => this.ctx.fail(e, `produce to ${topic}`)),
      toleranceMs,
      fail: (e, action) => this.ctx.fail(e, action),
      committed: async (m) => {
        const reader = this.deps.read({ topics: [m.topic], partitions: [{ topic: m.topic, partition: m.partition }], from: { offsets: [m] }, to: { offsets: [{ ...m, offset: m.offset + 1 }] }, isolation: 'read_committed' });
        let seen = false;
        for await (const b of reader) seen ||= b.records.some((r) => r.offset === m.offset);
        return seen;
      },
      logger: this.ctx.logger,
      onClose: () => this.producers.delete(handle),
    });
    this.producers.add(handle);
    return handle;
  }

  /**
   * Assigns each record its partition up front with Kafka's default partitioner
   * (murmur2 of the key, as the Java client does: partitioner.ts), so every send can
   * report the exact position of every record it wrote.
   */
  private async withPartitions(topic: string, records: readonly OutgoingRecord[]): Promise<OutgoingRecord[]> {
    if (records.every((r) => r.partition !== undefined)) return [...records];
    const count = await this.deps.partitionCount(topic);
    let partitionMetadata: PartitionMetadata[] | undefined;
    return records.map((r) => {
      if (r.partition !== undefined) return r;
      if (r.key !== undefined && r.key !== null) return { ...r, partition: keyPartition(r.key, count) };
      // No key: kafkajs' partitioner, round robin from a random start (it reads an explicit partition and the key only).
      partitionMetadata ??= Array.from({ length: count }, (_, i) => ({ partitionId: i, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 }));
      return { ...r, partition: this.partitioner({ topic, partitionMetadata, message: { key: null, value: null } }) };
    });
  }

  /** Closes every producer handed out (the port closes them after its readers). */
  async closeAll(): Promise<void> {
    await Promise.allSettled([...this.producers].map((p) => p.close()));
  }

  /** Disconnects the shared producer if one was opened: the port's last step in closing (it ignores a failure). */
  async disconnectShared(): Promise<void> {
    const [producer] = await Promise.allSettled([this.sharedProducer]);
    try {
      if (producer.status === 'fulfilled') await producer.value?.disconnect();
    } finally {
      this.sharedProducer = undefined;
    }
  }
}

async function sendWith(
  producer: Producer,
  topic: string,
  records: readonly OutgoingRecord[],
  options: SendOptions | undefined,
  fail: (e: unknown) => KafkaError,
): Promise<TopicPartitionOffset[]> {
  if (records.length === 0) return [];
  try {
    const res = await producer.send({ topic, messages: records.map(toMessage), acks: -1, compression: compressionOf(options) });
    // kafkajs reports the base offset per partition; records of one partition get consecutive offsets in send order.
    const base = new Map(res.map((r) => [r.partition, Number(r.baseOffset ?? r.offset ?? 0)]));
    const seen = new Map<number, number>();
    return records.map((r) => {
      const partition = r.partition ?? 0;
      const n = seen.get(partition) ?? 0;
      seen.set(partition, n + 1);
      return { topic, partition, offset: (base.get(partition) ?? 0) + n };
    });
  } catch (e) {
    throw fail(e);
  }
}
