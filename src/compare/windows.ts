import type { Check, CompareRecord, Measurement, Side, SideContext, Window, WindowAccumulator, WindowContext } from '../../comparators/types.ts';
import { WindowKeys, type BatchSpan, type WindowDivergence } from './keys/buckets.ts';
import type { ValueDigester } from './keys/digest.ts';

/** Gaps longer than this are not filled with empty windows (a stream that jumps in time). */
const MAX_GAP_WINDOWS = 10_000;

interface OpenWindow {
  readonly window: Window;
  readonly accs: WindowAccumulator[];
  readonly late: Record<Side, number>;
  /** Key-range checksums (diverging keys), made on the window's first record. */
  keys: WindowKeys | undefined;
}

export type ContextOf = (window: Window, late: Record<Side, number>) => WindowContext;

/**
 * Event-time windows of one pair of sides (pure: no I/O, no clock). Records go to
 * the window of their event time; a window is finished, and its measurements
 * produced, only when `closeUpTo` is given a time past its end plus the grace.
 * Windows with no record on either side between the first and the last one seen
 * are still judged (as Inconclusive by the checks), never skipped.
 */
export class WindowSet {
  private readonly open = new Map<number, OpenWindow>();
  /** Every window starting before this is finished. */
  private closedBefore = -Infinity;
  /** The window of the last record added, while it is open. */
  private last: OpenWindow | undefined;
  droppedLate: Record<Side, number> = { a: 0, b: 0 };
  /** Closed windows whose key-range checksums differ, in closing order (the owner takes them). */
  readonly divergences: WindowDivergence[] = [];

  constructor(
    private readonly size: number,
    private readonly grace: number,
    private readonly checks: readonly Check[],
    /** Keeps key-range checksums per window when given (keys/buckets.ts). */
    private readonly digester?: ValueDigester | undefined,
  ) {}

  startOf(eventTime: number): number {
    return Math.floor(eventTime / this.size) * this.size;
  }

  /**
   * `late` says the record arrived behind its side's watermark (counted per window
   * for lateness); `at`, where its batch lies (one object per batch), so a window's
   * records can be read again.
   */
  add(side: Side, record: CompareRecord, late: boolean, at?: BatchSpan): void {
    const et = record.eventTime;
    let w = this.last;
    // Consecutive records mostly fall in the same window.
    if (w === undefined || et < w.window.start || et >= w.window.end) {
      const start = this.startOf(et);
      if (start < this.closedBefore) {
        this.droppedLate[side]++;
        return;
      }
      w = this.open.get(start) ?? this.openWindow(start);
      this.last = w;
    }
    if (late) w.late[side]++;
    const accs = w.accs;
    for (let i = 0; i < accs.length; i++) accs[i]!.add(side, record);
    if (this.digester) (w.keys ??= new WindowKeys(w.window, this.digester)).add(side, record, at);
  }

  /** Finishes every window whose end + grace ≤ time; returns their measurements in window order. */
  closeUpTo(time: number, context: ContextOf): Measurement[] {
    if (this.open.size === 0) return [];
    const out: Measurement[] = [];
    const starts = [...this.open.keys()].sort((x, y) => x - y);
    // Fill gaps between windows with empty ones, so an empty window is judged too.
    const from = Number.isFinite(this.closedBefore) ? this.closedBefore : starts[0]!;
    const last = starts[starts.length - 1]!;
    if ((last - from) / this.size <= MAX_GAP_WINDOWS) {
      for (let s = from; s < last; s += this.size) if (!this.open.has(s)) this.openWindow(s);
    }
    for (const start of [...this.open.keys()].sort((x, y) => x - y)) {
      const w = this.open.get(start)!;
      if (w.window.end + this.grace > time) break;
      this.open.delete(start);
      if (this.last === w) this.last = undefined;
      const ctx = context(w.window, w.late);
      for (const acc of w.accs) out.push(...acc.finish(ctx));
      const d = w.keys?.divergence();
      if (d) this.divergences.push(d);
      this.closedBefore = w.window.end;
    }
    return out;
  }

  get openWindows(): number {
    return this.open.size;
  }

  private openWindow(start: number): OpenWindow {
    const window = { start, end: start + this.size };
    const w: OpenWindow = { window, accs: this.checks.map((c) => c.open(window)), late: { a: 0, b: 0 }, keys: undefined };
    this.open.set(start, w);
    return w;
  }
}

/** A SideContext for windows; exported for tests that build contexts by hand. */
export function sideContext(watermark: number, lateRecords: number, schemaFields?: SideContext['schemaFields']): SideContext {
  return { watermark, lateRecords, schemaFields };
}
