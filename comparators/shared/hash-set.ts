/**
 * A set of 53-bit hashes (non-negative integers) in one typed array, open
 * addressing with linear probing: adding a key costs no allocation, so a window
 * of distinct keys is one array for the garbage collector, not one entry each.
 */
export class HashSet53 {
  private table: Float64Array;
  private mask: number;
  size = 0;

  constructor(capacity = 4096) {
    let cap = 16;
    while (cap < capacity * 2) cap *= 2;
    this.table = new Float64Array(cap).fill(-1);
    this.mask = cap - 1;
  }

  /** Adds `h`; true when it was not there yet. */
  add(h: number): boolean {
    let i = (h >>> 0) & this.mask;
    const t = this.table;
    for (;;) {
      const v = t[i]!;
      if (v === h) return false;
      if (v === -1) break;
      i = (i + 1) & this.mask;
    }
    t[i] = h;
    if (++this.size * 2 > t.length) this.grow();
    return true;
  }

  has(h: number): boolean {
    let i = (h >>> 0) & this.mask;
    const t = this.table;
    for (;;) {
      const v = t[i]!;
      if (v === h) return true;
      if (v === -1) return false;
      i = (i + 1) & this.mask;
    }
  }

  *values(): IterableIterator<number> {
    for (const v of this.table) if (v !== -1) yield v;
  }

  private grow(): void {
    const old = this.table;
    this.table = new Float64Array(old.length * 2).fill(-1);
    this.mask = this.table.length - 1;
    this.size = 0;
    for (const v of old) if (v !== -1) this.add(v);
  }
}
