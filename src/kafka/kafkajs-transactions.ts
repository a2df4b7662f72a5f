/**
 * A transactional producer that rides through a broker outage (a restart) without
 * losing or duplicating a record.
 *
 * Why it is needed: kafkajs retries a request while the broker is unreachable,
 * but not the transaction coordinator lookup behind AddPartitionsToTxn and EndTxn
 * — that fails at once, and leaves the producer's transaction state machine where
 * the transaction can be neither committed nor aborted any more.
 *
 * What it does instead, when a send or a commit fails because Kafka cannot be
 * reached: it keeps the records of the open transaction; once the broker answers,
 * it builds a new producer with the same transactional id. Initialising it fences
 * the old one and settles the old transaction (Kafka completes a commit that was
 * already prepared, else aborts it). If the failure was in the commit, the first
 * record of the transaction, read back `read_committed`, says which of the two
 * happened. Unless it committed, the records are written again in a fresh
 * transaction (and committed, if a commit was asked). Downstream sees each record
 * once either way.
 *
 * Only for a writer that owns its transactional id alone (a job's output): the
 * rewrite happens without asking anyone. A shared id (the deployment store's
 * compare-and-append) must not use it.
 */
import './kafkajs-grouping.ts'; // first: before kafkajs' producer loads
import type { Message, Producer, RecordMetadata, Transaction as KafkaJsTransaction } from 'kafkajs';
import { describeUnknown, type KafkaError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { OutgoingRecord, ProducerHandle, SendOptions, TopicPartitionOffset, Transaction } from './port.ts';
import { isOutage } from './kafka-errors.ts';
import { kafkaJsCompressionOf } from './kafkajs-codecs.ts';
import { sleep } from '../clock.ts';

export interface RecoverableProducerDeps {
  /** A new kafkajs producer with the transactional id (not connected). */
  readonly create: () => Producer;
  readonly toMessage: (r: OutgoingRecord) => Message;
  /** A send outside a transaction, as the port's other producers do it. */
  readonly sendPlain: (p: Producer, topic: string, records: readonly OutgoingRecord[], options: SendOptions | undefined) => Promise<TopicPartitionOffset[]>;
  /** How long to keep trying to reach the broker before giving up. */
  readonly toleranceMs: number;
  readonly fail: (e: unknown, action: string) => KafkaError;
  /** Whether the record at this position is visible to a read_committed reader. */
  readonly committed: (marker: TopicPartitionOffset) => Promise<boolean>;
  readonly logger: Logger;
  readonly onClose: () => void;
  readonly now?: () => number;
}


function firstOffset(topic: string, md: readonly RecordMetadata[]): TopicPartitionOffset | undefined {
  const m = md.find((x) => x.baseOffset !== undefined && Number(x.baseOffset) >= 0);
  return m ? { topic, partition: m.partition, offset: Number(m.baseOffset) } : undefined;
}

export async function openRecoverableProducer(d: RecoverableProducerDeps): Promise<ProducerHandle> {
  const now = d.now ?? Date.now;
  const log = d.logger.child({ producer: 'transactional' });
  let producer = d.create();
  try {
    await producer.connect();
  } catch (e) {
    throw d.fail(e, 'connect a producer');
  }

  /** Retries `act` on a fresh producer while the broker is away, up to the tolerance. */
  async function withFreshProducer<T>(why: string, act: (p: Producer) => Promise<T>): Promise<T> {
    const deadline = now() + d.toleranceMs;
    for (let attempt = 1; ; attempt++) {
      await producer.disconnect().catch(() => undefined);
      producer = d.create();
      try {
        await producer.connect();
        return await act(producer);
      } catch (e) {
        if (!isOutage(e) || now() > deadline) throw d.fail(e, why);
        if (attempt === 1) log.warn({ err: describeUnknown(e) }, `Kafka is unreachable; retrying to ${why}`);
        await sleep(Math.min(2000, 250 * attempt));
      }
    }
  }

  async function begin(): Promise<KafkaJsTransaction> {
    try {
      return await producer.transaction();
    } catch (e) {
      if (!isOutage(e)) throw d.fail(e, 'begin a transaction');
      return withFreshProducer('begin a transaction', (p) => p.transaction());
    }
  }

  const handle: ProducerHandle = {
    send: (topic, records, options) => d.sendPlain(producer, topic, records, options),
    transaction: async (): Promise<Transaction> => {
      let tx = await begin();
      // The transaction's content, kept until it commits so it can be written again.
      const sends: { topic: string; records: readonly OutgoingRecord[]; options: SendOptions | undefined }[] = [];
      const offsets: { groupId: string; offsets: readonly TopicPartitionOffset[] }[] = [];
      let marker: TopicPartitionOffset | undefined;

      const write = async (t: KafkaJsTransaction, topic: string, records: readonly OutgoingRecord[], options: SendOptions | undefined) => {
        const md = await t.send({ topic, messages: records.map(d.toMessage), compression: kafkaJsCompressionOf(options) });
        marker ??= firstOffset(topic, md);
      };
      const writeOffsets = (t: KafkaJsTransaction, groupId: string, list: readonly TopicPartitionOffset[]) => {
        const byTopic = new Map<string, { partition: number; offset: string }[]>();
        for (const o of list) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), { partition: o.partition, offset: String(o.offset) }]);
        return t.sendOffsets({ consumerGroupId: groupId, topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) });
      };

      /**
       * After an outage: settle the interrupted transaction (a new producer with the
       * same id does), then, unless it committed, write its content again in a new
       * one — committed too when `commit` is set.
       */
      const recover = (commit: boolean, cause: unknown) => {
        // Without a written record to look for, a commit's outcome cannot be told (offsets alone are safe to repeat).
        if (commit && marker === undefined && sends.length > 0) throw d.fail(cause, 'commit a transaction (its outcome cannot be told)');
        return withFreshProducer(commit ? 'commit a transaction' : 'produce in a transaction', async (p) => {
          const t = await p.transaction();
          if (commit && marker !== undefined && (await d.committed(marker))) {
            log.warn({ marker }, 'the interrupted transaction had committed; continuing');
            tx = t;
            return true;
          }
          marker = undefined;
          for (const s of sends) await write(t, s.topic, s.records, s.options);
          for (const o of offsets) await writeOffsets(t, o.groupId, o.offsets);
          tx = t;
          if (commit) await t.commit();
          log.warn({ records: sends.reduce((n, s) => n + s.records.length, 0), committed: commit }, 'the interrupted transaction was written again');
          return commit;
        });
      };

      return {
        send: async (topic, records, options) => {
          if (records.length === 0) return;
          sends.push({ topic, records, options });
          try {
            await write(tx, topic, records, options);
          } catch (e) {
            if (!isOutage(e)) throw d.fail(e, `produce to ${topic} in a transaction`);
            await recover(false, e);
          }
        },
        sendOffsets: async (groupId, list) => {
          offsets.push({ groupId, offsets: list });
          try {
            await writeOffsets(tx, groupId, list);
          } catch (e) {
            if (!isOutage(e)) throw d.fail(e, `commit offsets of ${groupId} in a transaction`);
            await recover(false, e);
          }
        },
        commit: async () => {
          try {
            await tx.commit();
          } catch (e) {
            if (!isOutage(e)) throw d.fail(e, 'commit a transaction');
            await recover(true, e);
          }
        },
        abort: () =>
          tx.abort().catch((e: unknown) => {
            throw d.fail(e, 'abort a transaction');
          }),
      };
    },
    close: async () => {
      d.onClose();
      await producer.disconnect();
    },
  };
  return handle;
}
