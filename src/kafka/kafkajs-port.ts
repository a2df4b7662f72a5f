/**
 * The kafkajs implementation of the KafkaPort: a thin composition of its parts,
 * laid out as kafkajs lays itself out — admin (kafkajs-admin.ts), producers and
 * transactions (kafkajs-producers.ts, kafkajs-transactions.ts), readers
 * (kafkajs-readers.ts, kafkajs-reader.ts, fetch-reader.ts) — over one client
 * (kafkajs-client.ts). The port owns only the lifecycle: closing it closes every
 * part, in the order they depend on each other.
 */
import './kafkajs-grouping.ts'; // first: before kafkajs' producer loads
import { Kafka } from 'kafkajs';
import type { Logger } from '../logger.ts';
import type { ConnectionConfig } from '../config/connection.ts';
import { toKafkaError } from './kafka-errors.ts';
import { kafkaJsConfig, type KafkaJsContext } from './kafkajs-client.ts';
import { registerKafkaJsCodecs } from './kafkajs-codecs.ts';
import { KafkaJsAdmin } from './kafkajs-admin.ts';
import { KafkaJsProducers } from './kafkajs-producers.ts';
import { KafkaJsReaders } from './kafkajs-readers.ts';
import { commitMarks } from './transaction-marks.ts';
import type {
  CommitMarks,
  CommitMarksQuery,
  GroupDescription,
  KafkaPort,
  OutgoingRecord,
  PartitionWatermarks,
  ProducerHandle,
  ProducerOptions,
  ReadOptions,
  RecordReader,
  SendOptions,
  TopicPartitionOffset,
  TopicSpec,
} from './port.ts';

export class KafkaJsPort implements KafkaPort {
  private readonly admin: KafkaJsAdmin;
  private readonly producers: KafkaJsProducers;
  private readonly readers: KafkaJsReaders;
  private closed = false;
  private closing: Promise<void> | undefined;

  private readonly ctx: KafkaJsContext;

  constructor(conn: ConnectionConfig, logger: Logger) {
    registerKafkaJsCodecs();
    const ctx: KafkaJsContext = {
      kafka: new Kafka(kafkaJsConfig(conn, logger)),
      conn,
      logger,
      fail: (e, action) => toKafkaError(e, action, conn.brokers),
      isClosed: () => this.closed,
    };
    this.ctx = ctx;
    this.admin = new KafkaJsAdmin(ctx);
    this.readers = new KafkaJsReaders(ctx, this.admin);
    this.producers = new KafkaJsProducers(ctx, {
      partitionCount: (topic) => this.admin.knownPartitionCount(topic),
      read: (options) => this.read(options),
      leaders: (topics) => this.admin.leaders(topics),
    });
  }

  produce(topic: string, records: readonly OutgoingRecord[], options?: SendOptions): Promise<TopicPartitionOffset[]> {
    return this.producers.produce(topic, records, options);
  }

  createProducer(options?: ProducerOptions): Promise<ProducerHandle> {
    return this.producers.createProducer(options);
  }

  read(options: ReadOptions): RecordReader {
    return this.readers.read(options);
  }

  createTopics(specs: readonly TopicSpec[]): Promise<void> {
    return this.admin.createTopics(specs);
  }

  deleteTopics(topics: readonly string[]): Promise<void> {
    return this.admin.deleteTopics(topics);
  }

  topicConfig(topic: string, names: readonly string[]): Promise<Record<string, string>> {
    return this.admin.topicConfig(topic, names);
  }

  listTopics(): Promise<string[]> {
    return this.admin.listTopics();
  }

  partitionCount(topic: string): Promise<number> {
    return this.admin.partitionCount(topic);
  }

  watermarks(topic: string): Promise<PartitionWatermarks[]> {
    return this.admin.watermarks(topic);
  }

  offsetsForTimestamp(topic: string, timestamp: number): Promise<TopicPartitionOffset[]> {
    return this.admin.offsetsForTimestamp(topic, timestamp);
  }

  groupOffsets(groupId: string, topic: string): Promise<TopicPartitionOffset[]> {
    return this.admin.groupOffsets(groupId, topic);
  }

  setGroupOffsets(groupId: string, offsets: readonly TopicPartitionOffset[]): Promise<void> {
    return this.admin.setGroupOffsets(groupId, offsets);
  }

  describeGroup(groupId: string): Promise<GroupDescription> {
    return this.admin.describeGroup(groupId);
  }

  listGroups(): Promise<string[]> {
    return this.admin.listGroups();
  }

  deleteGroups(groupIds: readonly string[]): Promise<void> {
    return this.admin.deleteGroups(groupIds);
  }

  async commitMarks(topic: string, q: CommitMarksQuery): Promise<CommitMarks | undefined> {
    const conn = this.ctx.conn;
    if (conn.ssl || conn.sasl) return undefined;
    return commitMarks(topic, q, { leaders: (t) => this.admin.leaders(t), clientId: conn.clientId, connectionTimeoutMs: conn.connectionTimeoutMs, requestTimeoutMs: conn.requestTimeoutMs }).catch((e: unknown) => {
      throw this.ctx.fail(e, `read the transaction markers of ${topic}`);
    });
  }

  ping(): Promise<{ brokers: number; controller: number | null; clusterId: string }> {
    return this.admin.ping();
  }

  async close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = (async () => {
      // Readers still delete their throwaway groups through the admin client, so it closes last.
      await this.readers.closeAll();
      await this.producers.closeAll();
      this.closed = true;
      await Promise.allSettled([this.producers.disconnectShared(), this.admin.disconnect()]);
    })();
    return this.closing;
  }
}
