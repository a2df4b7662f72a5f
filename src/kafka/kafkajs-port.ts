import { Kafka, Partitioners, logLevel, type Admin, type Producer, type ProducerConfig, type KafkaConfig, type Message, type LogEntry } from 'kafkajs';
import type { Logger } from '../logger.ts';
import type { ConnectionConfig } from '../config/connection.ts';
import { KafkaError } from '../errors.ts';
import { toKafkaError } from './kafka-errors.ts';
import { openKafkaJsReader } from './kafkajs-reader.ts';
import { openFetchReader } from './fetch-reader.ts';
import { partitionKey } from './partition-key.ts';
import { openRecoverableProducer } from './kafkajs-transactions.ts';
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
  Transaction,
} from './port.ts';

const KAFKAJS_LEVEL: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

export function kafkaJsConfig(conn: ConnectionConfig, logger: Logger): KafkaConfig {
  return {
    clientId: conn.clientId,
    brokers: [...conn.brokers],
    ssl: conn.ssl,
    ...(conn.sasl
      ? { sasl: { mechanism: conn.sasl.mechanism, username: conn.sasl.username, password: conn.sasl.password } as KafkaConfig['sasl'] }
      : {}),
    connectionTimeout: conn.connectionTimeoutMs,
    requestTimeout: conn.requestTimeoutMs,
    retry: retryPolicy(conn.outageToleranceMs),
    // kafkajs logs through pino; its chatty INFO lines (group joins) are debug for us.
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      // Per-request errors are retried by kafkajs and, if they persist, surface as
      // the exception of the call; logging each one as an error would only alarm.
      const transient = entry.namespace === 'Connection' || /Limiting retries/.test(entry.log.message);
      const level = transient ? 'debug' : (KAFKAJS_LEVEL[entry.level] ?? 'debug');
      const { message, ...rest } = entry.log;
      logger[level]({ kafkajs: entry.namespace, ...rest }, message);
    },
  };
}

/**
 * kafkajs' retry policy. By default about 3 s of retries (100 ms doubling to
 * 2 s, 5 times). With an outage tolerance, retries go on at up to 2 s apart
 * until the tolerance is spent, so a broker restart delays requests instead of
 * failing them.
 */
