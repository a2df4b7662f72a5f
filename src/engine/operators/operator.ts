/**
 * The operator runtime contract. Elements are pushed synchronously as (value, event
 * time, source record) — no per-record envelope or promise — so one core can move
 * millions of records a second. Each operator catches what ITS user code throws and
 * turns it into a dead letter; a JobFailedError (policy `fail`) passes through.
 */
import type { IncomingRecord } from '../../kafka/port.ts';
import type { GraphNode } from '../api/graph.ts';
import { JobFailedError } from '../failure.ts';
import { NO_WATERMARK } from '../watermarks.ts';

export interface Clock {
  now(): number;
}

export interface RuntimeContext {
  readonly maxParallelism: number;
  readonly parallelism: number;
  readonly clock: Clock;
  /** Records a dead letter; throws JobFailedError under the `fail` policy. */
  deadLetter(operator: string, error: unknown, source: IncomingRecord): void;
}

export interface OperatorMetrics {
  recordsIn: number;
  recordsOut: number;
  late: number;
  deadLetters: number;
  watermark: number;
}

export abstract class Operator {
  readonly metrics: OperatorMetrics = { recordsIn: 0, recordsOut: 0, late: 0, deadLetters: 0, watermark: NO_WATERMARK };
  readonly main: Operator[] = [];
  readonly side = new Map<string, Operator[]>();

  constructor(
    readonly node: GraphNode,
    protected readonly rt: RuntimeContext,
  ) {}

  abstract processElement(value: unknown, timestamp: number, source: IncomingRecord): void;

  processWatermark(watermark: number): void {
    if (watermark <= this.metrics.watermark) return;
    this.metrics.watermark = watermark;
    this.onWatermark(watermark);
    for (const c of this.main) c.processWatermark(watermark);
    for (const cs of this.side.values()) for (const c of cs) c.processWatermark(watermark);
  }

  /** Runs before the watermark is forwarded (keyed operators fire event-time timers here). */
  protected onWatermark(_watermark: number): void {}

  onProcessingTime(_now: number): void {}

  /** Writes buffered output (sinks). */
  async flush(): Promise<void> {}

  keysInState(): number {
    return 0;
  }

  protected emit(value: unknown, timestamp: number, source: IncomingRecord): void {
    this.metrics.recordsOut++;
    const main = this.main;
    for (let i = 0; i < main.length; i++) main[i]!.processElement(value, timestamp, source);
  }

  protected emitSide(tag: string, value: unknown, timestamp: number, source: IncomingRecord): void {
    const targets = this.side.get(tag);
    if (targets) for (const c of targets) c.processElement(value, timestamp, source);
  }

  /** User code threw: dead-letter the source record (or fail the job, by policy). */
  protected failed(error: unknown, source: IncomingRecord): void {
    if (error instanceof JobFailedError) throw error;
    this.metrics.deadLetters++;
    this.rt.deadLetter(this.node.name, error, source);
  }
}
