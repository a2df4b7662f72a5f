/** What user code sees while it runs inside a keyed operator. */
import type { StateAccess } from './state.ts';

/** A named side output; `ctx.output(tag, v)` writes to it, `stream.sideOutput(tag)` reads it. */
export interface OutputTag<T> {
  readonly id: string;
  /** Type carrier only; never set. */
  readonly __type?: T;
}
export const outputTag = <T>(id: string): OutputTag<T> => ({ id });

export type Key = string | number | boolean | readonly (string | number | boolean)[];

export interface TimerService {
  /** Fires `onTimer` when the watermark reaches `timestamp` (event time). */
  eventTime(timestamp: number): void;
  /** Fires `onTimer` when the injected clock reaches `timestamp`. */
  processingTime(timestamp: number): void;
  deleteEventTime(timestamp: number): void;
  deleteProcessingTime(timestamp: number): void;
  /** The injected clock's time. */
  now(): number;
}

export interface ProcessContext<K, R> {
  readonly key: K;
  /** Event time of the element being processed (or of the timer firing). */
  readonly timestamp: number;
  readonly watermark: number;
  readonly state: StateAccess;
  readonly timers: TimerService;
  /** Emits to the main output; event time defaults to the current timestamp. */
  emit(value: R, timestamp?: number): void;
  output<X>(tag: OutputTag<X>, value: X): void;
}

export interface OnTimerContext<K, R> extends ProcessContext<K, R> {
  readonly domain: 'event' | 'processing';
}

export interface ProcessFunction<T, K, R> {
  processElement(value: T, ctx: ProcessContext<K, R>): void;
  onTimer?(timestamp: number, ctx: OnTimerContext<K, R>): void;
}

export interface AggregateFunction<T, A, R> {
  createAccumulator(): A;
  add(value: T, acc: A): A;
  getResult(acc: A): R;
  /** Needed by session windows, which merge. */
  merge?(a: A, b: A): A;
}

/** The output of a windowed aggregate. */
export interface WindowResult<K, R> {
  readonly key: K;
  readonly start: number;
  readonly end: number;
  readonly value: R;
}
