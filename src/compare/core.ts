import type { RecordBatch } from '../kafka/port.ts';
import type { CompareRecord, Measurement, Side, Window, WindowContext } from '../../comparators/types.ts';
import type { CompareConfig } from './config.ts';
import { SideState, type AvroDecoder, type SideOptions } from './side-state.ts';
import { WindowSet } from './windows.ts';
import { spanOfBatch, type BatchSpan } from './keys/buckets.ts';
import { ValueDigester } from './keys/digest.ts';

export type SideLabel = 'a' | 'b' | 'noise';

/** What the registry says about the sides' schemas (Avro only; empty for JSON). */
export interface SchemaInfo {
  a?: Record<string, string> | undefined;
  b?: Record<string, string> | undefined;
  noise?: Record<string, string> | undefined;
  compatibility?: WindowContext['compatibility'];
}

/**
 * The comparison without the Kafka reads: side states, event-time windows and
 * judged measurements. The driver feeds it batches, in this thread or in a worker
 * (`compare-worker.ts`); it does no I/O and reads no clock.
 */
export class ComparisonCore {
  readonly sides: { a: SideState; b: SideState; noise: SideState | undefined };
  readonly main: WindowSet;
  readonly noiseSet: WindowSet | undefined;
  readonly measurements: Measurement[] = [];
  readonly noiseMeasurements: Measurement[] = [];
  readonly windows = new Map<number, Window>();

  constructor(
    readonly config: CompareConfig,
    options: { a: SideOptions; b: SideOptions; noise?: SideOptions | undefined },
  ) {
    this.sides = { a: new SideState(options.a), b: new SideState(options.b), noise: options.noise ? new SideState(options.noise) : undefined };
    const d = config.divergence;
    this.main = new WindowSet(config.window, config.grace, config.checks, d?.enabled ? new ValueDigester(d.ignoreFields) : undefined);
    this.noiseSet = options.noise ? new WindowSet(config.window, config.grace, config.checks) : undefined;
  }

  side(label: SideLabel): SideState {
    const s = this.sides[label];
    if (!s) throw new Error(`no side ${label}`);
    return s;
  }

  /** Decodes one batch of a side, adds its records to the windows and moves the side's watermark. */
  async ingest(label: SideLabel, batch: RecordBatch, now: number, avro?: AvroDecoder): Promise<void> {
    this.add(label, batch, await this.side(label).decode(batch, avro), now, spanOfBatch(batch));
  }

  /** Adds one partition's decoded records to the windows and moves the side's watermark; `at`: the offsets the batch covers. */
  add(label: SideLabel, batch: Pick<RecordBatch, 'partition' | 'timestampType'>, records: readonly CompareRecord[], now: number, at?: BatchSpan): void {
    const s = this.side(label);
    const late = s.observeBatch(batch, records, now);
    const main = this.main;
    const noise = this.noiseSet;
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      const l = late[i]!;
      if (label === 'a') {
        main.add('a', r, l, at);
        noise?.add('a', r, l);
      } else if (label === 'b') main.add('b', r, l, at);
      else noise?.add('b', r, l);
    }
    s.advance(now);
  }

  /** Judges every window both sides of a pair have passed (end + grace). */
  judge(info: SchemaInfo): void {
    const { a, b, noise } = this.sides;
    const mainTime = Math.min(a.effectiveWatermark(), b.effectiveWatermark());
    for (const m of this.main.closeUpTo(mainTime, this.contextFor(a, b, 'a', 'b', info))) {
      this.measurements.push(m);
      this.windows.set(m.window.start, m.window);
    }
    if (this.noiseSet && noise) {
      const noiseTime = Math.min(a.effectiveWatermark(), noise.effectiveWatermark());
      this.noiseMeasurements.push(...this.noiseSet.closeUpTo(noiseTime, this.contextFor(a, noise, 'a', 'noise', info)));
    }
  }

  /** The time both watermarks of the main pair have passed (for deciding whether a judge is due). */
  canJudge(): boolean {
    const { a, b, noise } = this.sides;
    return Math.min(a.effectiveWatermark(), b.effectiveWatermark()) > -Infinity || (noise !== undefined && Math.min(a.effectiveWatermark(), noise.effectiveWatermark()) > -Infinity);
  }

  get openWindows(): number {
    return Math.max(this.main.openWindows, this.noiseSet?.openWindows ?? 0);
  }

  droppedLate(label: SideLabel): number {
    return label === 'noise' ? (this.noiseSet?.droppedLate.b ?? 0) : this.main.droppedLate[label];
  }

  private contextFor(x: SideState, y: SideState, xl: 'a', yl: 'b' | 'noise', info: SchemaInfo) {
    return (window: Window, late: Record<Side, number>): WindowContext => ({
      window,
      a: { watermark: x.effectiveWatermark(), lateRecords: late.a, schemaFields: info[xl], watermarkPassedAt: x.passedAt(window.end), emitTime: x.stats.emitTime ?? undefined },
      b: { watermark: y.effectiveWatermark(), lateRecords: late.b, schemaFields: info[yl], watermarkPassedAt: y.passedAt(window.end), emitTime: y.stats.emitTime ?? undefined },
      compatibility: yl === 'b' ? info.compatibility : undefined,
    });
  }
}
