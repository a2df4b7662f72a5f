/**
 * The narrow port through which all of pitlane talks to Kafka (design.md §2).
 * Only src/kafka/ implements it; everyone else depends on this interface, so a
 * unit test may stand a fake in for it, and integration tests use the real one.
 *
 * Offsets are plain numbers: Kafka offsets are int64, but no real partition comes
 * near 2^53 records, and numbers keep offset arithmetic in engine and comparator
 * code simple. The implementation converts at the edge.
 */
import type { BufferSource, PackedBatch } from './packed.ts';
import type { Compression } from './codecs.ts';

export type { Compression } from './codecs.ts';

export interface OutgoingRecord {
  readonly key?: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly headers?: Readonly<Record<string, string | Buffer>>;
  /** Record timestamp in epoch milliseconds; the broker's clock when absent. */
  readonly timestamp?: number;
  /** Explicit partition; otherwise Kafka's default (murmur2 of the key) partitioner. */
  readonly partition?: number;
}

export interface IncomingRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, Buffer>>;
  /** Record timestamp in epoch milliseconds. */
  readonly timestamp: number;
}

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface TopicPartitionOffset extends TopicPartition {
  readonly offset: number;
}

export interface PartitionWatermarks {
  readonly partition: number;
  /** First offset still in the log. */
  readonly low: number;
  /** Offset the next record will get (the high watermark). */
  readonly high: number;
}

/** Where a read starts. Explicit offsets win for the partitions they name. */
export type StartPosition =
  | 'earliest'
  | 'latest'
  | { readonly timestamp: number }
  | { readonly offsets: readonly TopicPartitionOffset[]; readonly otherwise?: 'earliest' | 'latest' };

/** Where a bounded read stops (exclusive), or `follow` for a live read. */
export type EndPosition =
  | 'follow'
  /** The high watermark (or last stable offset) of each partition when the read opens. */
  | 'end'
  | { readonly timestamp: number }
  | { readonly offsets: readonly TopicPartitionOffset[] };

export interface ReadOptions {
  readonly topics: readonly string[];
  readonly from?: StartPosition;
  readonly to?: EndPosition;
  /** Default `read_committed`: aborted transactional records are never seen. */
  readonly isolation?: 'read_committed' | 'read_uncommitted';
  /** How many batches may wait unconsumed before fetching pauses. Default 4. */
  readonly bufferedBatches?: number;
  /** Restrict to these partitions (all when absent). */
  readonly partitions?: readonly TopicPartition[];
  /**
   * Hand each batch over packed into one transferable buffer (`RecordBatch.packed`;
   * `records` is then empty), keeping only the named headers: for a consumer of the
   * records in another thread. A port may ignore it and hand over records.
   */
  readonly pack?: { readonly headers: readonly string[]; readonly pool?: BufferSource | undefined } | undefined;
  /**
   * Read straight from the partition leaders and decode the records from the
   * fetched bytes (the engine's sources: a hot path), instead of through a client's
   * consumer. Same records, positions and isolation; a port may ignore it (the
   * kafkajs port does on TLS or SASL connections).
   */
  readonly direct?: boolean | undefined;
}

export interface RecordBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly IncomingRecord[];
  /** The partition's high watermark as of this fetch. */
  readonly highWatermark: number;
  /** What the record timestamps mean: the producer's (CreateTime) or the broker's append time (LogAppendTime). */
  readonly timestampType?: 'CreateTime' | 'LogAppendTime';
  /** The records, packed, when the read asked for it (ReadOptions.pack). */
  readonly packed?: PackedBatch | undefined;
}

/**
 * A read from explicit positions, without a consumer group's committed offsets.
 * Iterate it for batches; it ends by itself at the end position of every
 * partition (bounded) or when closed (follow).
 */
export interface RecordReader extends AsyncIterable<RecordBatch> {
  /** Next offset to be read, per partition, as far as this reader has seen. */
  positions(): TopicPartitionOffset[];
  close(): Promise<void>;
}

export interface ProducerOptions {
  /** Makes the producer transactional (exactly-once with read_committed readers). */
  readonly transactionalId?: string;
  /** Idempotent delivery; implied by transactionalId. Default true. */
  readonly idempotent?: boolean;
  /**
   * Transactional only, and only for a writer that owns its transactional id
   * alone (a job's output): when the broker is away (a restart) mid-transaction,
   * wait for it (the connection's outageToleranceMs), then write the interrupted
   * transaction again unless it had committed — instead of failing.
   */
  readonly replayOnOutage?: boolean;
}

