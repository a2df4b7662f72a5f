/**
 * The admin side of the kafkajs port, as kafkajs' own admin client is: topics,
 * offsets and watermarks, consumer groups, partition leaders, the cluster.
 */
import './kafkajs-grouping.ts'; // first: before kafkajs' producer loads
import type { Admin } from 'kafkajs';
import { KafkaError } from '../errors.ts';
import { partitionKey } from './partition-key.ts';
import { closedError, type KafkaJsContext } from './kafkajs-client.ts';
import type { GroupDescription, PartitionWatermarks, TopicPartitionOffset, TopicSpec } from './port.ts';
import { sleep } from '../clock.ts';
import { commitGroupOffsets } from './group-commit.ts';
import { everyPartition } from './metadata-race.ts';

/** kafkajs' ConfigResourceTypes.TOPIC (its CommonJS export is not visible to an ES import by name). */
const TOPIC_RESOURCE = 2;

export class KafkaJsAdmin {
  private adminClient: Promise<Admin> | undefined;
  /** Partition counts the producers have looked up, kept until the topic is deleted. */
  private readonly partitionCounts = new Map<string, number>();

  constructor(private readonly ctx: KafkaJsContext) {}

  /**
   * The admin client, connected once. The promise (not the client) is memoized so
   * concurrent first calls share one connection instead of racing to open several,
   * of which all but one would never be closed.
   */
  client(): Promise<Admin> {
    if (this.ctx.isClosed()) return Promise.reject(closedError());
    this.adminClient ??= (async () => {
      const admin = this.ctx.kafka.admin();
      try {
        await admin.connect();
      } catch (e) {
        this.adminClient = undefined;
        throw this.ctx.fail(e, 'connect the admin client');
      }
      return admin;
    })();
    return this.adminClient;
  }

