/**
 * Sinks. The Kafka sink buffers the records of the batch being processed and writes
 * them in one send when the runner flushes (after every input batch, before the
 * next one is taken and before a snapshot), so a snapshot never has output in flight.
 * An output value the sink cannot serialize is a dead letter of the record that
 * caused it; the job goes on.
 */
import avro from 'avsc';
import type { IncomingRecord, OutgoingRecord, SendOptions } from '../../kafka/port.ts';
import { SerdeError } from '../../errors.ts';
import { avroProblem } from '../api/value-checks.ts';
import type { Serde } from '../../kafka/serdes.ts';
import type { GraphNode, SinkSpec } from '../api/graph.ts';
import { lineageHeaders } from '../../lineage.ts';
import { Operator, type RuntimeContext } from './operator.ts';

export interface SinkIO {
  send(topic: string, records: readonly OutgoingRecord[], options?: SendOptions): Promise<unknown>;
  avroSerde(subject: string, schema: object): Serde;
}

type KafkaSink = Extract<SinkSpec, { type: 'kafka' }>;

interface Pending {
  key: string | null;
  value: unknown;
  timestamp: number;
  source: IncomingRecord;
}

export class KafkaSinkOperator extends Operator {
  private readonly spec: KafkaSink;
  private readonly keyOf: ((v: unknown) => string | null) | undefined;
  private readonly serde: Serde | undefined;
  private topicName: string;
  private json: OutgoingRecord[] = [];
  private avro: Pending[] = [];
  private avroType: avro.Type | undefined;

  constructor(node: GraphNode, rt: RuntimeContext, private readonly io: SinkIO) {
    super(node, rt);
    this.spec = (node as Extract<GraphNode, { kind: 'sink' }>).sink as KafkaSink;
    this.keyOf = this.spec.key as ((v: unknown) => string | null) | undefined;
    this.topicName = this.spec.topic;
    this.serde = this.spec.format === 'json' ? undefined : io.avroSerde(this.spec.format.avro.subject, this.spec.format.avro.schema);
  }

  get topic(): string {
    return this.topicName;
  }

  /** Switches the output topic from the next flush on (the orchestrator's sink switch). */
  redirect(topic: string): void {
    this.topicName = topic;
  }

  processElement(value: unknown, timestamp: number, source: IncomingRecord): void {
    this.metrics.recordsIn++;
    let key: string | null;
    let bytes: Buffer | undefined;
    try {
      key = this.keyOf ? this.keyOf(value) : null;
      if (!this.serde) bytes = Buffer.from(JSON.stringify(value));
    } catch (e) {
      this.failed(e, source);
      return;
    }
    if (bytes) this.json.push({ key, value: bytes, headers: lineageHeaders(source, timestamp), timestamp: clampTimestamp(timestamp) });
    else this.avro.push({ key, value, timestamp, source });
  }

  /** A value the Avro schema does not take: the error names the field and its type (worked out on failure only). */
  private explain(e: unknown, value: unknown): unknown {
    if (this.spec.format === 'json') return e;
    const avroFormat = this.spec.format.avro;
    try {
      this.avroType ??= avro.Type.forSchema(avroFormat.schema as avro.Schema);
    } catch {
      return e; // a schema avsc refuses: the serde's own error says so
    }
    if (this.avroType.isValid(value)) return e;
    const { path, expected, actual } = avroProblem(this.avroType, value);
    return new SerdeError('SINK_VALUE_INVALID', `${this.node.name}: an output record for ${this.topicName} does not fit the Avro schema of ${avroFormat.subject}: ${path ? `field "${path}"` : 'the value'} must be ${expected}, not ${actual}.`, {
      hint: 'The job emits a value of another type than the sink schema: fix the job (or the input it copies the field from). The record that caused it went to the dead-letter topic and the job went on.',
      cause: e,
      data: { operator: this.node.name, topic: this.topicName, subject: avroFormat.subject, path, expected, actual },
    });
  }

  override async flush(): Promise<void> {
    const out = this.json;
    this.json = [];
    for (const p of this.avro.splice(0)) {
      try {
        out.push({ key: p.key, value: await this.serde!.serialize(p.value), headers: lineageHeaders(p.source, p.timestamp), timestamp: clampTimestamp(p.timestamp) });
      } catch (e) {
        this.failed(this.explain(e, p.value), p.source);
      }
    }
    if (out.length === 0) return;
    await this.io.send(this.topicName, out, { compression: this.spec.compression });
    this.metrics.recordsOut += out.length;
  }
}

/** Kafka timestamps are ≥ 0; event time may be anything the job computes. */
function clampTimestamp(ts: number): number | undefined {
  return Number.isFinite(ts) && ts >= 0 ? Math.floor(ts) : undefined;
}

export class CallbackSinkOperator extends Operator {
  private readonly fn: (value: unknown, meta: { timestamp: number; source: IncomingRecord }) => void;

  constructor(node: GraphNode, rt: RuntimeContext) {
    super(node, rt);
    const spec = (node as Extract<GraphNode, { kind: 'sink' }>).sink as Extract<SinkSpec, { type: 'callback' }>;
    this.fn = spec.fn as (value: unknown, meta: { timestamp: number; source: IncomingRecord }) => void;
  }

  // Reused for every call: a callback must copy what it keeps.
  private readonly meta: { timestamp: number; source: IncomingRecord } = { timestamp: 0, source: null as unknown as IncomingRecord };

  processElement(value: unknown, timestamp: number, source: IncomingRecord): void {
    this.metrics.recordsIn++;
    this.meta.timestamp = timestamp;
    this.meta.source = source;
    try {
      this.fn(value, this.meta);
      this.metrics.recordsOut++;
    } catch (e) {
      this.failed(e, source);
    }
  }
}
