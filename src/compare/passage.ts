/**
 * When (wall-clock, epoch ms) a side's watermark passed each window end: the
 * measure behind the lateness check's watermark lag. Pure: the caller says what
 * the watermark is and when.
 *
 * Only the first time the watermark passes each window end is kept (window ends
 * are multiples of the window size, as windows are aligned to the epoch), so the
 * history holds about one entry per window, and at most `limit` of them.
 */
export class WatermarkPassage {
  private readonly marks: number[] = [];
  private readonly times: number[] = [];
  private start = 0;
  private last = -Infinity;
  /** Ends at or below this were passed at times no longer kept. */
  private forgotten = -Infinity;

  constructor(
    private readonly windowSize: number,
    private readonly limit = 10_000,
  ) {}

  /** The watermark reached `watermark` at `at`. Calls come in increasing watermark order. */
  reached(watermark: number, at: number): void {
    if (!(watermark > this.last)) return;
    const crossed = Math.floor(watermark / this.windowSize) > Math.floor(this.last / this.windowSize) || this.last === -Infinity;
    this.last = watermark;
    if (!crossed) return;
    this.marks.push(watermark);
    this.times.push(at);
    if (this.marks.length - this.start > this.limit) this.forgotten = this.marks[this.start++]!;
    if (this.start > 4096 && this.start * 2 > this.marks.length) {
      this.marks.splice(0, this.start);
      this.times.splice(0, this.start);
      this.start = 0;
    }
  }

  /** When the watermark first reached `end` or beyond; undefined if it has not (or that is forgotten). */
  passedAt(end: number): number | undefined {
    if (end <= this.forgotten) return undefined;
    let lo = this.start;
    let hi = this.marks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.marks[mid]! >= end) hi = mid;
      else lo = mid + 1;
    }
    return lo === this.marks.length ? undefined : this.times[lo];
  }
}