  async createTopics(specs: readonly TopicSpec[]): Promise<void> {
    const admin = await this.client();
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
        const err = this.ctx.fail(e, what);
        if (err.code !== 'KAFKA_TOPIC_NOT_FOUND' || attempt >= 5) throw err;
        await sleep(200 * attempt);
      }
    }
  }

  async deleteTopics(topics: readonly string[]): Promise<void> {
    if (topics.length === 0) return;
    const admin = await this.client();
    const existing = new Set(await this.listTopics());
    const doomed = topics.filter((t) => existing.has(t));
    if (doomed.length === 0) return;
    for (const t of doomed) this.partitionCounts.delete(t);
    await admin.deleteTopics({ topics: doomed, timeout: 10000 }).catch((e: unknown) => {
      throw this.ctx.fail(e, `delete topics ${doomed.join(', ')}`);
    });
  }

  async topicConfig(topic: string, names: readonly string[]): Promise<Record<string, string>> {
    await this.partitionCount(topic);
    const admin = await this.client();
    const r = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: TOPIC_RESOURCE, name: topic, configNames: [...names] }] }).catch((e: unknown) => {
      throw this.ctx.fail(e, `describe the config of topic ${topic}`);
    });
    const out: Record<string, string> = {};
    for (const e of r.resources[0]?.configEntries ?? []) out[e.configName] = e.configValue;
    return out;
  }

  async listTopics(): Promise<string[]> {
    const admin = await this.client();
    return admin.listTopics().catch((e: unknown) => {
      throw this.ctx.fail(e, 'list topics');
    });
  }

  async partitionCount(topic: string): Promise<number> {
    const admin = await this.client();
    if (!(await this.listTopics()).includes(topic)) {
      throw new KafkaError('KAFKA_TOPIC_NOT_FOUND', `Topic "${topic}" does not exist on ${this.ctx.conn.brokers.join(',')}.`, {
        hint: 'Check the name, or create it (for example with `pitlane topic create`).',
      });
    }
    const md = await admin.fetchTopicMetadata({ topics: [topic] }).catch((e: unknown) => {
      throw this.ctx.fail(e, `describe topic ${topic}`);
    });
    return md.topics[0]?.partitions.length ?? 0;
  }

  /** partitionCount, looked up once per topic (until deleteTopics removes it). */
  async knownPartitionCount(topic: string): Promise<number> {
    let count = this.partitionCounts.get(topic);
    if (count === undefined) {
      count = await this.partitionCount(topic);
      this.partitionCounts.set(topic, count);
    }
    return count;
  }

  /** Each partition's leader as host:port, by partitionKey; partitions without a leader are left out. */
  async leaders(topics: readonly string[]): Promise<Map<string, string>> {
    const admin = await this.client();
    const [cluster, md] = await Promise.all([admin.describeCluster(), admin.fetchTopicMetadata({ topics: [...topics] })]).catch((e: unknown) => {
      throw this.ctx.fail(e, `find the leaders of ${topics.join(', ')}`);
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
    const count = await this.partitionCount(topic);
    const admin = await this.client();
    // kafkajs lists the partitions from its metadata cache, which a concurrent call can
    // leave without this topic: checked against the count (metadata-race.ts).
    const what = `read watermarks of ${topic}`;
    const offsets = await everyPartition(count, () => admin.fetchTopicOffsets(topic), what, (e) => this.ctx.fail(e, what));
    return offsets
      .map((o) => ({ partition: o.partition, low: Number(o.low), high: Number(o.high) }))
      .sort((a, b) => a.partition - b.partition);
  }

  async offsetsForTimestamp(topic: string, timestamp: number): Promise<TopicPartitionOffset[]> {
    const count = await this.partitionCount(topic);
    const admin = await this.client();
    const what = `look up offsets of ${topic} at ${new Date(timestamp).toISOString()}`;
    const [found, marks] = await Promise.all([
      everyPartition(count, () => admin.fetchTopicOffsetsByTimestamp(topic, timestamp), what, (e) => this.ctx.fail(e, what)),
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
    const admin = await this.client();
    // A group's coordinator may be moving or still loading (NOT_COORDINATOR right after a
    // group first commits); kafkajs' fetchOffsets does not retry that, so it is retried here.
    // Asked without topics: the coordinator answers with every partition the group has
    // committed. With topics, kafkajs asks only about the partitions its metadata cache
    // lists, and a concurrent call can leave that cache without the topic: the answer
    // then silently lacks the group's commits (metadata-race.ts).
    let res: Awaited<ReturnType<Admin['fetchOffsets']>> | undefined;
    for (let attempt = 1; !res; attempt++) {
      res = await admin.fetchOffsets({ groupId }).catch(async (e: unknown) => {
        const err = this.ctx.fail(e, `read offsets of group ${groupId}`);
        if (!err.retriable || attempt >= 5) throw err;
        await sleep(200 * attempt);
        return undefined;
      });
    }
    return res
      .filter((t) => t.topic === topic)
      .flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: Number(p.offset) })))
      .filter((o) => o.offset >= 0)
      .sort((a, b) => a.partition - b.partition);
  }

  async setGroupOffsets(groupId: string, offsets: readonly TopicPartitionOffset[]): Promise<void> {
    const { conn } = this.ctx;
    // Plaintext: one OffsetCommit, as Kafka's AdminClient does (group-commit.ts), not kafkajs' join-and-fetch.
    if (!conn.ssl && !conn.sasl) {
      await commitGroupOffsets(groupId, offsets, conn).catch((e: unknown) => {
        throw e instanceof KafkaError ? e : this.ctx.fail(e, `set offsets of group ${groupId}`);
      });
      return;
    }
    const admin = await this.client();
    const byTopic = new Map<string, { partition: number; offset: string }[]>();
    for (const o of offsets) {
      const list = byTopic.get(o.topic) ?? [];
      list.push({ partition: o.partition, offset: String(o.offset) });
      byTopic.set(o.topic, list);
    }
    for (const [topic, partitions] of byTopic) {
      await admin.setOffsets({ groupId, topic, partitions }).catch((e: unknown) => {
        throw this.ctx.fail(e, `set offsets of group ${groupId} on ${topic}`);
      });
    }
  }

  async describeGroup(groupId: string): Promise<GroupDescription> {
    const admin = await this.client();
    const res = await admin.describeGroups([groupId]).catch((e: unknown) => {
      throw this.ctx.fail(e, `describe group ${groupId}`);
    });
    const g = res.groups[0];
    return { groupId, state: g?.state ?? 'Dead', members: g?.members.length ?? 0 };
  }

  async listGroups(): Promise<string[]> {
    const admin = await this.client();
    const res = await admin.listGroups().catch((e: unknown) => {
      throw this.ctx.fail(e, 'list groups');
    });
    return res.groups.map((g) => g.groupId);
  }

  async deleteGroups(groupIds: readonly string[]): Promise<void> {
    if (groupIds.length === 0) return;
    const admin = await this.client();
    const existing = new Set(await this.listGroups());
    const doomed = groupIds.filter((g) => existing.has(g));
    if (doomed.length === 0) return;
    await admin.deleteGroups(doomed).catch((e: unknown) => {
      throw this.ctx.fail(e, `delete groups ${doomed.join(', ')}`);
    });
  }

  async ping(): Promise<{ brokers: number; controller: number | null; clusterId: string }> {
    const admin = await this.client();
    const c = await admin.describeCluster().catch((e: unknown) => {
      throw this.ctx.fail(e, 'describe the cluster');
    });
    return { brokers: c.brokers.length, controller: c.controller, clusterId: c.clusterId };
  }

  /** Disconnects the admin client if one was opened: the port's last step in closing (it ignores a failure). */
  async disconnect(): Promise<void> {
    const [admin] = await Promise.allSettled([this.adminClient]);
    try {
      if (admin.status === 'fulfilled') await admin.value?.disconnect();
    } finally {
      this.adminClient = undefined;
    }
  }
}
