/**
 * A fixed-size uniform sample of a stream (Vitter's algorithm R) for quantiles,
 * so a window of any size costs at most `size` numbers per field and side. The
 * values live in a typed array that grows up to `size` (no per-value objects for
 * the garbage collector). The random source is a seeded xorshift, so a comparison
 * is reproducible.
 */
export class Reservoir {
  private buf: Float64Array;
  private length = 0;
  seen = 0;
  private state: number;

  constructor(readonly size: number, seed = 0x9e3779b9) {
    this.state = seed >>> 0 || 1;
    this.buf = new Float64Array(Math.min(size, 256));
  }

  add(v: number): void {
    this.seen++;
    if (this.length < this.size) {
      if (this.length === this.buf.length) {
        const next = new Float64Array(Math.min(this.size, this.buf.length * 2));
        next.set(this.buf);
        this.buf = next;
      }
      this.buf[this.length++] = v;
      return;
    }
    const j = this.next() % this.seen;
    if (j < this.size) this.buf[j] = v;
  }

  /** The sample (a view: valid until the next add). */
  get values(): Float64Array {
    return this.buf.subarray(0, this.length);
  }

  /** A sorted copy of the sample. */
  sorted(): Float64Array {
    return this.buf.slice(0, this.length).sort();
  }

  private next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state;
  }
}
