/**
 * A KafkaPort decorator that gives the embedded adapter two controls over a job
 * running on the unchanged engine, without touching the engine's runtime:
 *
 * - **Input gate** ("run until these offsets, then hold"): every reader the job
 *   opens delivers records only below a per-partition limit. Records at or past
 *   the limit are kept back, in order, until the limit rises or is lifted. Other
 *   partitions keep flowing meanwhile, so one held partition never blocks the rest.
 *   Because the engine only ever sees records below the limit, its source
 *   positions — and therefore its state and its output — stop exactly there.
 * - **Output observation**: every send through producers the job creates records
 *   when output last (and first, per topic) reached a topic. That is what the pit
 *   stop is measured from: the old job's last write and the new sink's first.
 *
 * This is the real Kafka client underneath; nothing is faked.
 */
import type { IncomingRecord, KafkaPort, ProducerHandle, ProducerOptions, ReadOptions, RecordBatch, RecordReader, TopicPartitionOffset } from '../../../kafka/port.ts';
import { partitionKey } from '../../../kafka/partition-key.ts';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

export interface OutputTimes {
  /**
   * Epoch ms of the first and last output per topic that a read_committed reader
   * can see: a completed send, or for a transactional producer the commit of the
   * transaction that carried it.
   */
  readonly first: Map<string, number>;
  readonly last: Map<string, number>;
  /** Epoch ms of the first send per topic into a transaction, committed or not (when to commit early). */
  readonly sent?: Map<string, number>;
  /** Called once per topic, at its first send into a transaction. */
  onFirstSend?: (topic: string) => void;
  records: number;
}

export class InputGate {
  /** undefined: no gate. Otherwise a partition without an entry is held at 0 records more. */
  private limits: Map<string, number> | undefined;
  /** Next offset handed to the engine per partition (what it has been given, processed or not). */
  readonly delivered = new Map<string, TopicPartitionOffset>();
  private signal = deferred();

  /** Holds every partition at exactly what has been delivered so far. */
  holdHere(): TopicPartitionOffset[] {
    const here = [...this.delivered.values()].map((p) => ({ ...p }));
    this.limits = new Map(here.map((p) => [partitionKey(p.topic, p.partition), p.offset]));
    this.changed();
    return here;
  }

  /** Lets partitions run up to (excluding) `offsets`; partitions not listed keep their current limit. */
  runUntil(offsets: readonly TopicPartitionOffset[]): void {
    const limits = this.limits ?? new Map([...this.delivered.values()].map((p) => [partitionKey(p.topic, p.partition), p.offset]));
    for (const o of offsets) limits.set(partitionKey(o.topic, o.partition), o.offset);
    this.limits = limits;
    this.changed();
  }

  release(): void {
    this.limits = undefined;
    this.changed();
  }

  get held(): boolean {
    return this.limits !== undefined;
  }

  limitOf(topic: string, partition: number): number {
    if (!this.limits) return Number.POSITIVE_INFINITY;
    return this.limits.get(partitionKey(topic, partition)) ?? this.delivered.get(partitionKey(topic, partition))?.offset ?? 0;
  }

  /** Partitions whose delivered position is past the given offsets (a hold there is impossible). */
  pastOf(offsets: readonly TopicPartitionOffset[]): TopicPartitionOffset[] {
    return offsets.filter((o) => (this.delivered.get(partitionKey(o.topic, o.partition))?.offset ?? 0) > o.offset);
  }

  noteDelivered(topic: string, partition: number, next: number): void {
    const id = partitionKey(topic, partition);
    const cur = this.delivered.get(id);
    if (!cur || next > cur.offset) this.delivered.set(id, { topic, partition, offset: next });
  }

  noteStart(offsets: readonly TopicPartitionOffset[]): void {
    for (const o of offsets) this.noteDelivered(o.topic, o.partition, o.offset);
  }

  /** Resolves at the next change of the limits (one shared promise, so waiting costs nothing per batch). */
  nextChange(): Promise<void> {
    return this.signal.promise;
  }

  /** Wakes readers without changing limits (a reader closing). */
  changed(): void {
    const s = this.signal;
    this.signal = deferred();
    s.resolve();
  }
}

