/**
 * Non-cryptographic hashes for the checks: FNV-1a over UTF-16 code units and
 * murmur3's fmix32 finalizer, seeded so two independent 32-bit hashes can be
 * combined into one 53-bit number (a JavaScript number holds it exactly).
 */

/** A 32-bit hash of a string; different seeds give independent hashes. */
export function hash32(s: string, seed = 0x811c9dc5): number {
  let h = seed;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

/** Folds a non-negative integer below 2^53 (an offset, epoch ms) into a running 32-bit hash. */
export function mixInt(h: number, n: number): number {
  const lo = n >>> 0;
  const hi = Math.floor(n / 4294967296) >>> 0;
  h = Math.imul(h ^ lo, 0x01000193);
  h = Math.imul(h ^ hi, 0x01000193);
  return fmix32(h);
}

/** Two 32-bit hashes as one exact 53-bit number (the top 21 bits of `hi`, all of `lo`). */
export function combine53(hi: number, lo: number): number {
  return (hi >>> 11) * 4294967296 + (lo >>> 0);
}

export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const KEY_SEED_HI = 0x811c9dc5;
const KEY_SEED_LO = 0x3c6ef372;

/** A 53-bit hash of a record key; two keys collide with probability about 2^-53. */
export function keyHash53(key: string): number {
  return combine53(hash32(key, KEY_SEED_HI), hash32(key, KEY_SEED_LO));
}
