/**
 * Key-group math (design.md §3), the one place it lives: routing and restore both
 * import it, so they can never drift apart. Pure: no I/O, no clock.
 *
 *   keyGroup     = murmur3_32(canonical key bytes) mod maxParallelism
 *   subtask      = keyGroup * parallelism / maxParallelism        (integer division)
 *   range(i)     = [ceil(i * maxP / p), floor(((i + 1) * maxP - 1) / p)]
 *
 * These are Flink's formulas, so each subtask owns one contiguous range and the
 * ranges of any parallelism partition [0, maxParallelism) exactly.
 */
import { ConfigError } from '../errors.ts';

export const MIN_MAX_PARALLELISM = 1;
export const MAX_MAX_PARALLELISM = 32768;

/** An inclusive range of key groups [start, end]; empty when end < start. */
export interface KeyGroupRange {
  readonly start: number;
  readonly end: number;
}

export function validateParallelism(maxParallelism: number, parallelism: number): void {
  if (!Number.isInteger(maxParallelism) || maxParallelism < MIN_MAX_PARALLELISM || maxParallelism > MAX_MAX_PARALLELISM) {
    throw new ConfigError('KEYGROUP_BAD_MAX_PARALLELISM', `maxParallelism must be a whole number from ${MIN_MAX_PARALLELISM} to ${MAX_MAX_PARALLELISM}, not ${maxParallelism}.`, {
      hint: 'Choose it once, generously (e.g. 128): it can never change for a job with state.',
    });
  }
  if (!Number.isInteger(parallelism) || parallelism < 1 || parallelism > maxParallelism) {
    throw new ConfigError('KEYGROUP_BAD_PARALLELISM', `parallelism must be a whole number from 1 to maxParallelism (${maxParallelism}), not ${parallelism}.`, {
      hint: parallelism > maxParallelism ? 'Each subtask needs at least one key group: lower --parallelism, or start a new job with a larger maxParallelism.' : undefined,
    });
  }
}

/** MurmurHash3 x86 32-bit of `bytes` with `seed`, as an unsigned 32-bit integer. */
export function murmur3(bytes: Uint8Array, seed = 0): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  const len = bytes.length;
  const blocks = len & ~3;
  let h = seed >>> 0;
  for (let i = 0; i < blocks; i += 4) {
    let k = (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)) >>> 0;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) >>> 0;
  }
  // Tail: the last 1–3 bytes, little-endian, mixed like a block.
  const tail = len & 3;
  if (tail > 0) {
    let k = 0;
    if (tail === 3) k ^= bytes[blocks + 2]! << 16;
    if (tail >= 2) k ^= bytes[blocks + 1]! << 8;
    k ^= bytes[blocks]!;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The key group of a key, given its canonical bytes. */
export function keyGroupOf(keyBytes: Uint8Array, maxParallelism: number): number {
  return murmur3(keyBytes) % maxParallelism;
}

/** The subtask that owns a key group at a parallelism. */
export function subtaskOf(keyGroup: number, maxParallelism: number, parallelism: number): number {
  return Math.floor((keyGroup * parallelism) / maxParallelism);
}

/** The contiguous key-group range owned by subtask `index` of `parallelism`. */
export function rangeOf(index: number, maxParallelism: number, parallelism: number): KeyGroupRange {
  return {
    start: Math.floor((index * maxParallelism + parallelism - 1) / parallelism),
    end: Math.floor(((index + 1) * maxParallelism - 1) / parallelism),
  };
}

/** Every subtask's range, in subtask order; validates the parallelism first. */
export function assignRanges(maxParallelism: number, parallelism: number): KeyGroupRange[] {
  validateParallelism(maxParallelism, parallelism);
  return Array.from({ length: parallelism }, (_, i) => rangeOf(i, maxParallelism, parallelism));
}

export function rangeContains(range: KeyGroupRange, keyGroup: number): boolean {
  return keyGroup >= range.start && keyGroup <= range.end;
}

export function rangeSize(range: KeyGroupRange): number {
  return Math.max(0, range.end - range.start + 1);
}
