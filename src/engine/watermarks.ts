/**
 * Per-partition event-time watermarks (design.md §3). Pure: the caller passes the
 * processing time in, so idleness is testable with plain numbers.
 *
 * - A partition's watermark is `maxEventTime − outOfOrderness − 1` (Flink's bounded
 *   out-of-orderness convention: a record at exactly the max event time seen is never late).
 * - The source watermark is the minimum over ACTIVE partitions. A partition that has
 *   had no record for `idleTimeout` ms is idle and drops out until its next record,
 *   so one silent partition cannot stall event time.
 * - The emitted watermark never goes backwards, even when an idle partition with an
 *   older event time comes back.
 */

export const NO_WATERMARK = Number.NEGATIVE_INFINITY;

export interface WatermarkOptions {
  /** Bounded out-of-orderness in ms (how far behind the max a record may arrive without being late). */
  readonly outOfOrderness: number;
  /** Ms without records after which a partition stops holding the watermark back; undefined: never idle. */
  readonly idleTimeout?: number | undefined;
}

interface PartitionState {
  maxEventTime: number;
  lastActivity: number;
}

export interface PartitionWatermark {
  readonly partition: string;
  readonly watermark: number;
  readonly idle: boolean;
}

export class WatermarkTracker {
  private readonly partitions = new Map<string, PartitionState>();
  private emitted = NO_WATERMARK;

  constructor(private readonly options: WatermarkOptions) {}

  /** Declares a partition before its first record (it holds the watermark back until it is idle). */
  addPartition(partition: string, now: number): void {
    if (!this.partitions.has(partition)) this.partitions.set(partition, { maxEventTime: NO_WATERMARK, lastActivity: now });
  }

  /** Restores a partition's watermark from a snapshot. */
  restorePartition(partition: string, watermark: number, now: number): void {
    const maxEventTime = watermark === NO_WATERMARK ? NO_WATERMARK : watermark + this.options.outOfOrderness + 1;
    this.partitions.set(partition, { maxEventTime, lastActivity: now });
  }

  observe(partition: string, eventTime: number, now: number): void {
    const p = this.partitions.get(partition);
    if (p === undefined) this.partitions.set(partition, { maxEventTime: eventTime, lastActivity: now });
    else {
      if (eventTime > p.maxEventTime) p.maxEventTime = eventTime;
      p.lastActivity = now;
    }
  }

  private partitionWatermark(p: PartitionState): number {
    return p.maxEventTime === NO_WATERMARK ? NO_WATERMARK : p.maxEventTime - this.options.outOfOrderness - 1;
  }

  private isIdle(p: PartitionState, now: number): boolean {
    return this.options.idleTimeout !== undefined && now - p.lastActivity >= this.options.idleTimeout;
  }

  private minimumOver(states: PartitionState[]): number {
    if (states.length === 0) return NO_WATERMARK;
    let min = Number.POSITIVE_INFINITY;
    for (const p of states) min = Math.min(min, this.partitionWatermark(p));
    return min;
  }

  /** The source watermark at processing time `now`; monotonic. All partitions idle: it holds. */
  current(now: number): number {
    const active = [...this.partitions.values()].filter((p) => !this.isIdle(p, now));
    if (active.length > 0) this.emitted = Math.max(this.emitted, this.minimumOver(active));
    return this.emitted;
  }

  /** Per-partition view for status and snapshots. */
  describe(now: number): PartitionWatermark[] {
    return [...this.partitions.entries()].map(([partition, p]) => ({ partition, watermark: this.partitionWatermark(p), idle: this.isIdle(p, now) }));
  }
}
