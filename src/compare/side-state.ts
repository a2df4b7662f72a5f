import { ComparisonError, KafkaError, SerdeError, describeUnknown } from '../errors.ts';
import type { IncomingRecord, RecordBatch } from '../kafka/port.ts';
import type { CompareRecord, EmitTimeSource } from '../../comparators/types.ts';
import type { SideSettings } from './config.ts';
import { decodeJson, headersRead, toCompareRecord } from './decode.ts';
import { decodePacked, type PackedBatch } from './packed.ts';
import { WatermarkPassage } from './passage.ts';

export interface SideStats {
  readonly topic: string;
  records: number;
  undecodable: number;
  late: number;
  droppedLate: number;
  /** Max event time seen (epoch ms); null before the first record. */
  maxEventTime: number | null;
  watermark: number | null;
  /** Where the side's emit times (for watermark lag) come from; null while unknown or when there are none. */
  emitTime: EmitTimeSource | null;
  firstUndecodable?: string;
}

export interface SideOptions {
  readonly label: string;
  readonly topic: string;
  readonly settings: SideSettings;
  readonly allowedLateness: number;
  readonly maxUndecodable: number;
  /** A live partition silent for this long stops holding the watermark back. */
  readonly idleTimeout: number;
  readonly windowSize: number;
  /** Following the topic (live) rather than reading a range. */
  readonly live: boolean;
  /** Records with an event time before this are skipped (see ComparisonSpec.eventTimeFloor). */
  readonly eventTimeFloor?: number | undefined;
  /** Records caused by input before these positions are skipped (see ComparisonSpec.inputFloor). */
  readonly inputFloor?: InputFloor | undefined;
}

/**
 * Where the compared output's input starts — the fork savepoint's source offsets —
 * so a side holds exactly the output of the input after the fork, told apart by each
 * record's lineage headers. A record without lineage (a timer's output, a job that
 * does not write the headers) is kept: the event-time floor is what cuts those.
 */
export interface InputFloor {
  readonly offsets: readonly { readonly topic: string; readonly partition: number; readonly offset: number }[];
}

/** Decodes an Avro value (through the registry); absent for JSON sides. */
export type AvroDecoder = (bytes: Buffer) => Promise<unknown>;

/**
 * One side of a comparison without the Kafka read: decodes batches into
 * CompareRecords and tracks the side's watermark — the minimum, over the
 * partitions it has seen, of the maximum event time per partition, minus the
 * allowed lateness, so one fast partition cannot make another's records look
 * late — and when (in wall-clock time) that watermark passed each window end.
 * No I/O and no clock: the caller passes `now`.
 */
export class SideState {
  readonly stats: SideStats;
  private readonly maxPerPartition = new Map<number, number>();
  private readonly expected = new Set<number>();
  private readonly lastSeen = new Map<number, number>();
  /** Per partition, when (emit time) its max event time passed each window end. */
  private readonly passages = new Map<number, WatermarkPassage>();
  private openedAt = 0;
  done = false;
  schemaId: number | undefined;

  /** The headers decoding reads (a packed read keeps only these). */
  readonly headers: readonly string[];

  /** inputFloor's offsets by `topic/partition`. */
  private readonly inputFrom: ReadonlyMap<string, number>;

  constructor(readonly o: SideOptions) {
    this.headers = headersRead(o.settings);
    this.inputFrom = new Map((o.inputFloor?.offsets ?? []).map((x) => [`${x.topic}/${x.partition}`, x.offset]));
    this.stats = { topic: o.topic, records: 0, undecodable: 0, late: 0, droppedLate: 0, maxEventTime: null, watermark: null, emitTime: null };
  }

  /**
   * The partitions the watermark waits for: in a bounded read the non-empty ones,
   * in a live read all of them until they idle out (else the partition read first
   * would close the others' windows early).
   */
  expect(partitions: readonly number[], now: number): void {
    for (const p of partitions) this.expected.add(p);
    this.openedAt = now;
  }

  /** Decodes a batch; undecodable records are counted (fatal past the limit), never thrown one by one. */
  async decode(batch: RecordBatch, avro: AvroDecoder | undefined): Promise<CompareRecord[]> {
    if (batch.packed) return this.decodePacked(batch.packed);
    const s = this.o.settings;
    const records: CompareRecord[] = [];
    for (const r of batch.records) {
      try {
        const value = s.format === 'avro' ? await this.decodeAvro(r, avro) : decodeJson(r.value);
        records.push(toCompareRecord(r, value, s));
      } catch (e) {
        this.undecodable(r, e);
      }
    }
    return this.aboveFloor(records);
  }

  /** Decodes a packed batch (JSON sides: the reader packs what `headers` names). */
  decodePacked(p: PackedBatch): CompareRecord[] {
    return this.aboveFloor(decodePacked(p, this.headers, this.o.settings, (offset, e) => this.undecodable({ topic: this.o.topic, partition: p.partition, offset }, e)));
  }

  private aboveFloor(records: CompareRecord[]): CompareRecord[] {
    const floor = this.o.eventTimeFloor;
    const after = floor === undefined ? records : records.filter((r) => r.eventTime >= floor);
    return this.o.inputFloor ? after.filter((r) => this.afterInputFloor(r)) : after;
  }

  private afterInputFloor(r: CompareRecord): boolean {
    const l = r.lineage;
    if (!l) return true;
    const from = this.inputFrom.get(`${l.topic}/${l.partition}`);
    return from === undefined || l.offset >= from;
  }