export function gatedKafka(inner: KafkaPort, gate: InputGate, out: OutputTimes, now: () => number): KafkaPort {
  const wrapper = Object.create(inner) as KafkaPort;
  wrapper.read = (options: ReadOptions) => {
    const from = options.from;
    if (from && typeof from === 'object' && 'offsets' in from) gate.noteStart(from.offsets);
    return gatedReader(inner.read(options), gate);
  };
  wrapper.createProducer = async (options?: ProducerOptions): Promise<ProducerHandle> => {
    const p = await inner.createProducer(options);
    const note = (topic: string, n: number) => {
      if (n === 0) return;
      const t = now();
      if (!out.first.has(topic)) out.first.set(topic, t);
      out.last.set(topic, t);
      out.records += n;
    };
    return {
      async send(topic, records, options) {
        const r = await p.send(topic, records, options);
        note(topic, records.length);
        return r;
      },
      async transaction() {
        const tx = await p.transaction();
        const sent: [string, number][] = [];
        return {
          send: async (topic, records, options) => {
            await tx.send(topic, records, options);
            sent.push([topic, records.length]);
            if (records.length > 0 && out.sent && !out.sent.has(topic)) {
              out.sent.set(topic, now());
              out.onFirstSend?.(topic);
            }
          },
          sendOffsets: (g, o) => tx.sendOffsets(g, o),
          commit: async () => {
            await tx.commit();
            for (const [t, n] of sent) note(t, n);
          },
          abort: () => tx.abort(),
        };
      },
      close: () => p.close(),
    };
  };
  // Methods that read `this` must be called on the real client.
  for (const k of ['produce', 'createTopics', 'deleteTopics', 'listTopics', 'partitionCount', 'watermarks', 'offsetsForTimestamp', 'groupOffsets', 'setGroupOffsets', 'describeGroup', 'listGroups', 'deleteGroups', 'ping', 'close'] as const) {
    const f = inner[k] as unknown;
    if (typeof f === 'function') (wrapper as unknown as Record<string, unknown>)[k] = (f as (...a: unknown[]) => unknown).bind(inner);
  }
  return wrapper;
}

/**
 * At most this many kept records go to the engine in one batch. A job released
 * after a hold has a backlog; the engine flushes (and the host commits) its output
 * per batch, so one huge first batch would delay the first visible output — the end
 * of a warm handoff's pit stop — by all of its processing.
 */
const MAX_RELEASED_BATCH = 500;

/** Splits batches at the gate's limits; records past a limit wait, in order, per partition. */
function gatedReader(inner: RecordReader, gate: InputGate): RecordReader {
  const kept = new Map<string, { topic: string; partition: number; highWatermark: number; records: IncomingRecord[] }>();
  const it = inner[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<RecordBatch>> | undefined;
  let closed = false;

  /** Takes what the limit allows from a partition's kept records. */
  function releasable(): RecordBatch | undefined {
    for (const [id, k] of kept) {
      const limit = gate.limitOf(k.topic, k.partition);
      let n = 0;
      while (n < k.records.length && n < MAX_RELEASED_BATCH && k.records[n]!.offset < limit) n++;
      if (n === 0) continue;
      const records = k.records.splice(0, n);
      if (k.records.length === 0) kept.delete(id);
      return { topic: k.topic, partition: k.partition, highWatermark: k.highWatermark, records };
    }
    return undefined;
  }

  function admit(batch: RecordBatch): RecordBatch | undefined {
    const id = partitionKey(batch.topic, batch.partition);
    const k = kept.get(id);
    if (k) {
      // Earlier records of this partition are still held: keep order.
      k.records.push(...batch.records);
      k.highWatermark = batch.highWatermark;
      return releasable();
    }
    const limit = gate.limitOf(batch.topic, batch.partition);
    let n = 0;
    while (n < batch.records.length && batch.records[n]!.offset < limit) n++;
    if (n < batch.records.length) kept.set(id, { topic: batch.topic, partition: batch.partition, highWatermark: batch.highWatermark, records: batch.records.slice(n) });
    return n === 0 ? undefined : { ...batch, records: batch.records.slice(0, n) };
  }

  function deliver(b: RecordBatch): RecordBatch {
    const last = b.records.at(-1);
    if (last) gate.noteDelivered(b.topic, b.partition, last.offset + 1);
    return b;
  }

  const iterator: AsyncIterator<RecordBatch> = {
    async next(): Promise<IteratorResult<RecordBatch>> {
      for (;;) {
        if (closed) return { done: true, value: undefined };
        const ready = releasable();
        if (ready) return { done: false, value: deliver(ready) };
        pending ??= it.next();
        const change = gate.nextChange().then(() => 'gate' as const);
        const r = await Promise.race([pending, change]);
        if (r === 'gate') continue;
        pending = undefined;
        if (r.done) return r;
        const allowed = admit(r.value);
        if (allowed) return { done: false, value: deliver(allowed) };
      }
    },
  };
  return {
    [Symbol.asyncIterator]: () => iterator,
    positions: () => inner.positions(),
    async close() {
      closed = true;
      gate.changed();
      await inner.close();
    },
  };
}
