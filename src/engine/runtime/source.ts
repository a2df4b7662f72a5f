/**
 * A source operator: turns input records into elements with an event time, tracks
 * the next offset per partition (the engine's own positions, not a consumer group's,
 * so a snapshot can store them exactly) and the per-partition watermarks.
 */
import type { IncomingRecord } from '../../kafka/port.ts';
import { partitionKey } from '../../kafka/partition-key.ts';
import { SerdeError, describeUnknown } from '../../errors.ts';
import type { GraphNode, ItemsSourceSpec, KafkaSourceSpec, TimestampSpec } from '../api/graph.ts';
import { WatermarkTracker } from '../watermarks.ts';
import { Operator, type RuntimeContext } from '../operators/operator.ts';

function timestampFn(spec: TimestampSpec): (value: unknown, record: IncomingRecord) => number {
  if (spec === 'record') return (_v, r) => r.timestamp;
  if (typeof spec === 'function') return spec as (value: unknown, record: IncomingRecord) => number;
  const field = spec.field;
  return (v) => {
    const ts = (v as Record<string, unknown> | null)?.[field];
    if (typeof ts !== 'number' || !Number.isFinite(ts)) {
      throw new SerdeError('ENGINE_BAD_TIMESTAMP', `The event-time field "${field}" is ${JSON.stringify(ts)}, not a number of ms.`, { hint: 'Fix the producer, or choose another timestamp for the source.' });
    }
    return ts;
  };
}

export class SourceOperator extends Operator {
  readonly spec: KafkaSourceSpec | ItemsSourceSpec;
  readonly tracker: WatermarkTracker;
  /** Next offset to read per topic-partition (mutated in place on the hot path). */
  readonly positions = new Map<string, { topic: string; partition: number; offset: number }>();
  private lastRecordTopic = '';
  private lastRecordPartition = -1;
  private lastPosition: { offset: number } | undefined;
  private lastId = '';
  private readonly timestampOf: (value: unknown, record: IncomingRecord) => number;

  constructor(node: GraphNode, rt: RuntimeContext) {
    super(node, rt);
    this.spec = (node as Extract<GraphNode, { kind: 'source' }>).source;
    this.tracker = new WatermarkTracker(this.spec.watermark);
    this.timestampOf = timestampFn(this.spec.timestamp);
  }

  addPartition(topic: string, partition: number, offset: number, now: number, watermark?: number): void {
    const id = partitionKey(topic, partition);
    this.positions.set(id, { topic, partition, offset });
    this.lastPosition = undefined;
    if (watermark === undefined) this.tracker.addPartition(id, now);
    else this.tracker.restorePartition(id, watermark, now);
  }

  processElement(value: unknown, _timestamp: number, record: IncomingRecord): void {
    this.ingest(record, value, this.rt.clock.now());
  }

  /** One decoded record in; `decodeError` set when its bytes could not be decoded. */
  ingest(record: IncomingRecord, value: unknown, now: number, decodeError?: unknown): void {
    // Consecutive records mostly share a partition: skip the id and map work then.
    if (record.partition !== this.lastRecordPartition || record.topic !== this.lastRecordTopic || this.lastPosition === undefined) {
      this.lastId = partitionKey(record.topic, record.partition);
      let pos = this.positions.get(this.lastId);
      if (!pos) this.positions.set(this.lastId, (pos = { topic: record.topic, partition: record.partition, offset: 0 }));
      this.lastPosition = pos;
      this.lastRecordTopic = record.topic;
      this.lastRecordPartition = record.partition;
    }
    const id = this.lastId;
    // Each offset is consumed once: a record before the position was already processed
    // (a reader that delivered it twice) and would otherwise be output twice.
    if (record.offset < this.lastPosition.offset) return;
    this.lastPosition.offset = record.offset + 1;
    this.metrics.recordsIn++;
    let ts: number;
    try {
      if (decodeError !== undefined) throw decodeError;
      ts = this.timestampOf(value, record);
    } catch (e) {
      this.failed(e, record);
      return;
    }
    this.tracker.observe(id, ts, now);
    this.emit(value, ts, record);
  }

  /** Moves the watermark downstream when the sources' minimum advanced (or a partition went idle). */
  advanceWatermark(now: number): void {
    const wm = this.tracker.current(now);
    if (wm > this.metrics.watermark) this.processWatermark(wm);
  }
}

/** Sync JSON decoding: the hot path of JSON sources (no promise per record). */
export function decodeJson(record: IncomingRecord): { value?: unknown; error?: unknown } {
  if (record.value === null) return { error: new SerdeError('SERDE_DECODE_FAILED', 'Record has no value (a tombstone).', { hint: 'Sources expect a value in every record.' }) };
  try {
    return { value: JSON.parse(record.value.toString('utf8')) };
  } catch (e) {
    return {
      error: new SerdeError('SERDE_DECODE_FAILED', `Record is not valid JSON: ${describeUnknown(e)}`, { hint: 'The producer may write another format; set the source format accordingly.' }),
    };
  }
}