/** How one send writes its records. */
export interface SendOptions {
  /**
   * The codec the records' batches are compressed with: Kafka's own names. Default
   * `none`, as Kafka's producers (a topic's `compression.type` may still recompress).
   */
  readonly compression?: Compression | undefined;
}

export interface Transaction {
  send(topic: string, records: readonly OutgoingRecord[], options?: SendOptions): Promise<void>;
  /** Commits the consumed positions of a consume-transform-produce loop as part of the transaction. */
  sendOffsets(groupId: string, offsets: readonly TopicPartitionOffset[]): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

export interface ProducerHandle {
  send(topic: string, records: readonly OutgoingRecord[], options?: SendOptions): Promise<TopicPartitionOffset[]>;
  transaction(): Promise<Transaction>;
  close(): Promise<void>;
}

export interface TopicSpec {
  readonly topic: string;
  readonly partitions?: number;
  readonly replicationFactor?: number;
  readonly config?: Readonly<Record<string, string>>;
}

export interface GroupDescription {
  readonly groupId: string;
  /** Kafka's group state: Empty, Stable, PreparingRebalance, CompletingRebalance, Dead. */
  readonly state: string;
  readonly members: number;
}

/** A transaction's commit marker in one partition: when its records there became visible (the broker's clock). */
export interface CommitMark {
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly producerId: number;
}

/**
 * `first`: per partition, the first commit at or after the offset that ends a
 * transaction with records from there on; `last`: per partition, the commit
 * marker right before the offset, if the record there is one.
 */
export type CommitMarksQuery = { readonly first: readonly TopicPartitionOffset[] } | { readonly last: readonly TopicPartitionOffset[] };

export interface CommitMarks {
  readonly marks: readonly CommitMark[];
  /** Each asked partition's high watermark and last stable offset (below it, no transaction is open). */
  readonly ends: readonly { readonly partition: number; readonly high: number; readonly lastStable: number }[];
}

export interface KafkaPort {
  /** Produce one batch with the shared idempotent producer; returns each record's position. */
  produce(topic: string, records: readonly OutgoingRecord[], options?: SendOptions): Promise<TopicPartitionOffset[]>;
  createProducer(options?: ProducerOptions): Promise<ProducerHandle>;
  read(options: ReadOptions): RecordReader;

  createTopics(specs: readonly TopicSpec[]): Promise<void>;
  deleteTopics(topics: readonly string[]): Promise<void>;
  listTopics(): Promise<string[]>;
  /** The named config entries of a topic, as the broker has them (defaults included); KAFKA_TOPIC_NOT_FOUND when it does not exist. */
  topicConfig(topic: string, names: readonly string[]): Promise<Record<string, string>>;
  /** Partition count of a topic; a KafkaError with code KAFKA_TOPIC_NOT_FOUND when it does not exist. */
  partitionCount(topic: string): Promise<number>;
  watermarks(topic: string): Promise<PartitionWatermarks[]>;
  /** Per partition, the first offset whose timestamp is ≥ ts (the high watermark when none). */
  offsetsForTimestamp(topic: string, timestamp: number): Promise<TopicPartitionOffset[]>;

  /** Committed offsets of a group for a topic; partitions without a commit are left out. */
  groupOffsets(groupId: string, topic: string): Promise<TopicPartitionOffset[]>;
  /** Writes committed offsets for a group; Kafka refuses while the group has members. */
  setGroupOffsets(groupId: string, offsets: readonly TopicPartitionOffset[]): Promise<void>;
  describeGroup(groupId: string): Promise<GroupDescription>;
  listGroups(): Promise<string[]>;
  deleteGroups(groupIds: readonly string[]): Promise<void>;

  /**
   * Transaction commit markers of a topic (transaction-marks.ts), or undefined when
   * this connection cannot read raw batches (TLS or SASL).
   */
  commitMarks(topic: string, q: CommitMarksQuery): Promise<CommitMarks | undefined>;

  /** Resolves when the cluster answers a metadata request; throws a KafkaError otherwise. */
  ping(): Promise<{ brokers: number; controller: number | null; clusterId: string }>;
  close(): Promise<void>;
}
