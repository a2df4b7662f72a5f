import { ComparisonError, KafkaError, SerdeError, describeUnknown } from '../errors.ts';
import type { IncomingRecord, KafkaPort, RecordBatch, RecordReader, EndPosition, StartPosition } from '../kafka/port.ts';
import type { SchemaRegistryPort } from '../kafka/registry.ts';
import type { CompareRecord } from '../../comparators/types.ts';
import type { SideSettings } from './config.ts';
import { decodeJson, toCompareRecord } from './decode.ts';

/** One topic to read, and the range to read it in. */
export interface ReaderSpec {
  readonly topic: string;
  readonly from?: StartPosition | undefined;
  /** `end` (default): bounded to the high watermarks at start; `follow`: live. */
  readonly to?: EndPosition | undefined;
}

export interface SideStats {
  readonly topic: string;
  records: number;
  undecodable: number;
  late: number;
  droppedLate: number;
  /** Max event time seen (epoch ms); null before the first record. */
  maxEventTime: number | null;
  watermark: number | null;
  firstUndecodable?: string;
}

/**
 * One side of a comparison: reads a topic over the KafkaPort, decodes records and
 * tracks the side's watermark as the minimum, over the partitions it has seen, of
 * the maximum event time per partition, minus the allowed lateness — so one fast
 * partition cannot make another partition's records look late.
 */
export class ComparisonSide {
  readonly stats: SideStats;
  private reader: RecordReader | undefined;
  private iterator: AsyncIterator<RecordBatch> | undefined;
  private pending: Promise<IteratorResult<RecordBatch>> | undefined;
  private readonly maxPerPartition = new Map<number, number>();
  private readonly expected = new Set<number>();
  private readonly lastSeen = new Map<number, number>();
  private openedAt = 0;
  done = false;
  schemaId: number | undefined;

  constructor(
    readonly label: string,
    readonly spec: ReaderSpec,
    readonly settings: SideSettings,
    private readonly allowedLateness: number,
    private readonly maxUndecodable: number,
    private readonly kafka: KafkaPort,
    private readonly registry: SchemaRegistryPort | undefined,
    private readonly clock: () => number,
    /** A live partition silent for this long stops holding the watermark back. */
    private readonly idleTimeout: number,
  ) {
    this.stats = { topic: spec.topic, records: 0, undecodable: 0, late: 0, droppedLate: 0, maxEventTime: null, watermark: null };
  }

  /**
   * Fails with a clear error when the topic does not exist or Avro has no registry.
   * Also reads the watermarks once: kafkajs' admin can return no partitions when two
   * topics are first looked up concurrently, so every side's topic is made known
   * here, one after the other, before any reader starts.
   */
  async check(): Promise<void> {
    try {
      await this.kafka.partitionCount(this.spec.topic);
      const marks = await this.kafka.watermarks(this.spec.topic);
      // The watermark waits for every partition that may deliver (else the partition
      // read first would close the others' windows early): in a bounded read the
      // non-empty ones, in a live read all of them until they idle out.
      for (const m of marks) if (this.spec.to === 'follow' || m.high > m.low) this.expected.add(m.partition);
      this.openedAt = this.clock();
    } catch (e) {
      if (e instanceof KafkaError && e.code === 'KAFKA_TOPIC_NOT_FOUND') {
        throw new ComparisonError('COMPARE_TOPIC_NOT_FOUND', `Topic ${this.spec.topic} (side ${this.label}) does not exist.`, {
          hint: 'Check the topic name (`pitlane topic list`) and the broker (--brokers).',
          cause: e,
        });
      }
      throw e;
    }
    if (this.settings.format === 'avro' && !this.registry) {
      throw new ComparisonError('COMPARE_NO_REGISTRY', `Side ${this.label} (${this.spec.topic}) is Avro but no schema registry is configured.`, {
        hint: 'Pass --registry-url or set SCHEMA_REGISTRY_URL.',
      });
    }
  }

