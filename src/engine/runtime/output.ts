/**
 * Where a running job's output goes: every sink and the dead-letter topic write
 * through ONE output channel, so that in exactly-once mode a single Kafka
 * transaction covers all of a job's output between two commit points.
 *
 * - at-least-once: an idempotent producer; each flush is written at once. After a
 *   crash, output written after the restored checkpoint is written again.
 * - exactly-once: a transactional producer. A transaction is always open; output is
 *   sent into it and becomes visible to read_committed readers only when the runner
 *   commits it at a commit point (checkpoint, savepoint, stop). Opening the channel
 *   initialises the transactional id, which fences any earlier producer with the same
 *   id and aborts the transaction it left open (a process killed mid-interval).
 */
import type { KafkaPort, OutgoingRecord, ProducerHandle, Transaction } from '../../kafka/port.ts';

export interface OutputChannel {
  readonly mode: 'at-least-once' | 'exactly-once';
  send(topic: string, records: readonly OutgoingRecord[]): Promise<void>;
  /**
   * Ends the current unit of output. `before` runs first with the open transaction
   * (exactly-once) so that it can add what must commit atomically with the output.
   */
  commit(before?: (tx: Transaction | undefined) => Promise<void>): Promise<void>;
  /** Discards uncommitted output (exactly-once) and closes the producer. */
  abort(): Promise<void>;
  close(): Promise<void>;
}

export async function openAtLeastOnceOutput(kafka: KafkaPort): Promise<OutputChannel> {
  const producer = await kafka.createProducer({ idempotent: true });
  return {
    mode: 'at-least-once',
    send: async (topic, records) => void (await producer.send(topic, records)),
    commit: async (before) => {
      await before?.(undefined);
    },
    abort: () => producer.close(),
    close: () => producer.close(),
  };
}

/**
 * Opens a transactional output and its first transaction. Resolves only after the
 * broker has fenced the predecessor with the same transactional id and finished
 * aborting (or committing) its last transaction, so what the caller reads from Kafka
 * afterwards (e.g. the committed checkpoint id) is settled.
 */
export async function openExactlyOnceOutput(kafka: KafkaPort, transactionalId: string): Promise<OutputChannel> {
  const producer: ProducerHandle = await kafka.createProducer({ transactionalId });
  let tx: Transaction | undefined;
  try {
    tx = await producer.transaction();
  } catch (e) {
    await producer.close().catch(() => undefined);
    throw e;
  }
  let closed = false;
  const current = (): Transaction => {
    if (!tx) throw new Error('the output channel is closed');
    return tx;
  };
  return {
    mode: 'exactly-once',
    send: (topic, records) => current().send(topic, records),
    async commit(before) {
      const t = current();
      await before?.(t);
      tx = undefined;
      await t.commit();
      if (!closed) tx = await producer.transaction();
    },
    async abort() {
      closed = true;
      const t = tx;
      tx = undefined;
      if (t) await t.abort().catch(() => undefined);
      await producer.close().catch(() => undefined);
    },
    async close() {
      closed = true;
      // An open transaction at close holds nothing committed-worthy: the runner
      // commits at its final commit point before closing; anything else is discarded.
      const t = tx;
      tx = undefined;
      if (t) await t.abort().catch(() => undefined);
      await producer.close();
    },
  };
}
