/**
 * A timer queue: a binary min-heap ordered by (timestamp, registration order), with
 * de-duplication (one timer per key, timestamp and namespace, as in Flink) and lazy
 * deletion. Pure data structure; the operator decides when to pop (watermark or clock).
 */
export interface Timer {
  readonly timestamp: number;
  /** Canonical key string (see key.ts). */
  readonly keyString: string;
  readonly keyGroup: number;
  /** Operator-defined namespace (a window), '' when none. */
  readonly namespace: string;
  readonly seq: number;
  /** Opaque payload of the registering operator (e.g. the lineage of the record that set it); not snapshotted. */
  readonly payload?: unknown;
}

export class TimerQueue {
  private heap: Timer[] = [];
  private live = new Map<string, Timer>();
  private seq = 0;

  private static id(keyString: string, timestamp: number, namespace: string): string {
    return `${timestamp}\u0000${namespace}\u0000${keyString}`;
  }

  get size(): number {
    return this.live.size;
  }

  /** Registers a timer; registering the same (key, timestamp, namespace) twice keeps one. */
  add(keyString: string, keyGroup: number, timestamp: number, namespace = '', payload?: unknown): void {
    const id = TimerQueue.id(keyString, timestamp, namespace);
    if (this.live.has(id)) return;
    const t: Timer = { timestamp, keyString, keyGroup, namespace, seq: this.seq++, payload };
    this.live.set(id, t);
    this.heap.push(t);
    this.up(this.heap.length - 1);
  }

  delete(keyString: string, timestamp: number, namespace = ''): void {
    this.live.delete(TimerQueue.id(keyString, timestamp, namespace));
  }

  /** Removes and returns the earliest live timer with timestamp ≤ `upTo`, or undefined. */
  pollUpTo(upTo: number): Timer | undefined {
    while (this.heap.length > 0) {
      const top = this.heap[0]!;
      const id = TimerQueue.id(top.keyString, top.timestamp, top.namespace);
      if (this.live.get(id) !== top) {
        this.pop(); // deleted (or replaced) since it was added
        continue;
      }
      if (top.timestamp > upTo) return undefined;
      this.pop();
      this.live.delete(id);
      return top;
    }
    return undefined;
  }

  /** The live timers of the given keys (keyString → anything), in firing order: one pass over all timers. */
  forKeys(keys: { has(keyString: string): boolean }): Timer[] {
    const out: Timer[] = [];
    for (const t of this.live.values()) if (keys.has(t.keyString)) out.push(t);
    return out.sort(compare);
  }

  /** Deletes every timer of the given keys: one pass over all timers (lazy in the heap, like delete). */
  deleteKeys(keys: { has(keyString: string): boolean }): void {
    for (const [id, t] of this.live) if (keys.has(t.keyString)) this.live.delete(id);
  }

  /** Every live timer, in firing order (for snapshots and status). */
  all(): Timer[] {
    return [...this.live.values()].sort(compare);
  }

  private pop(): void {
    const last = this.heap.pop()!;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.down(0);
    }
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (compare(h[i]!, h[parent]!) >= 0) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && compare(h[l]!, h[m]!) < 0) m = l;
      if (r < h.length && compare(h[r]!, h[m]!) < 0) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

function compare(a: Timer, b: Timer): number {
  return a.timestamp - b.timestamp || a.seq - b.seq;
}
