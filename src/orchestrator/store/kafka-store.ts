/**
 * The default store: a compacted Kafka topic (`pitlane.deployments`), so every
 * pitlane process that reaches the cluster sees the same deployments and the
 * orchestrator keeps no state of its own.
 *
 * Records, written together in one transaction per append:
 * - key `deployment/<name>` → the full latest record (compaction keeps the last);
 * - key `transition/<name>/<revision>` → the transition entry (distinct keys, so
 *   compaction keeps the whole history).
 * Both go to one partition chosen by the name, so one deployment's writes are
 * totally ordered.
 * - key `savepoint/<id>` → an entry of the savepoint history (a tombstone once it
 *   is disposed of), on the partition its key chooses. A deployment's savepoints
 *   are written in the transaction of the step that took them; any other entry is
 *   written alone and whole: no transaction is needed for a last-writer-wins entry
 *   nobody reads-then-writes.
 *
 * - key `notify/<name>/<id>` → an entry of the deployment's notify log (the last
 *   outcome of one webhook delivery), written alone like a savepoint entry.
 *
 * How two orchestrators are kept from double-promoting: each append uses a
 * transactional producer whose transactional.id is per deployment
 * (`pitlane.store.<topic>.<name>`). Beginning the transaction (InitProducerId)
 * bumps the producer epoch, which fences any other process appending to the
 * same deployment: its open transaction is aborted and its next send or commit
 * fails. Only after fencing does the writer read the topic to its end
 * (read_committed) and compare revisions; it commits only if its entry is
 * current + 1. So a compare-and-append either sees every committed write, or is
 * fenced by the writer that made it — no interleaving lets both succeed.
 */
import { KafkaError, StoreError } from '../../errors.ts';
import type { KafkaPort } from '../../kafka/port.ts';
import type { Deployment, TransitionEntry } from '../lifecycle/model.ts';
import type { SavepointRecord } from '../savepoints/record.ts';
import type { NotificationRecord } from '../notify/record.ts';
import { checkEntry, staleRevision, type DeploymentStore } from './port.ts';
import { sleep } from '../../clock.ts';

export const DEFAULT_STORE_TOPIC = 'pitlane.deployments';
const SAVEPOINT_KEY = 'savepoint/';
const NOTIFY_KEY = 'notify/';

export interface KafkaStoreOptions {
  readonly topic?: string;
  readonly partitions?: number;
  /** Test seam: runs after the compare read and before the write of an append. */
  readonly afterRead?: (entry: TransitionEntry) => Promise<void>;
}

interface Snapshot {
  readonly latest: Map<string, Deployment>;
  readonly history: Map<string, TransitionEntry[]>;
}

export class KafkaDeploymentStore implements DeploymentStore {
  readonly description: string;
  private readonly topic: string;
  private ready: Promise<number> | undefined;

  constructor(private readonly kafka: KafkaPort, private readonly options: KafkaStoreOptions = {}) {
    this.topic = options.topic ?? DEFAULT_STORE_TOPIC;
    this.description = `kafka:${this.topic}`;
  }

  /** Creates the compacted topic on first use; resolves to its partition count. */
  private ensureTopic(): Promise<number> {
    this.ready ??= (async () => {
      const exists = (await this.kafka.listTopics()).includes(this.topic);
      if (!exists) {
        await this.kafka
          .createTopics([{ topic: this.topic, partitions: this.options.partitions ?? 1, config: { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '60000' } }])
          .catch((e: unknown) => {
            // Another process may have created it in between.
            if (!(e instanceof KafkaError) || !/exist/i.test(e.message)) throw e;
          });
      }
      return this.kafka.partitionCount(this.topic);
    })().catch((e: unknown) => {
      this.ready = undefined;
      throw e;
    });
    return this.ready;
  }

