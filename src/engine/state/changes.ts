/**
 * The keys of one keyed operator that may have changed since a tracked savepoint
 * (its base): every key a record was processed for or a timer fired for. All keyed
 * state and timers change only with a key in scope (records and timers), so these
 * keys are a superset of the changed ones — and a delta that re-sends each of them
 * in full (or a tombstone) turns the base into the current state. One Map.set per
 * record: cheap enough to stay on for the whole time between base and stop.
 */
export class ChangedKeys {
  /** keyString → key group. */
  private readonly keys = new Map<string, number>();

  constructor(readonly baseId: string) {}

  touch(keyString: string, keyGroup: number): void {
    this.keys.set(keyString, keyGroup);
  }

  get size(): number {
    return this.keys.size;
  }

  has(keyString: string): boolean {
    return this.keys.has(keyString);
  }

  /** The touched keys grouped by key group, key groups ascending. */
  byKeyGroup(): [number, string[]][] {
    const groups = new Map<number, string[]>();
    for (const [ks, kg] of this.keys) {
      let g = groups.get(kg);
      if (!g) groups.set(kg, (g = []));
      g.push(ks);
    }
    return [...groups.entries()].sort((a, b) => a[0] - b[0]);
  }
}
