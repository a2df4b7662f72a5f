/**
 * The kafkajs implementation of the KafkaPort: a thin composition of its parts,
 * laid out as kafkajs lays itself out — admin (kafkajs-admin.ts), producers and
 * transactions (kafkajs-producers.ts, kafkajs-transactions.ts), readers
 * (kafkajs-readers.ts, kafkajs-reader.ts, fetch-reader.ts) — over one client
 * (kafkajs-client.ts). The port owns only the lifecycle: closing it closes every
 * part, in the order they depend on each other.
 */
import { Kafka } from 'kafkajs';
import type { Logger } from '../logger.ts';
import type { ConnectionConfig } from '../config/connection.ts';
import { toKafkaError } from './kafka-errors.ts';
import { kafkaJsConfig, type KafkaJsContext } from './kafkajs-client.ts';
import { KafkaJsAdmin } from './kafkajs-admin.ts';
import { KafkaJsProducers } from './kafkajs-producers.ts';
import { KafkaJsReaders } from './kafkajs-readers.ts';
import type {
  GroupDescription,
  KafkaPort,
  OutgoingRecord,
  PartitionWatermarks,
  ProducerHandle,
  ProducerOptions,
  ReadOptions,
  RecordReader,
  TopicPartitionOffset,
  TopicSpec,
} from './port.ts';

export class KafkaJsPort implements KafkaPort {
  private readonly admin: KafkaJsAdmin;
  private readonly producers: KafkaJsProducers;
  private readonly readers: KafkaJsReaders;
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(conn: ConnectionConfig, logger: Logger) {
    const ctx: KafkaJsContext = {
      kafka: new Kafka(kafkaJsConfig(conn, logger)),
      conn,
      logger,
      fail: (e, action) => toKafkaError(e, action, conn.brokers),
      isClosed: () => this.closed,
    };
    this.admin = new KafkaJsAdmin(ctx);
    this.readers = new KafkaJsReaders(ctx, this.admin);
    this.producers = new KafkaJsProducers(ctx, {
      partitionCount: (topic) => this.admin.knownPartitionCount(topic),
      read: (options) => this.read(options),
    });
  }

  produce(topic: string, records: readonly OutgoingRecord[]): Promise<TopicPartitionOffset[]> {
    return this.producers.produce(topic, records);
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