  /** A stable hash of the name (any stable one will do: it only has to agree between processes). */
  private partitionOf(name: string, count: number): number {
    let h = 0;
    for (const c of Buffer.from(name)) h = (Math.imul(h, 31) + c) >>> 0;
    return h % count;
  }

  /** Reads partitions to their end (read_committed), oldest first, and hands each record with a value or a tombstone to `fold`. */
  private async scan(partition: number | undefined, fold: (key: string, value: Buffer | null) => void): Promise<void> {
    const count = await this.ensureTopic();
    const partitions = partition === undefined ? undefined : [{ topic: this.topic, partition }];
    const marks = await this.kafka.watermarks(this.topic);
    const wanted = marks.filter((m) => (partition === undefined || m.partition === partition) && m.high > m.low);
    if (wanted.length === 0 || count === 0) return;
    const reader = this.kafka.read({ topics: [this.topic], from: 'earliest', to: 'end', isolation: 'read_committed', ...(partitions ? { partitions } : {}) });
    for await (const batch of reader) for (const r of batch.records) fold(r.key?.toString() ?? '', r.value);
  }

  /** Folds partitions into the latest state of each deployment and its history. */
  private async read(partition?: number): Promise<Snapshot> {
    const latest = new Map<string, Deployment>();
    const history = new Map<string, TransitionEntry[]>();
    await this.scan(partition, (key, value) => {
      if (value === null) return;
      if (key.startsWith('deployment/')) {
        const d = JSON.parse(value.toString()) as Deployment;
        latest.set(d.name, d);
      } else if (key.startsWith('transition/')) {
        const t = JSON.parse(value.toString()) as TransitionEntry;
        const list = history.get(t.name) ?? [];
        list.push(t);
        history.set(t.name, list);
      }
    });
    return { latest, history };
  }

  async savepoints(): Promise<SavepointRecord[]> {
    const entries = new Map<string, SavepointRecord>();
    await this.scan(undefined, (key, value) => {
      if (!key.startsWith(SAVEPOINT_KEY)) return;
      if (value === null) entries.delete(key);
      else entries.set(key, JSON.parse(value.toString()) as SavepointRecord);
    });
    return [...entries.values()];
  }

  async putSavepoint(record: SavepointRecord): Promise<void> {
    await this.writeAlone(`${SAVEPOINT_KEY}${record.id}`, JSON.stringify(record), `write the savepoint history entry ${record.id}`, '`pitlane savepoint list` shows what the history holds');
  }

  async removeSavepoint(id: string): Promise<void> {
    await this.writeAlone(`${SAVEPOINT_KEY}${id}`, null, `remove the savepoint history entry ${id}`, '`pitlane savepoint list` shows what the history holds');
  }

  async notifications(name: string): Promise<NotificationRecord[]> {
    const prefix = `${NOTIFY_KEY}${name}/`;
    const entries = new Map<string, NotificationRecord>();
    await this.scan(undefined, (key, value) => {
      if (!key.startsWith(prefix)) return;
      if (value === null) entries.delete(key);
      else entries.set(key, JSON.parse(value.toString()) as NotificationRecord);
    });
    return [...entries.values()];
  }

  async putNotification(record: NotificationRecord): Promise<void> {
    await this.writeAlone(`${NOTIFY_KEY}${record.deployment}/${record.id}`, JSON.stringify(record), `record the webhook delivery ${record.id}`, 'the delivery is owed again and the next process that resumes the deployment retries it');
  }

  /** One entry (or its tombstone), acknowledged by every in-sync replica before it returns, so the next read sees it. */
  private async writeAlone(key: string, value: string | null, what: string, then: string): Promise<void> {
    const count = await this.ensureTopic();
    try {
      await this.kafka.produce(this.topic, [{ key, value, partition: this.partitionOf(key, count) }]);
    } catch (e) {
      throw new StoreError('STORE_WRITE_FAILED', `Could not ${what} in ${this.description}: ${(e as Error).message}`, {
        retriable: true,
        cause: e,
        hint: `The broker is unreachable or refuses the write; retry when it answers (${then}).`,
      });
    }
  }

