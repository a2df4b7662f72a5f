import type { CompareRecord } from '../../../comparators/types.ts';
import { fieldsOf, isPlainObject, type Shape } from '../../../comparators/shared/fields.ts';
import { fmix32, hash32 } from '../../../comparators/shared/hash.ts';

/**
 * Digests of record values for the diverging-keys search (pure). A value's digest
 * is the sum (mod 2^32) of one hash per field — path and value together — over its
 * flattened fields (`comparators/shared/fields.ts`), so the order fields were
 * written in does not matter, and fields the comparison ignores (declared
 * expected schema changes, `divergence.ignoreFields`) leave it unchanged.
 */

/** Key-hash bits that pick a bucket: 2^12 = 4096 buckets per side and window. */
export const BUCKET_BITS = 12;
export const BUCKETS = 1 << BUCKET_BITS;
const BUCKET_DIVISOR = 2 ** (53 - BUCKET_BITS);

/** The bucket of a 53-bit key hash (`keyHash53`): its top BUCKET_BITS bits, so buckets are key-hash ranges. */
export function bucketOf(keyHash: number): number {
  return (keyHash / BUCKET_DIVISOR) | 0;
}

/** A field path is ignored when it or one of its parents is listed. */
export function ignoredBy(fields: readonly string[]): (path: string) => boolean {
  if (fields.length === 0) return () => false;
  const set = new Set(fields);
  return (path) => {
    if (set.has(path)) return true;
    for (let i = path.indexOf('.'); i >= 0; i = path.indexOf('.', i + 1)) if (set.has(path.slice(0, i))) return true;
    return false;
  };
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const NULL_HASH = 0x6a09e667;
const TRUE_HASH = 0xbb67ae85;
const FALSE_HASH = 0x3c6ef372;
const UNDEFINED_HASH = 0xa54ff53a;

/** A 32-bit hash of one JSON-like value; numbers by their bits (1 and 1.0 are one number), strings apart from numbers. */
export function scalarHash(v: unknown): number {
  switch (typeof v) {
    case 'number':
      f64[0] = v === 0 ? 0 : v; // -0 is 0
      return fmix32(Math.imul(u32[0]! ^ 0x9e3779b9, 0x85ebca6b) ^ u32[1]!);
    case 'string':
      return hash32(v, 0x1b873593);
    case 'boolean':
      return v ? TRUE_HASH : FALSE_HASH;
    case 'undefined':
      return UNDEFINED_HASH;
    case 'bigint':
      return hash32(v.toString(), 0x2545f491);
    default:
      return v === null ? NULL_HASH : hash32(stableJson(v), 0x68e31da4);
  }
}

/** JSON with object keys sorted, for hashing nested values whatever their key order. */
function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (isPlainObject(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stableJson(v[k])}`).join(',')}}`;
  if (v instanceof Uint8Array) return JSON.stringify(Buffer.from(v).toString('base64'));
  return JSON.stringify(v) ?? 'undefined';
}

/** Per shape: each path's hash, or 0 for an ignored path. */
interface ShapeHashes {
  readonly shape: Shape;
  readonly paths: Uint32Array;
}

const MAX_CACHED_SHAPES = 4096;

/**
 * Digests record values for one comparison (one set of ignored fields). Field
 * paths are hashed once per value shape.
 */
export class ValueDigester {
  private readonly ignored: (path: string) => boolean;
  private last: ShapeHashes | undefined;
  private readonly byShape = new Map<Shape, ShapeHashes>();

  constructor(readonly ignoreFields: readonly string[] = []) {
    this.ignored = ignoredBy(ignoreFields);
  }

  /** The digest of a record's value (0 is a valid digest). */
  digest(record: CompareRecord): number {
    // The decoder's flattened view says the value is an object with fields (the usual case) without another type test.
    const view = fieldsOf(record);
    if (view.values.length === 0) return isPlainObject(record.value) ? 0x5be0cd19 : scalarHash(record.value);
    const hashes = this.hashesOf(view.shape).paths;
    const values = view.values;
    let sum = 0x5be0cd19; // an object with no field differs from null
    // The hot path of the search (every record): numbers and strings hashed inline.
    for (let i = 0; i < values.length; i++) {
      const p = hashes[i]!;
      if (p === 0) continue;
      const fv = values[i];
      let h: number;
      if (typeof fv === 'number') {
        if ((fv | 0) === fv) h = Math.imul(fv ^ 0x27d4eb2f, 0x165667b1);
        else {
          f64[0] = fv;
          h = Math.imul(u32[0]! ^ 0x9e3779b9, 0x85ebca6b) ^ u32[1]!;
        }
      } else if (typeof fv === 'string') {
        h = 0x1b873593 ^ fv.length;
        for (let j = 0; j < fv.length; j++) h = Math.imul(h ^ fv.charCodeAt(j), 0x01000193);
      } else h = scalarHash(fv);
      const x = Math.imul(p ^ h, 0x9e3779b1);
      sum = (sum + (x ^ (x >>> 15))) | 0;
    }
    return sum >>> 0;
  }

  /** Whether the comparison ignores this field path. */
  ignores(path: string): boolean {
    return this.ignored(path);
  }

  private hashesOf(shape: Shape): ShapeHashes {
    if (this.last?.shape === shape) return this.last;
    let h = this.byShape.get(shape);
    if (!h) {
      // Beyond the fields module's interned shapes, shapes are new objects: keep the cache bounded.
      if (this.byShape.size >= MAX_CACHED_SHAPES) this.byShape.clear();
      h = { shape, paths: Uint32Array.from(shape.paths, (p) => (this.ignored(p) ? 0 : hash32(p, 0x7f4a7c15) | 1)) };
      this.byShape.set(shape, h);
    }
    this.last = h;
    return h;
  }
}

/**
 * What one record adds to its bucket's checksum: its key and its value's digest,
 * mixed. The key's low 32 bits suffice: its top bits chose the bucket.
 */
export function contribution(keyHash: number, digest: number): number {
  let x = (Math.imul((keyHash >>> 0) ^ 0x27d4eb2f, 0x165667b1) + digest) | 0;
  x ^= x >>> 15;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}
