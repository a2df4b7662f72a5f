import type { FieldView } from './shared/fields.ts';
import type { SourceLineage } from '../src/lineage.ts';

/**
 * The one interface every check implements (design.md §5). Checks receive decoded
 * records window by window and never touch Kafka; a check that cannot measure
 * returns a Measurement with status Error, it never throws.
 */

export type Status = 'Successful' | 'Failed' | 'Inconclusive' | 'Error';
export type Side = 'a' | 'b';

/** A half-open event-time interval [start, end) in epoch milliseconds. */
export interface Window {
  readonly start: number;
  readonly end: number;
}

/** Where a record came from in the job's input, from the engine's lineage headers (src/lineage.ts). */
export type Lineage = SourceLineage;

/** A decoded output record, as readers hand it to checks. */
export interface CompareRecord {
  readonly key: string | null;
  /** The decoded value; null for a tombstone. */
  readonly value: unknown;
  readonly eventTime: number;
  /** The Kafka record timestamp: when the job emitted it (CreateTime) or the broker appended it. */
  readonly timestamp: number;
  readonly lineage: Lineage | undefined;
  /** Avro writer schema id (Confluent wire format), when the value was Avro. */
  readonly schemaId: number | undefined;
  /**
   * The value flattened once, when it was decoded, and shared by every check
   * (`fieldsOf` computes it for records built without one).
   */
  readonly fields?: FieldView | undefined;
  /** keyHash53 of the key, computed once when decoded (checks compute it for records built without one). */
  readonly keyHash?: number | undefined;
}

/** A field's type as the schema check sees it. */
export type FieldType = 'null' | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'number' | 'string' | 'bytes' | 'array' | 'record' | 'map' | 'enum' | 'unknown' | string;

/**
 * Where a side's emit times come from (the wall clock behind watermark lag): the
 * broker's append time, the producer's record timestamp, or the time the
 * comparator read the record (live reads only).
 */
export type EmitTimeSource = 'log-append-time' | 'record-timestamp' | 'read-time';

/** What the driver knows about one side beyond its records (for schema and lateness). */
export interface SideContext {
  /** Field name → type from the registry (Avro); undefined for JSON (the check infers). */
  readonly schemaFields: Readonly<Record<string, FieldType>> | undefined;
  /** Records of this side that arrived after its watermark had passed their event time. */
  readonly lateRecords: number;
  /** The side's watermark (max event time seen − allowed lateness) when the window closed. */
  readonly watermark: number;
  /** When (epoch ms, in the `emitTime` clock) the side's watermark passed the window's end; undefined when unknown. */
  readonly watermarkPassedAt?: number | undefined;
  /** The clock of `watermarkPassedAt`; undefined when the side has no emit times. */
  readonly emitTime?: EmitTimeSource | undefined;
}

export interface WindowContext {
  readonly window: Window;
  readonly a: SideContext;
  readonly b: SideContext;
  /** The registry's verdict on b's schema against a's subject, when both are Avro. */
  readonly compatibility: { readonly compatible: boolean; readonly messages: readonly string[] } | undefined;
}

export interface Measurement {
  /** The configured check name (unique in a comparison). */
  readonly check: string;
  /** The check type (count, schema, …). */
  readonly type: string;
  /** What was measured, when a check measures several things (`amount.p95`, a field name). */
  readonly metric: string;
  readonly window: Window;
  readonly status: Status;
  /** The difference measured (relative change, rate difference, lag in ms…); null when none could be. */
  readonly observed: number | null;
  /** The value the check expected (usually 0: no difference). */
  readonly expected: number | null;
  /** The tolerance observed was judged against. */
  readonly threshold: number | null;
  /** Per-side values behind `observed` (for rank tests and charts), when there are two. */
  readonly sides?: { readonly a: number; readonly b: number } | undefined;
  /** Per-side data volume behind this measurement (for minimum-data rules). */
  readonly records: number;
  readonly detail: Readonly<Record<string, unknown>>;
}

/** Collects one window's records for one check; finish() is called once. */
export interface WindowAccumulator {
  add(side: Side, record: CompareRecord): void;
  finish(ctx: WindowContext): Measurement[];
}

export interface Check {
  readonly name: string;
  readonly type: string;
  open(window: Window): WindowAccumulator;
}