  async load(name: string): Promise<Deployment | undefined> {
    const count = await this.ensureTopic();
    return (await this.read(this.partitionOf(name, count))).latest.get(name);
  }

  async list(): Promise<Deployment[]> {
    return [...(await this.read()).latest.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  async history(name: string): Promise<TransitionEntry[]> {
    const count = await this.ensureTopic();
    const list = (await this.read(this.partitionOf(name, count))).history.get(name) ?? [];
    return list.sort((a, b) => a.revision - b.revision);
  }

  async append(entry: TransitionEntry, savepoints: readonly SavepointRecord[] = []): Promise<void> {
    checkEntry(entry);
    const count = await this.ensureTopic();
    const partition = this.partitionOf(entry.name, count);
    const producer = await this.kafka.createProducer({ transactionalId: `pitlane.store.${this.topic}.${entry.name}` });
    try {
      // Fence first (InitProducerId happens when the transaction begins), then read.
      const tx = await producer.transaction();
      let committed = false;
      try {
        const before = (await this.kafka.watermarks(this.topic)).find((m) => m.partition === partition)?.high ?? 0;
        const current = (await this.read(partition)).latest.get(entry.name)?.revision ?? 0;
        if (entry.revision !== current + 1) throw staleRevision(entry.name, entry.revision, current, this.description);
        await this.options.afterRead?.(entry);
        const headers = { 'pitlane.revision': String(entry.revision) };
        await tx.send(this.topic, [
          { key: `transition/${entry.name}/${String(entry.revision).padStart(10, '0')}`, value: JSON.stringify(entry), headers, partition },
          { key: `deployment/${entry.name}`, value: JSON.stringify(entry.record), headers, partition },
          ...savepoints.map((r) => ({ key: `${SAVEPOINT_KEY}${r.id}`, value: JSON.stringify(r), partition: this.partitionOf(`${SAVEPOINT_KEY}${r.id}`, count) })),
        ]);
        await tx.commit();
        committed = true;
        await this.awaitVisible(partition, before);
      } finally {
        if (!committed) await tx.abort().catch(() => undefined);
      }
    } catch (e) {
      if (e instanceof StoreError) throw e;
      // Fenced: another orchestrator began an append of this deployment meanwhile, so
      // ours was aborted. The same race as a stale revision, and answered the same way:
      // reload and judge the command again against what the other wrote.
      if (e instanceof KafkaError && e.code === 'KAFKA_PRODUCER_FENCED') {
        throw new StoreError('STORE_STALE_REVISION', `Revision ${entry.revision} of ${entry.name} was not appended to ${this.description}: another orchestrator began an append of the same deployment at the same time and fenced this one.`, {
          retriable: true,
          cause: e,
          hint: 'Reload the deployment and retry; the command is judged again against what the other one wrote.',
        });
      }
      throw new StoreError('STORE_WRITE_FAILED', `Could not append revision ${entry.revision} of ${entry.name} to ${this.description}: ${(e as Error).message}`, {
        retriable: true,
        cause: e,
        hint: 'Another orchestrator may have fenced this one, or the broker is unreachable. Reload the deployment and retry; the append either happened completely or not at all.',
      });
    } finally {
      await producer.close().catch(() => undefined);
    }
  }

  /**
   * Read-your-writes: right after a commit (notably on a just-created topic) the
   * partition's high watermark may not include it yet, and a read "to the end"
   * would miss it. Waits until the two records and the commit marker are visible.
   */
  private async awaitVisible(partition: number, before: number): Promise<void> {
    for (let i = 0; i < 500; i++) {
      const high = (await this.kafka.watermarks(this.topic)).find((m) => m.partition === partition)?.high ?? 0;
      if (high >= before + 3) return;
      await sleep(10);
    }
  }

  async close(): Promise<void> {}
}
