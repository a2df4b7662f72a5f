/**
 * Where a running job's output goes: every sink and the dead-letter topic write
 * through ONE output channel, so that in exactly-once mode a single Kafka
 * transaction covers all of a job's output between two commit points.
 *
 * - at-least-once: an idempotent producer; each flush is written as it comes. After a
 *   crash, output written after the restored checkpoint is written again.
 * - exactly-once: a transactional producer. A transaction is always open; output is
 *   sent into it and becomes visible to read_committed readers only when the runner
 *   commits it at a commit point (checkpoint, savepoint, stop). Opening the channel
 *   initialises the transactional id, which fences any earlier producer with the same
 *   id and aborts the transaction it left open (a process killed mid-interval).
 *
 * Sends are written in the background (send-pipeline.ts): one request at a time, in
 * call order, coalescing what waits meanwhile, so the job processes on while its
 * output travels (`queue`; `send` also waits for the write). Commits run one at a
 * time in call order, and each takes exactly the sends called before it (kafkajs
 * itself lets a commit overtake a send still in flight): a commit begins only once
 * every earlier send has settled, and a send called during a commit goes into the
 * next transaction. And once a send has failed, the unit of output it
 * belongs to never commits: committing would publish the rest of the unit without
 * the failed records, and the job's state already counts them. The commit is refused;
 * the caller stops and aborts, and recovery replays the unit from the last checkpoint.
 */
import type { KafkaPort, OutgoingRecord, ProducerHandle, SendOptions, Transaction } from '../../kafka/port.ts';
import { JobFailedError, describeUnknown, isPitlaneError } from '../../errors.ts';
import { sleep } from '../../clock.ts';
import { SendPipeline } from './send-pipeline.ts';

/** The output guarantee of a job's sink: Kafka transactions committed at commit points, or an idempotent producer. */
export type DeliveryMode = 'exactly-once' | 'at-least-once';

export interface OutputChannel {
  readonly mode: DeliveryMode;
  /** Writes records after every earlier send; resolves once they are in Kafka (exactly-once: in the open transaction). */
  send(topic: string, records: readonly OutgoingRecord[], options?: SendOptions): Promise<void>;
  /**
   * Queues records to be written after every earlier send, and resolves once queued
   * (at once unless many wait): the job processes on while they are written. A write
   * that fails fails every later send, queue and commit (send-pipeline.ts).
   */
  queue(topic: string, records: readonly OutgoingRecord[], options?: SendOptions): Promise<void>;
  /**
   * Ends the current unit of output, after every send called before it. `before`
   * runs first with the open transaction (exactly-once) so that it can add what must
   * commit atomically with the output. Rejects, committing nothing, once a send of
   * the unit has failed.
   */
  commit(before?: (tx: Transaction | undefined) => Promise<void>): Promise<void>;
  /** Discards uncommitted output (exactly-once) and closes the producer, without waiting for calls in flight. */
  abort(): Promise<void>;
  /** Closes after the calls already made; output not committed by then is discarded. */
  close(): Promise<void>;
}

/** Runs calls one at a time in call order; a failed call does not stop the ones after it. */
function serial(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (fn) => {
    const p = tail.then(fn);
    tail = p.catch(() => undefined);
    return p;
  };
}

const sendFailed = (unit: string, cause: unknown) =>
  new JobFailedError('ENGINE_OUTPUT_FAILED', `A write of ${unit} failed (${describeUnknown(cause)}), so it cannot be committed: that would lose the records of the failed write.`, {
    hint: 'The job stops and its uncommitted output is discarded; start the same command again to resume from the last committed checkpoint.',
    cause,
  });

export async function openAtLeastOnceOutput(kafka: KafkaPort): Promise<OutputChannel> {
  const producer = await kafka.createProducer({ idempotent: true });
  const commits = serial();
  const pipe = new SendPipeline(async (topic, records, options) => void (await producer.send(topic, records, options)), (e) => sendFailed('the output since the last checkpoint', e));
  return {
    mode: 'at-least-once',
    send: (topic, records, options) => pipe.send(topic, records, options),
    queue: (topic, records, options) => pipe.queue(topic, records, options),
    // A checkpoint (written in `before`) must never cover output that did not reach Kafka.
    commit: (before) => {
      const upTo = pipe.boundary();
      return commits(async () => {
        try {
          await pipe.flushed(upTo);
          await before?.(undefined);
        } finally {
          pipe.release();
        }
      });
    },
    abort: async () => {
      pipe.stop(closedError('at-least-once output'));
      await producer.close();
    },
    close: () => {
      const upTo = pipe.boundary();
      return commits(async () => {
        await pipe.flushed(upTo).catch(() => undefined);
        pipe.stop(closedError('at-least-once output'));
        pipe.release();
        await producer.close();
      });
    },
  };
}

