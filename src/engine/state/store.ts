/**
 * Keyed state of one operator, stored PER KEY GROUP (design.md §3): a snapshot is a
 * set of per-key-group blocks, and a new parallelism re-assigns whole blocks to
 * subtasks without rehashing. Each key's entry holds one slot per declared state.
 */
import type { KeyGroupRange } from '../key-groups.ts';

export class KeyEntry {
  /** Set when the store drops the entry, so cached references know they are stale. */
  removed = false;

  constructor(
    readonly key: unknown,
    readonly slots: unknown[],
  ) {}

  isEmpty(): boolean {
    return this.slots.every((s) => s === undefined);
  }
}

export class KeyedStateStore {
  private readonly groups: (Map<string, KeyEntry> | undefined)[];
  private count = 0;

  constructor(
    maxParallelism: number,
    private readonly slotCount: number,
  ) {
    this.groups = new Array<Map<string, KeyEntry> | undefined>(maxParallelism);
  }

  get size(): number {
    return this.count;
  }

  get(keyGroup: number, keyString: string): KeyEntry | undefined {
    return this.groups[keyGroup]?.get(keyString);
  }

  getOrCreate(keyGroup: number, keyString: string, key: unknown): KeyEntry {
    let group = this.groups[keyGroup];
    if (!group) {
      group = new Map();
      this.groups[keyGroup] = group;
    }
    let entry = group.get(keyString);
    if (!entry) {
      entry = new KeyEntry(key, new Array<unknown>(this.slotCount));
      group.set(keyString, entry);
      this.count++;
    }
    return entry;
  }

  /** Drops a key whose every state is cleared, so "keys in state" stays honest. */
  removeIfEmpty(keyGroup: number, keyString: string): void {
    const group = this.groups[keyGroup];
    const entry = group?.get(keyString);
    if (group && entry?.isEmpty()) {
      entry.removed = true;
      group.delete(keyString);
      this.count--;
      if (group.size === 0) this.groups[keyGroup] = undefined;
    }
  }

  /** Drops a key and all its state (applying a delta replaces a key's state whole). */
  remove(keyGroup: number, keyString: string): void {
    const group = this.groups[keyGroup];
    const entry = group?.get(keyString);
    if (!group || !entry) return;
    entry.removed = true;
    group.delete(keyString);
    this.count--;
    if (group.size === 0) this.groups[keyGroup] = undefined;
  }

  countIn(range: KeyGroupRange): number {
    let n = 0;
    for (let kg = range.start; kg <= range.end; kg++) n += this.groups[kg]?.size ?? 0;
    return n;
  }

  /** Key groups that hold state, ascending, with their entries. */
  *blocks(): Generator<[number, Map<string, KeyEntry>]> {
    for (let kg = 0; kg < this.groups.length; kg++) {
      const g = this.groups[kg];
      if (g && g.size > 0) yield [kg, g];
    }
  }
}
