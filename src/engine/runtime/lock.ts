/**
 * The one lock of a running job. Batches, ticks, commit points, snapshots and the
 * quiesce all run under it, one at a time in call order, so a snapshot always sits
 * between batches with no output in flight. A failed call does not block the next.
 */
export class BatchLock {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T> | T): Promise<T> {
    const p = this.tail.then(fn);
    this.tail = p.catch(() => undefined);
    return p;
  }
}
