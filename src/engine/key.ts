/**
 * Keys → canonical bytes → key group (design.md §3). The canonical form of a key is
 * its JSON text with object fields sorted, so it is stable across processes and
 * versions, reversible (a restored key is JSON.parse of it) and the same for routing
 * and restore. Pure; the cache only saves re-hashing hot primitive keys.
 */
import { keyGroupOf } from './key-groups.ts';

export function canonicalKey(key: unknown): string {
  if (typeof key === 'string') return JSON.stringify(key);
  if (typeof key === 'number' || typeof key === 'boolean' || key === null) return JSON.stringify(key);
  return JSON.stringify(sortFields(key));
}

function sortFields(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortFields);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v as object).sort().map((k) => [k, sortFields((v as Record<string, unknown>)[k])]));
  }
  return v;
}

export interface ResolvedKey {
  readonly keyString: string;
  readonly keyGroup: number;
  /** The operator's state entry for this key, cached to save a second map lookup (see KeyEntry.removed). */
  entry?: { readonly removed: boolean } | undefined;
}

/** Resolves keys to (canonical string, key group), caching primitive keys (bounded). */
export class KeyResolver {
  private cache = new Map<unknown, ResolvedKey>();

  constructor(
    private readonly maxParallelism: number,
    private readonly cacheLimit = 1 << 20,
  ) {}

  resolve(key: unknown): ResolvedKey {
    const primitive = typeof key !== 'object' || key === null;
    if (primitive) {
      const hit = this.cache.get(key);
      if (hit !== undefined) return hit;
    }
    const keyString = canonicalKey(key);
    const resolved: ResolvedKey = { keyString, keyGroup: keyGroupOf(Buffer.from(keyString, 'utf8'), this.maxParallelism), entry: undefined };
    if (primitive) {
      if (this.cache.size >= this.cacheLimit) this.cache = new Map();
      this.cache.set(key, resolved);
    }
    return resolved;
  }

  keyGroupOfString(keyString: string): number {
    return keyGroupOf(Buffer.from(keyString, 'utf8'), this.maxParallelism);
  }
}
