/**
 * A fixed-size uniform sample of a stream (Vitter's algorithm R) for quantiles,
 * so a window of any size costs at most `size` numbers per field and side. The
 * random source is a seeded xorshift, so a comparison is reproducible.
 */
export class Reservoir {
  readonly values: number[] = [];
  seen = 0;
  private state: number;

  constructor(readonly size: number, seed = 0x9e3779b9) {
    this.state = seed >>> 0 || 1;
  }

  add(v: number): void {
    this.seen++;
    if (this.values.length < this.size) {
      this.values.push(v);
      return;
    }
    const j = this.next() % this.seen;
    if (j < this.size) this.values[j] = v;
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