  undecodable(r: Pick<IncomingRecord, 'topic' | 'partition' | 'offset'>, e: unknown): void {
    if (!(e instanceof SerdeError) && !(e instanceof KafkaError)) throw e;
    this.stats.undecodable++;
    this.stats.firstUndecodable ??= `${r.topic}/${r.partition}@${r.offset}: ${describeUnknown(e)}`;
    if (this.stats.undecodable > this.o.maxUndecodable) {
      throw new ComparisonError('COMPARE_UNDECODABLE', `Side ${this.o.label} (${this.o.topic}) has more than ${this.o.maxUndecodable} undecodable records; first: ${this.stats.firstUndecodable}`, {
        hint: 'Check the side\'s format (json/avro) and eventTime in the checks config, or raise maxUndecodable.',
      });
    }
  }

  private async decodeAvro(r: IncomingRecord, avro: AvroDecoder | undefined): Promise<unknown> {
    if (r.value === null) return null;
    if (r.value.length < 5 || r.value[0] !== 0) throw new SerdeError('SERDE_DECODE_FAILED', `Record is not in the Confluent Avro wire format (${r.value.length} bytes).`);
    this.schemaId ??= r.value.readUInt32BE(1);
    return avro!(r.value);
  }

  /**
   * Watermark bookkeeping for one decoded batch of one partition. Returns per
   * record whether it is late: it arrived after its partition's watermark had
   * passed the end of its window (reordering inside a window is not lateness).
   */
  observeBatch(batch: Pick<RecordBatch, 'partition' | 'timestampType'>, records: readonly CompareRecord[], now: number): boolean[] {
    const p = batch.partition;
    const size = this.o.windowSize;
    const lateness = this.o.allowedLateness;
    const source = this.emitSource(batch, records);
    const late = new Array<boolean>(records.length);
    this.lastSeen.set(p, now);
    let passage = this.passages.get(p);
    if (!passage && source !== undefined) this.passages.set(p, (passage = new WatermarkPassage(size)));
    let max = this.maxPerPartition.get(p);
    let maxEventTime = this.stats.maxEventTime ?? -Infinity;
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      const et = r.eventTime;
      const before = max === undefined ? -Infinity : max - lateness;
      late[i] = Math.floor(et / size) * size + size <= before;
      if (max === undefined || et > max) {
        max = et;
        passage?.reached(et - lateness, source === 'read-time' ? now : r.timestamp);
      }
      if (et > maxEventTime) maxEventTime = et;
    }
    if (max !== undefined) this.maxPerPartition.set(p, max);
    this.stats.records += records.length;
    if (records.length > 0) this.stats.maxEventTime = maxEventTime;
    for (const l of late) if (l) this.stats.late++;
    return late;
  }

  /**
   * The side's emit times, decided on its first records and kept: the broker's
   * append time (LogAppendTime topics), else the record timestamp when it is not
   * the event time (a producer's send time), else in a live read the time the
   * comparator read the record; a bounded read of records stamped with their
   * event time has none.
   */
  private emitSource(batch: Pick<RecordBatch, 'timestampType'>, records: readonly CompareRecord[]): EmitTimeSource | undefined {
    if (this.stats.emitTime !== null || records.length === 0) return this.stats.emitTime ?? undefined;
    if (batch.timestampType === 'LogAppendTime') this.stats.emitTime = 'log-append-time';
    else if (records.some((r) => r.timestamp !== r.eventTime)) this.stats.emitTime = 'record-timestamp';
    else if (this.o.live) this.stats.emitTime = 'read-time';
    return this.stats.emitTime ?? undefined;
  }

  /** Recomputes the watermark after a batch (min over partitions of their max, minus lateness). */
  advance(now: number): void {
    if (this.maxPerPartition.size === 0) return;
    const active = (p: number) => now - (this.lastSeen.get(p) ?? this.openedAt) <= this.o.idleTimeout;
    for (const p of this.expected) if (!this.maxPerPartition.has(p) && active(p)) return;
    let min = Infinity;
    for (const [p, v] of this.maxPerPartition) if (active(p)) min = Math.min(min, v);
    // Every partition idle: the side stands where its most advanced partition is.
    if (min === Infinity) min = Math.max(...this.maxPerPartition.values());
    const wm = min - this.o.allowedLateness;
    if (this.stats.watermark === null || wm > this.stats.watermark) this.stats.watermark = wm;
  }

  /**
   * When this side's watermark passed `end`, in its emit-time clock: when the last
   * of its partitions passed it (each partition in offset order, so the answer does
   * not depend on how the reader interleaved them). In a bounded read every
   * partition must have passed it; in a live one, a partition that has not was idle.
   * Undefined when unknown.
   */
  passedAt(end: number): number | undefined {
    if (this.stats.emitTime === null) return undefined;
    let at = -Infinity;
    const partitions = this.o.live ? this.passages.keys() : this.expected;
    for (const p of partitions) {
      const t = this.passages.get(p)?.passedAt(end);
      if (t === undefined) {
        if (this.o.live) continue;
        return undefined;
      }
      if (t > at) at = t;
    }
    return at === -Infinity || Number.isNaN(at) ? undefined : at;
  }

  /** Where a finished side stands: past everything. */
  effectiveWatermark(): number {
    if (this.done) return Infinity;
    return this.stats.watermark ?? -Infinity;
  }
}
