import { isAscii } from 'node:buffer';
import type { RecordBatch } from '../kafka/port.ts';
import type { CompareRecord } from '../../comparators/types.ts';
import type { SideSettings } from './config.ts';
import { compareRecordOf, parseJson, type RecordParts } from './decode.ts';

/**
 * A RecordBatch as one transferable buffer, for the comparison worker: the
 * reading thread copies what decoding needs (key, value, timestamp, offset and
 * the named headers) into one ArrayBuffer and transfers it, so no record object
 * crosses threads and nothing is cloned.
 *
 * Layout: Float64 [offset, timestamp] per record; Int32 [start, length] per record
 * for the key, the value and each named header (length -1: absent); then the bytes.
 */
export interface PackedBatch {
  readonly partition: number;
  readonly count: number;
  readonly timestampType: RecordBatch['timestampType'];
  /** Holds the batch in its first `size` bytes (a reused buffer may be larger). */
  readonly buffer: ArrayBuffer;
  readonly size: number;
}

/**
 * Buffers the worker has finished with, handed back to be packed into again: the
 * reading thread then allocates almost no memory outside its heap, which would
 * otherwise count towards (and trigger) its garbage collections.
 */
export class BufferPool {
  private readonly free: ArrayBuffer[] = [];

  constructor(private readonly max = 16) {}

  take(size: number): ArrayBuffer {
    for (let i = this.free.length - 1; i >= 0; i--) {
      if (this.free[i]!.byteLength >= size) return this.free.splice(i, 1)[0]!;
    }
    // Room to grow, so a slightly larger batch next time still fits. Not zero-filled:
    // every byte of the batch is written.
    return Buffer.allocUnsafeSlow(Math.ceil(size * 1.25)).buffer as ArrayBuffer;
  }

  give(b: ArrayBuffer): void {
    if (this.free.length < this.max) this.free.push(b);
  }
}

/** The key, value and named headers of every record of the batch being packed (reused between batches). */
let parts: (Buffer | null | undefined)[] = [];

export function packBatch(batch: RecordBatch, headerNames: readonly string[], pool?: BufferPool): PackedBatch {
  const records = batch.records;
  const n = records.length;
  const fields = 2 + headerNames.length;
  if (parts.length < n * fields) parts = new Array(n * fields);
  const wanted = new Map(headerNames.map((h, i) => [h, i]));
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const r = records[i]!;
    const at = i * fields;
    parts[at] = r.key;
    parts[at + 1] = r.value;
    bytes += (r.key?.length ?? 0) + (r.value?.length ?? 0);
    for (let h = 2; h < fields; h++) parts[at + h] = undefined;
    // Records carry few headers: walking them beats looking up every wanted name.
    const headers = r.headers;
    for (const name in headers) {
      const h = wanted.get(name);
      if (h === undefined) continue;
      const b = headers[name]!;
      parts[at + 2 + h] = b;
      bytes += b.length;
    }
  }
  const numsBytes = n * 16;
  const spansBytes = n * fields * 8;
  const size = numsBytes + spansBytes + bytes;
  const buffer = pool ? pool.take(size) : (Buffer.allocUnsafeSlow(size).buffer as ArrayBuffer);
  const nums = new Float64Array(buffer, 0, n * 2);
  const spans = new Int32Array(buffer, numsBytes, n * fields * 2);
  const data = new Uint8Array(buffer, numsBytes + spansBytes, bytes);
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const r = records[i]!;
    nums[2 * i] = r.offset;
    nums[2 * i + 1] = r.timestamp;
    const end = (i + 1) * fields;
    for (let f = i * fields; f < end; f++) {
      const b = parts[f];
      parts[f] = undefined;
      if (!b) {
        spans[2 * f] = 0;
        spans[2 * f + 1] = -1;
        continue;
      }
      data.set(b, pos);
      spans[2 * f] = pos;
      spans[2 * f + 1] = b.length;
      pos += b.length;
    }
  }
  return { partition: batch.partition, count: n, timestampType: batch.timestampType, buffer, size };
}

/**
 * Decodes a packed batch of a JSON side straight from the transferred bytes:
 * strings are decoded from ranges of the buffer and headers read in place, so a
 * record costs its CompareRecord and decoded value, and no views.
 */
export function decodePacked(p: PackedBatch, headerNames: readonly string[], settings: SideSettings, onError: (offset: number, e: unknown) => void): CompareRecord[] {
  const n = p.count;
  const fields = 2 + headerNames.length;
  const numsBytes = n * 16;
  const spansBytes = n * fields * 8;
  const nums = new Float64Array(p.buffer, 0, n * 2);
  const spans = new Int32Array(p.buffer, numsBytes, n * fields * 2);
  const parts = new PackedParts(Buffer.from(p.buffer, numsBytes + spansBytes, p.size - numsBytes - spansBytes), headerNames, spans);
  // All-ASCII bytes (the usual case) read as one latin1 string: each value is then a
  // substring for JSON.parse, cheaper than decoding every value on its own.
  const text = isAscii(parts.bytes) ? parts.bytes.toString('latin1') : undefined;
  parts.ascii = text !== undefined;
  const out: CompareRecord[] = [];
  for (let i = 0; i < n; i++) {
    const at = 2 * i * fields;
    parts.timestamp = nums[2 * i + 1]!;
    parts.at = at;
    const valueAt = spans[at + 2]!;
    const valueLen = spans[at + 3]!;
    try {
      const value = valueLen < 0 ? null : parseJson(text !== undefined ? text.substring(valueAt, valueAt + valueLen) : parts.bytes.toString('utf8', valueAt, valueAt + valueLen));
      out.push(compareRecordOf(parts, value, settings));
    } catch (e) {
      onError(nums[2 * i]!, e);
    }
  }
  return out;
}

/** RecordParts over one record of a packed batch at a time (`at`: its first span). */
class PackedParts implements RecordParts {
  timestamp = 0;
  at = 0;
  ascii = false;
  start = 0;
  end = 0;

  constructor(
    readonly bytes: Buffer,
    private readonly names: readonly string[],
    private readonly spans: Int32Array,
  ) {}

  recordKey(): string | null {
    const start = this.spans[this.at]!;
    const len = this.spans[this.at + 1]!;
    if (len < 0) return null;
    // A copy, not a substring of the batch's text: keys outlive the batch (key coverage keeps them).
    return this.bytes.toString(this.ascii ? 'latin1' : 'utf8', start, start + len);
  }

  header(name: string): boolean {
    const h = this.names.indexOf(name);
    if (h < 0) return false;
    const s = this.at + 4 + 2 * h;
    const len = this.spans[s + 1]!;
    if (len < 0) return false;
    this.start = this.spans[s]!;
    this.end = this.start + len;
    return true;
  }
}
