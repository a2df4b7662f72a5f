/** `keyBy(...).reduce(uid, fn)`: a rolling reduce that emits the key's new value after every record. */
import type { IncomingRecord } from '../../kafka/port.ts';
import type { GraphNode } from '../api/graph.ts';
import type { StateCodec } from '../api/codecs.ts';
import { KeyedOperator } from './keyed.ts';
import type { RuntimeContext } from './operator.ts';

export class ReduceOperator extends KeyedOperator {
  readonly codec: StateCodec<unknown>;
  private readonly fn: (a: unknown, b: unknown) => unknown;

  constructor(node: GraphNode, rt: RuntimeContext) {
    super(node, rt, 1);
    const n = node as Extract<GraphNode, { kind: 'reduce' }>;
    this.fn = n.fn as (a: unknown, b: unknown) => unknown;
    this.codec = n.codec;
  }

  processElement(value: unknown, timestamp: number, source: IncomingRecord): void {
    this.metrics.recordsIn++;
    if (!this.enterKey(value, timestamp, source)) return;
    const entry = this.ensureEntry();
    const acc = entry.slots[0];
    let next: unknown;
    try {
      next = acc === undefined ? value : this.fn(acc, value);
    } catch (e) {
      this.releaseIfEmpty();
      this.failed(e, source);
      return;
    }
    entry.slots[0] = next;
    this.emit(next, timestamp, source);
  }

  protected onTimer(): void {}
}