const closedError = (what: string) =>
  new JobFailedError('ENGINE_OUTPUT_CLOSED', `The output ${what} is closed, or its last commit failed; nothing more can be written.`, {
    hint: 'This job instance cannot write any more; start the same command again to resume from the last committed checkpoint.',
  });

/**
 * The first transaction initialises the transactional id. While the broker is still
 * aborting the fenced predecessor's transaction it answers CONCURRENT_TRANSACTIONS,
 * which kafkajs retries for about 3 s only; a loaded broker can take longer.
 */
async function firstTransaction(producer: ProducerHandle, attempts = 6): Promise<Transaction> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await producer.transaction();
    } catch (e) {
      if (attempt >= attempts || !(isPitlaneError(e) && e.retriable)) throw e;
      await sleep(250 * attempt);
    }
  }
}

/**
 * Opens a transactional output and its first transaction. Resolves only after the
 * broker has fenced the predecessor with the same transactional id and finished
 * aborting (or committing) its last transaction, so what the caller reads from Kafka
 * afterwards (e.g. the committed checkpoint id) is settled.
 */
export async function openExactlyOnceOutput(kafka: KafkaPort, transactionalId: string): Promise<OutputChannel> {
  // A job's output owns its transactional id alone, so an outage-interrupted
  // transaction may be written again (src/kafka/kafkajs-transactions.ts); only where
  // the connection tolerates outages (managed jobs), else a failure as before.
  const producer: ProducerHandle = await kafka.createProducer({ transactionalId, replayOnOutage: true });
  let tx: Transaction | undefined;
  try {
    tx = await firstTransaction(producer);
  } catch (e) {
    await producer.close().catch(() => undefined);
    throw e;
  }
  const commits = serial();
  let closed = false;
  const open = (): Transaction => {
    if (!tx || closed) throw closedError(`exactly-once output ${transactionalId}`);
    return tx;
  };
  // A failed send dooms its transaction: writing more into it would be wasted.
  const pipe = new SendPipeline((topic, records, options) => open().send(topic, records, options), (e) => (isPitlaneError(e) && e.code === 'ENGINE_OUTPUT_CLOSED' ? e : sendFailed(`transaction ${transactionalId}`, e)));
  return {
    mode: 'exactly-once',
    send: (topic, records, options) => (closed ? Promise.reject(closedError(`exactly-once output ${transactionalId}`)) : pipe.send(topic, records, options)),
    queue: async (topic, records, options) => {
      if (closed) throw closedError(`exactly-once output ${transactionalId}`);
      await pipe.queue(topic, records, options);
    },
    commit: (before) => {
      const upTo = pipe.boundary();
      return commits(async () => {
        try {
          await pipe.flushed(upTo);
          const t = open();
          await before?.(t);
          // No transaction is open until the next one begins: if ending this one fails,
          // nothing more can be written (the job must restart and recover).
          tx = undefined;
          await t.commit();
          if (!closed) tx = await producer.transaction();
        } finally {
          pipe.release();
        }
      });
    },
    async abort() {
      closed = true;
      pipe.stop(closedError(`exactly-once output ${transactionalId}`));
      const t = tx;
      tx = undefined;
      if (t) await t.abort().catch(() => undefined);
      await producer.close().catch(() => undefined);
    },
    close: () => {
      pipe.boundary();
      return commits(async () => {
        closed = true;
        pipe.stop(closedError(`exactly-once output ${transactionalId}`));
        pipe.release();
        // An open transaction at close holds nothing committed-worthy: the runner
        // commits at its final commit point before closing; anything else is discarded.
        const t = tx;
        tx = undefined;
        if (t) await t.abort().catch(() => undefined);
        await producer.close();
      });
    },
  };
}
