/**
 * The writing side of an output channel (output.ts): sends are queued and written
 * in the background, one request at a time and in call order — so each partition's
 * records reach Kafka in the order they were sent, as an idempotent or transactional
 * producer needs — while the job goes on processing. What waits while a request is
 * in flight is written by the next one, coalesced per topic and codec, so the
 * requests grow with the load instead of the job waiting for each round trip.
 *
 * Commit boundaries: a commit takes the sends called before it (`boundary()`, at the
 * call) and nothing after, whatever order the calls run in: the queue is written only
 * up to the oldest open boundary, until that commit `release`s it.
 *
 * The first write that fails fails the pipeline: every later send, queued or new, and
 * every commit is refused (the caller fails the job, which replays from its last
 * checkpoint), so no unit of output with a lost write is ever committed.
 */
import type { OutgoingRecord, SendOptions } from '../../kafka/port.ts';

type Write = (topic: string, records: readonly OutgoingRecord[], options: SendOptions | undefined) => Promise<void>;

interface Entry {
  readonly seq: number;
  readonly topic: string;
  readonly options: SendOptions | undefined;
  readonly records: readonly OutgoingRecord[];
  /** Set for a send that waits for its write. */
  readonly done?: { resolve(): void; reject(e: unknown): void };
}

/** Records waiting beyond this hold back the caller (memory), until a write took some. */
const MAX_WAITING_RECORDS = 50_000;
/** One request carries at most about this many bytes (Kafka's default batch limit is 1 MB per partition). */
const MAX_REQUEST_BYTES = 512 * 1024;

function sizeOf(r: OutgoingRecord): number {
  let n = 24 + (r.key == null ? 0 : r.key.length) + (r.value == null ? 0 : r.value.length);
  const h = r.headers;
  if (h) for (const k in h) n += 4 + k.length + h[k]!.length;
  return n;
}

export class SendPipeline {
  private readonly entries: Entry[] = [];
  private waitingRecords = 0;
  private nextSeq = 0;
  /** The seq of the last entry written (entries are written in seq order). */
  private written = 0;
  private writing = false;
  /** Open commit boundaries, oldest first: nothing past the oldest is written. */
  private readonly boundaries: number[] = [];
  private failure: { readonly error: unknown; readonly refusal: (e: unknown) => unknown } | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly write: Write,
    /** The error for sends and commits after a failed write (from the write's error). */
    private readonly refusal: (e: unknown) => unknown,
  ) {}

  /** Queues records; resolves once queued (at once, unless many records already wait). */
  async queue(topic: string, records: readonly OutgoingRecord[], options: SendOptions | undefined): Promise<void> {
    this.push(topic, records, options, undefined);
    while (this.waitingRecords > MAX_WAITING_RECORDS && this.failure === undefined) await this.change();
    this.check();
  }

  /** Queues records and resolves once they are written (rejects with the write's failure). */
  send(topic: string, records: readonly OutgoingRecord[], options: SendOptions | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => this.push(topic, records, options, { resolve, reject }));
  }

  /** Opens a commit boundary after every send so far; the commit must `release` it. */
  boundary(): number {
    const b = this.nextSeq;
    this.boundaries.push(b);
    return b;
  }

  /** Resolves once everything up to `boundary` is written; rejects once a write failed. */
  async flushed(boundary: number): Promise<void> {
    while (this.written < boundary && this.failure === undefined) await this.change();
    this.check();
  }

  /** Closes the oldest boundary (its commit ended): later sends may be written. */
  release(): void {
    this.boundaries.shift();
    this.pump();
  }

  /** Refuses everything queued and to come with `error` (the channel was aborted or closed). */
  stop(error: unknown): void {
    this.failure ??= { error, refusal: () => error };
    this.fail();
  }

  private check(): void {
    if (this.failure) throw this.failure.refusal(this.failure.error);
  }

  private push(topic: string, records: readonly OutgoingRecord[], options: SendOptions | undefined, done: Entry['done']): void {
    if (this.failure) {
      const e = this.failure.refusal(this.failure.error);
      if (done) done.reject(e);
      else throw e;
      return;
    }
    if (records.length === 0) {
      // Nothing to write, but still after everything before it.
      if (done) void this.flushed(this.nextSeq).then(done.resolve, done.reject);
      return;
    }
    this.entries.push({ seq: ++this.nextSeq, topic, options, records, ...(done ? { done } : {}) });
    this.waitingRecords += records.length;
    this.pump();
  }

  private change(): Promise<void> {
    return new Promise((resolve) => this.waiters.add(resolve));
  }

  private notify(): void {
    const ws = [...this.waiters];
    this.waiters.clear();
    for (const w of ws) w();
  }

  private pump(): void {
    if (this.writing || this.failure) return;
    const limit = this.boundaries.length > 0 ? this.boundaries[0]! : Infinity;
    const first = this.entries[0];
    if (!first || first.seq > limit) return;
    // Consecutive sends to the same topic with the same codec go out as one request.
    let n = 1;
    let bytes = 0;
    for (const r of first.records) bytes += sizeOf(r);
    while (n < this.entries.length) {
      const e = this.entries[n]!;
      if (e.seq > limit || e.topic !== first.topic || e.options?.compression !== first.options?.compression) break;
      let b = 0;
      for (const r of e.records) b += sizeOf(r);
      if (bytes + b > MAX_REQUEST_BYTES) break;
      bytes += b;
      n++;
    }
    const taken = this.entries.splice(0, n);
    const records = n === 1 ? first.records : taken.flatMap((e) => e.records);
    this.writing = true;
    // A write that throws at once (no transaction open) fails like one that rejects.
    (async () => this.write(first.topic, records, first.options))().then(
      () => {
        this.writing = false;
        this.written = taken[n - 1]!.seq;
        this.waitingRecords -= records.length;
        for (const e of taken) e.done?.resolve();
        this.notify();
        this.pump();
      },
      (error: unknown) => {
        this.writing = false;
        this.failure ??= { error, refusal: this.refusal };
        for (const e of taken) e.done?.reject(error);
        this.fail();
      },
    );
  }

  /** Refuses every queued send and wakes every waiter (who then sees the failure). */
  private fail(): void {
    const e = this.failure!.refusal(this.failure!.error);
    for (const entry of this.entries.splice(0)) entry.done?.reject(e);
    this.waitingRecords = 0;
    this.notify();
  }
}
