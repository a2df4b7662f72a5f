import type { RecordBatch, RecordReader } from './port.ts';
import type { PartitionPlan } from './read-plan.ts';

/**
 * The hand-over between a reader's fetch loop and its consumer: a small queue of
 * batches. The loop pushes and, while the queue is full, waits for room; the
 * consumer iterates, and the iteration ends (with the failure, if any) once the
 * reader finished and the queue is empty.
 */
export class BatchQueue {
  private readonly items: RecordBatch[] = [];
  private wake: (() => void) | undefined;
  private drained: (() => void) | undefined;
  finished = false;
  failure: unknown;

  constructor(private readonly limit: number) {}

  get full(): boolean {
    return this.items.length >= this.limit;
  }

  push(batch: RecordBatch): void {
    this.items.push(batch);
    this.signal();
  }

  /** No more batches will come; `err` ends the iteration with it once the queue is empty. */
  finish(err?: unknown): void {
    if (err !== undefined && this.failure === undefined) this.failure = err;
    this.finished = true;
    this.signal();
    this.drained?.();
  }

  /** Resolves once a batch is taken or the queue finishes (or after `ms`, when given). */
  async taken(ms?: number): Promise<void> {
    await new Promise<void>((resolve) => {
      this.drained = resolve;
      if (ms !== undefined) setTimeout(resolve, ms);
    });
    this.drained = undefined;
  }

  /** The batches, as they come; `close` runs when the iteration ends, however it ends. */
  async *iterate(close: () => Promise<void>): AsyncGenerator<RecordBatch> {
    try {
      while (true) {
        const next = this.items.shift();
        if (next) {
          this.drained?.();
          yield next;
          continue;
        }
        if (this.finished) break;
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
      }
      if (this.failure !== undefined) throw this.failure;
    } finally {
      await close();
    }
  }

  /** The RecordReader over this queue: positions from the plans; `close` runs once, however often it is called. */
  reader(plans: () => Iterable<PartitionPlan>, close: () => Promise<void>): RecordReader {
    let closing: Promise<void> | undefined;
    const once = () => (closing ??= close());
    return {
      positions: () => [...plans()].map((p) => ({ topic: p.topic, partition: p.partition, offset: p.next })),
      close: once,
      [Symbol.asyncIterator]: () => this.iterate(once),
    };
  }

  private signal(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
}
