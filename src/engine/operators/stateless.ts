import type { IncomingRecord } from '../../kafka/port.ts';
import { Operator } from './operator.ts';

type Fn = (value: unknown) => unknown;

export class MapOperator extends Operator {
  private readonly fn = (this.node as unknown as { fn: Fn }).fn;

  processElement(value: unknown, timestamp: number, source: IncomingRecord): void {
    this.metrics.recordsIn++;
    let out: unknown;
    try {
      out = this.fn(value);
    } catch (e) {
      this.failed(e, source);
      return;
    }
    this.emit(out, timestamp, source);
  }
}

export class FilterOperator extends Operator {
  private readonly fn = (this.node as unknown as { fn: Fn }).fn;

  processElement(value: unknown, timestamp: number, source: IncomingRecord): void {
    this.metrics.recordsIn++;
    let keep: unknown;
    try {
      keep = this.fn(value);
    } catch (e) {
      this.failed(e, source);
      return;
    }
    if (keep) this.emit(value, timestamp, source);
  }
}

export class FlatMapOperator extends Operator {
  private readonly fn = (this.node as unknown as { fn: Fn }).fn;

  processElement(value: unknown, timestamp: number, source: IncomingRecord): void {
    this.metrics.recordsIn++;
    let out: unknown[];
    try {
      // Materialized first, so a throw halfway through emits nothing.
      out = [...(this.fn(value) as Iterable<unknown>)];
    } catch (e) {
      this.failed(e, source);
      return;
    }
    for (const v of out) this.emit(v, timestamp, source);
  }
}
