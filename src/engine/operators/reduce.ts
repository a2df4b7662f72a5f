/**
 * `keyBy(...).reduce(uid, fn)`: a rolling reduce that emits the key's new value after
 * every record. A reduced value its codec would not encode fails the record and is not stored.
 */
import type { IncomingRecord } from '../../kafka/port.ts';
import type { GraphNode } from '../api/graph.ts';
import type { StateCodec, StateValueProblem } from '../api/codecs.ts';
import type { KeyEntry } from '../state/store.ts';
import { fits, stateValueError } from '../state/checks.ts';
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
      const problem = this.codec.check?.(next);
      if (problem) throw this.refuse(entry, problem);
    } catch (e) {
      this.releaseIfEmpty();
      this.failed(e, source);
      return;
    }
    entry.slots[0] = next;
    this.emit(next, timestamp, source);
  }

  /** The reduced value does not fit the codec: not stored; a stored one the reduce changed in place into the same shape is dropped. */
  private refuse(entry: KeyEntry, problem: StateValueProblem): Error {
    const dropped = entry.slots[0] !== undefined && !fits(this.codec, entry.slots[0]);
    if (dropped) entry.slots[0] = undefined;
    return stateValueError({ operator: this.node.name, state: 'reduce', kind: 'reduce', key: this.currentKeyString, problem, dropped });
  }

  protected onTimer(): void {}
}