export function retryPolicy(outageToleranceMs: number | undefined): NonNullable<KafkaConfig['retry']> {
  const base = { retries: 5, initialRetryTime: 100, maxRetryTime: 2000 };
  if (outageToleranceMs === undefined) return base;
  // The first five retries take ~3 s together; each further one waits up to maxRetryTime.
  return { ...base, retries: base.retries + Math.max(0, Math.ceil((outageToleranceMs - 3000) / base.maxRetryTime)) };
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

/** The kafkajs implementation of the KafkaPort. */
export class KafkaJsPort implements KafkaPort {
  private readonly kafka: Kafka;
  private adminClient: Promise<Admin> | undefined;
  private sharedProducer: Promise<Producer> | undefined;
  private readonly readers = new Set<RecordReader>();
  private readonly producers = new Set<ProducerHandle>();
  private readonly partitionCounts = new Map<string, number>();
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly partitioner = Partitioners.DefaultPartitioner();

  constructor(
    private readonly conn: ConnectionConfig,
    private readonly logger: Logger,
  ) {
    this.kafka = new Kafka(kafkaJsConfig(conn, logger));
  }

  private fail(e: unknown, action: string): KafkaError {
    return toKafkaError(e, action, this.conn.brokers);
  }

  /**
   * The admin client, connected once. The promise (not the client) is memoized so
   * concurrent first calls share one connection instead of racing to open several,
   * of which all but one would never be closed.
   */
  private admin(): Promise<Admin> {
    if (this.closed) return Promise.reject(this.closedError());
    this.adminClient ??= (async () => {
      const admin = this.kafka.admin();
      try {
        await admin.connect();
      } catch (e) {
        this.adminClient = undefined;
        throw this.fail(e, 'connect the admin client');
      }
      return admin;
    })();
    return this.adminClient;
  }

  async produce(topic: string, records: readonly OutgoingRecord[]): Promise<TopicPartitionOffset[]> {
    this.assertOpen();
    this.sharedProducer ??= (async () => {
      const p = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
      try {
        await p.connect();
      } catch (e) {
        this.sharedProducer = undefined;
        throw this.fail(e, 'connect a producer');
      }
      return p;
    })();
    const producer = await this.sharedProducer;
    return sendWith(producer, topic, await this.withPartitions(topic, records), (e) => this.fail(e, `produce to ${topic}`));
  }

  async createProducer(options: ProducerOptions = {}): Promise<ProducerHandle> {
    this.assertOpen();
    const config: ProducerConfig = {
      idempotent: options.transactionalId !== undefined || (options.idempotent ?? true),
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
      ...(options.transactionalId ? { transactionalId: options.transactionalId, transactionTimeout: 60000 } : {}),
    };
    const tolerance = this.conn.outageToleranceMs;
    if (options.transactionalId && options.replayOnOutage && tolerance !== undefined) return this.recoverableProducer(config, tolerance);
    const producer = this.kafka.producer(config);
    try {
      await producer.connect();
    } catch (e) {
      throw this.fail(e, 'connect a producer');
    }
    const fail = (e: unknown, action: string) => this.fail(e, action);
    const handle: ProducerHandle = {
      send: async (topic, records) => sendWith(producer, topic, await this.withPartitions(topic, records), (e) => fail(e, `produce to ${topic}`)),
      transaction: async (): Promise<Transaction> => {
        const tx = await producer.transaction().catch((e: unknown) => {
          throw fail(e, 'begin a transaction');
        });
        return {
          send: async (topic, records) => {
            if (records.length === 0) return;
            await tx.send({ topic, messages: records.map(toMessage) }).catch((e: unknown) => {
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

  /** A transactional producer that rewrites a transaction an outage interrupted (kafkajs-transactions.ts). */
  private async recoverableProducer(config: ProducerConfig, toleranceMs: number): Promise<ProducerHandle> {
    const handle = await openRecoverableProducer({
      create: () => this.kafka.producer(config),
      toMessage,
      sendPlain: async (p, topic, records) => sendWith(p, topic, await this.withPartitions(topic, records), (e) => this.fail(e, `produce to ${topic}`)),
      toleranceMs,
      fail: (e, action) => this.fail(e, action),
      committed: async (m) => {
        const reader = this.read({ topics: [m.topic], partitions: [{ topic: m.topic, partition: m.partition }], from: { offsets: [m] }, to: { offsets: [{ ...m, offset: m.offset + 1 }] }, isolation: 'read_committed' });
        let seen = false;
        for await (const b of reader) seen ||= b.records.some((r) => r.offset === m.offset);
        return seen;
      },
      logger: this.logger,
      onClose: () => this.producers.delete(handle),
    });
    this.producers.add(handle);
    return handle;
  }

  /**
   * Assigns each record its partition up front with Kafka's default partitioner
   * (murmur2 of the key, as the Java client does), so every send can report the
   * exact position of every record it wrote.
   */
  private async withPartitions(topic: string, records: readonly OutgoingRecord[]): Promise<OutgoingRecord[]> {
    if (records.every((r) => r.partition !== undefined)) return [...records];
    let count = this.partitionCounts.get(topic);
    if (count === undefined) {
      count = await this.partitionCount(topic);
      this.partitionCounts.set(topic, count);
    }
    const partitionMetadata = Array.from({ length: count }, (_, i) => ({ partitionId: i, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 }));
    return records.map((r) => {
      if (r.partition !== undefined) return r;
      const partition = this.partitioner({ topic, partitionMetadata, message: toMessage(r) });
      return { ...r, partition };
    });
  }

  read(options: ReadOptions): RecordReader {
    this.assertOpen();
    // A packed read goes straight to the leaders over plaintext (fetch-reader.ts): kafkajs'
    // consumer would build an object per record. TLS and SASL connections keep kafkajs.
    if (options.pack && !this.conn.ssl && !this.conn.sasl) {
      const fast = openFetchReader(options, {
        watermarks: (t) => this.watermarks(t),
        offsetsForTimestamp: (t, ts) => this.offsetsForTimestamp(t, ts),
        leaders: (topics) => this.leaders(topics),
        fail: (e, action) => this.fail(e, action),
        onClose: () => this.readers.delete(fast),
        logger: this.logger,
        clientId: this.conn.clientId,
        connectionTimeoutMs: this.conn.connectionTimeoutMs,
        requestTimeoutMs: this.conn.requestTimeoutMs,
        outageToleranceMs: this.conn.outageToleranceMs,
      });
      this.readers.add(fast);
      return fast;
    }
    const reader = openKafkaJsReader(this.kafka, options, {
      admin: () => this.admin(),
      watermarks: (t) => this.watermarks(t),
      offsetsForTimestamp: (t, ts) => this.offsetsForTimestamp(t, ts),
      fail: (e, action) => this.fail(e, action),
      onClose: () => this.readers.delete(reader),
      logger: this.logger,
      outageToleranceMs: this.conn.outageToleranceMs,
    });
    this.readers.add(reader);
    return reader;
  }

  async createTopics(specs: readonly TopicSpec[]): Promise<void> {
    const admin = await this.admin();
    const what = `create topics ${specs.map((s) => s.topic).join(', ')}`;
    // Waiting for leaders reads metadata right after the create; a busy broker can
    // answer that read with "does not host this topic-partition" for a topic it has
    // just created. Creating again is harmless (kafkajs skips existing topics).
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.createTopics({
          waitForLeaders: true,
          topics: specs.map((s) => ({
            topic: s.topic,
            numPartitions: s.partitions ?? 1,
            replicationFactor: s.replicationFactor ?? 1,
            configEntries: Object.entries(s.config ?? {}).map(([name, value]) => ({ name, value })),
          })),
        });
        return;
      } catch (e) {
        const err = this.fail(e, what);
        if (err.code !== 'KAFKA_TOPIC_NOT_FOUND' || attempt >= 5) throw err;
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
  }

  async deleteTopics(topics: readonly string[]): Promise<void> {
    if (topics.length === 0) return;
    const admin = await this.admin();
    const existing = new Set(await this.listTopics());
    const doomed = topics.filter((t) => existing.has(t));
    if (doomed.length === 0) return;
    for (const t of doomed) this.partitionCounts.delete(t);
    await admin.deleteTopics({ topics: doomed, timeout: 10000 }).catch((e: unknown) => {
      throw this.fail(e, `delete topics ${doomed.join(', ')}`);
    });
  }

  async listTopics(): Promise<string[]> {
    const admin = await this.admin();
    return admin.listTopics().catch((e: unknown) => {
      throw this.fail(e, 'list topics');
    });
  }

  async partitionCount(topic: string): Promise<number> {
    const admin = await this.admin();
    if (!(await this.listTopics()).includes(topic)) {
      throw new KafkaError('KAFKA_TOPIC_NOT_FOUND', `Topic "${topic}" does not exist on ${this.conn.brokers.join(',')}.`, {
        hint: 'Check the name, or create it (for example with `pitlane topic create`).',
      });
    }
    const md = await admin.fetchTopicMetadata({ topics: [topic] }).catch((e: unknown) => {
      throw this.fail(e, `describe topic ${topic}`);
    });
    return md.topics[0]?.partitions.length ?? 0;
  }

  /** Each partition's leader as host:port, by partitionKey; partitions without a leader are left out. */
  private async leaders(topics: readonly string[]): Promise<Map<string, string>> {
    const admin = await this.admin();
    const [cluster, md] = await Promise.all([admin.describeCluster(), admin.fetchTopicMetadata({ topics: [...topics] })]).catch((e: unknown) => {
      throw this.fail(e, `find the leaders of ${topics.join(', ')}`);
    });
    const address = new Map(cluster.brokers.map((b) => [b.nodeId, `${b.host}:${b.port}`]));
    const out = new Map<string, string>();
    for (const t of md.topics) {
      for (const p of t.partitions) {
        const a = address.get(p.leader);
        if (a !== undefined) out.set(partitionKey(t.name, p.partitionId), a);
      }
    }
    return out;
  }

  async watermarks(topic: string): Promise<PartitionWatermarks[]> {
    await this.partitionCount(topic);
    const admin = await this.admin();
    // Right after a topic is created, kafkajs can get a ListOffsets answer without the
    // partition (leadership not yet propagated) and fail with a TypeError inside
    // fetchTopicOffsets; that is transient, so it is retried a few times here.
    let offsets: Awaited<ReturnType<Admin['fetchTopicOffsets']>> | undefined;
    for (let attempt = 1; offsets === undefined; attempt++) {
      try {
        offsets = await admin.fetchTopicOffsets(topic);
      } catch (e) {
        if (!(e instanceof TypeError) || attempt >= 10) throw this.fail(e, `read watermarks of ${topic}`);
        await new Promise((r) => setTimeout(r, 100 * attempt));
      }
    }
    return offsets
      .map((o) => ({ partition: o.partition, low: Number(o.low), high: Number(o.high) }))
      .sort((a, b) => a.partition - b.partition);
  }

  async offsetsForTimestamp(topic: string, timestamp: number): Promise<TopicPartitionOffset[]> {
    await this.partitionCount(topic);
    const admin = await this.admin();
    const [found, marks] = await Promise.all([
      admin.fetchTopicOffsetsByTimestamp(topic, timestamp).catch((e: unknown) => {
        throw this.fail(e, `look up offsets of ${topic} at ${new Date(timestamp).toISOString()}`);
      }),
      this.watermarks(topic),
    ]);
    // Kafka answers -1 when no record is that late; the next offset (high watermark) is then right.
    return found
      .map((o) => {
        const off = Number(o.offset);
        const high = marks.find((m) => m.partition === o.partition)?.high ?? 0;
        return { topic, partition: o.partition, offset: off < 0 ? high : off };
      })
      .sort((a, b) => a.partition - b.partition);
  }

  async groupOffsets(groupId: string, topic: string): Promise<TopicPartitionOffset[]> {
    const admin = await this.admin();
    const res = await admin.fetchOffsets({ groupId, topics: [topic] }).catch((e: unknown) => {
      throw this.fail(e, `read offsets of group ${groupId}`);
    });
    return res
      .flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: Number(p.offset) })))
      .filter((o) => o.offset >= 0)
      .sort((a, b) => a.partition - b.partition);
  }

  async setGroupOffsets(groupId: string, offsets: readonly TopicPartitionOffset[]): Promise<void> {
    const admin = await this.admin();
    const byTopic = new Map<string, { partition: number; offset: string }[]>();
    for (const o of offsets) {
      const list = byTopic.get(o.topic) ?? [];
      list.push({ partition: o.partition, offset: String(o.offset) });
      byTopic.set(o.topic, list);
    }
    for (const [topic, partitions] of byTopic) {
      await admin.setOffsets({ groupId, topic, partitions }).catch((e: unknown) => {
        throw this.fail(e, `set offsets of group ${groupId} on ${topic}`);
      });
    }
  }

  async describeGroup(groupId: string): Promise<GroupDescription> {
    const admin = await this.admin();
    const res = await admin.describeGroups([groupId]).catch((e: unknown) => {
      throw this.fail(e, `describe group ${groupId}`);
    });
    const g = res.groups[0];
    return { groupId, state: g?.state ?? 'Dead', members: g?.members.length ?? 0 };
  }

  async listGroups(): Promise<string[]> {
    const admin = await this.admin();
    const res = await admin.listGroups().catch((e: unknown) => {
      throw this.fail(e, 'list groups');
    });
    return res.groups.map((g) => g.groupId);
  }

  async deleteGroups(groupIds: readonly string[]): Promise<void> {
    if (groupIds.length === 0) return;
    const admin = await this.admin();
    const existing = new Set(await this.listGroups());
    const doomed = groupIds.filter((g) => existing.has(g));
    if (doomed.length === 0) return;
    await admin.deleteGroups(doomed).catch((e: unknown) => {
      throw this.fail(e, `delete groups ${doomed.join(', ')}`);
    });
  }

  async ping(): Promise<{ brokers: number; controller: number | null; clusterId: string }> {
    const admin = await this.admin();
    const c = await admin.describeCluster().catch((e: unknown) => {
      throw this.fail(e, 'describe the cluster');
    });
    return { brokers: c.brokers.length, controller: c.controller, clusterId: c.clusterId };
  }

  /**
   * A closed port refuses further calls: reconnecting silently would open
   * connections nobody closes (a process that never exits).
   */
  private assertOpen(): void {
    if (this.closed) throw this.closedError();
  }

  private closedError(): KafkaError {
    return new KafkaError('KAFKA_CLIENT_CLOSED', 'This Kafka client was already closed.', {
      hint: 'This is a bug in the caller: use the client before closing it, or create a new one.',
    });
  }

  async close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = (async () => {
      // Readers still delete their throwaway groups through the admin client, so it closes last.
      await Promise.allSettled([...this.readers].map((r) => r.close()));
      await Promise.allSettled([...this.producers].map((p) => p.close()));
      this.closed = true;
      await this.disconnectShared();
    })();
    return this.closing;
  }

  private async disconnectShared(): Promise<void> {
    const [producer, admin] = await Promise.allSettled([this.sharedProducer, this.adminClient]);
    await Promise.allSettled([
      producer.status === 'fulfilled' ? producer.value?.disconnect() : undefined,
      admin.status === 'fulfilled' ? admin.value?.disconnect() : undefined,
    ]);
    this.sharedProducer = undefined;
    this.adminClient = undefined;
  }
}

async function sendWith(
  producer: Producer,
  topic: string,
  records: readonly OutgoingRecord[],
  fail: (e: unknown) => KafkaError,
): Promise<TopicPartitionOffset[]> {
  if (records.length === 0) return [];
  try {
    const res = await producer.send({ topic, messages: records.map(toMessage), acks: -1 });
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