  open(): void {
    this.reader = this.kafka.read({ topics: [this.spec.topic], from: this.spec.from ?? 'earliest', to: this.spec.to ?? 'end', bufferedBatches: 8 });
    this.iterator = this.reader[Symbol.asyncIterator]();
  }

  /** The in-flight fetch of the next batch (one at a time). */
  next(): Promise<IteratorResult<RecordBatch>> {
    this.pending ??= this.iterator!.next();
    return this.pending;
  }

  /** Called once the promise from next() resolved and its batch was taken. */
  consumed(): void {
    this.pending = undefined;
  }

  /** Decodes a batch; undecodable records are counted (fatal past the limit), never thrown one by one. */
  async decode(batch: RecordBatch): Promise<{ partition: number; records: CompareRecord[] }> {
    const out: CompareRecord[] = [];
    for (const r of batch.records) {
      try {
        const value = this.settings.format === 'avro' ? await this.decodeAvro(r) : decodeJson(r.value);
        out.push(toCompareRecord(r, value, this.settings));
      } catch (e) {
        if (!(e instanceof SerdeError) && !(e instanceof KafkaError)) throw e;
        this.stats.undecodable++;
        this.stats.firstUndecodable ??= `${r.topic}/${r.partition}@${r.offset}: ${describeUnknown(e)}`;
        if (this.stats.undecodable > this.maxUndecodable) {
          throw new ComparisonError('COMPARE_UNDECODABLE', `Side ${this.label} (${this.spec.topic}) has more than ${this.maxUndecodable} undecodable records; first: ${this.stats.firstUndecodable}`, {
            hint: 'Check the side\'s format (json/avro) and eventTime in the checks config, or raise maxUndecodable.',
          });
        }
      }
    }
    return { partition: batch.partition, records: out };
  }

  private async decodeAvro(r: IncomingRecord): Promise<unknown> {
    if (r.value === null) return null;
    if (r.value.length < 5 || r.value[0] !== 0) throw new SerdeError('SERDE_DECODE_FAILED', `Record is not in the Confluent Avro wire format (${r.value.length} bytes).`);
    this.schemaId ??= r.value.readUInt32BE(1);
    return this.registry!.decode(r.value);
  }

  /**
   * Records one record and returns its partition's watermark before it (max event
   * time of that partition so far minus the allowed lateness; -Infinity at first).
   * Per partition, so lateness does not depend on how the reader interleaved
   * partitions, which differs between the two sides.
   */
  observe(partition: number, eventTime: number, now: number): number {
    this.lastSeen.set(partition, now);
    const prev = this.maxPerPartition.get(partition);
    if (prev === undefined || eventTime > prev) this.maxPerPartition.set(partition, eventTime);
    this.stats.records++;
    if (this.stats.maxEventTime === null || eventTime > this.stats.maxEventTime) this.stats.maxEventTime = eventTime;
    return prev === undefined ? -Infinity : prev - this.allowedLateness;
  }

  /** Recomputes the watermark after a batch (min over partitions of their max, minus lateness). */
  advance(): void {
    if (this.maxPerPartition.size === 0) return;
    const now = this.clock();
    const active = (p: number) => now - (this.lastSeen.get(p) ?? this.openedAt) <= this.idleTimeout;
    for (const p of this.expected) if (!this.maxPerPartition.has(p) && active(p)) return;
    let min = Infinity;
    for (const [p, v] of this.maxPerPartition) if (active(p)) min = Math.min(min, v);
    // Every partition idle: the side stands where its most advanced partition is.
    if (min === Infinity) min = Math.max(...this.maxPerPartition.values());
    const wm = min - this.allowedLateness;
    if (this.stats.watermark === null || wm > this.stats.watermark) this.stats.watermark = wm;
  }

  /** Where a finished side stands: past everything. */
  effectiveWatermark(): number {
    if (this.done) return Infinity;
    return this.stats.watermark ?? -Infinity;
  }

  async close(): Promise<void> {
    await this.reader?.close();
  }
}
