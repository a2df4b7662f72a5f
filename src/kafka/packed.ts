import type { RecordBatch } from './port.ts';

/**
 * One partition's batch of records in one transferable buffer, for a reader in
 * another thread (the comparison worker): no record object crosses threads and
 * nothing is cloned.
 *
 * Layout: Float64 [offset, timestamp] per record; Int32 [start, length] per record
 * for the key, the value and each named header (length -1: absent), positions in
 * the bytes that follow. Those bytes are either the fields copied one after the
 * other or, when every field is a view of one buffer (kafkajs hands out views of
 * the fetch response), that buffer's range copied at once: one copy per batch
 * instead of one per field, with the record framing between the fields included.
 */
export interface PackedBatch {
  /**
   * `fields` (the default): the layout above. `records`: Kafka record batches
   * (format v2) back to back, as fetched, compressed ones inflated (inflateBatches);
   * the receiving thread lays them out as above with record-batches.ts'
   * unpackRecords, keeping offsets in [from, to).
   */
  readonly kind?: 'fields' | 'records' | undefined;
  readonly from?: number | undefined;
  readonly to?: number | undefined;
  readonly partition: number;
  /** Records (`records`: those the batches hold, an upper bound on those in range). */
  readonly count: number;
  readonly timestampType: RecordBatch['timestampType'];
  /** Holds the batch in its first `size` bytes (a reused buffer may be larger). */
  readonly buffer: ArrayBuffer;
  readonly size: number;
  /** The offset of the batch's last record (`records`: the last offset the batches cover). */
  readonly lastOffset: number;
}

/** Where packing gets its buffers (a pool of buffers the other thread gave back). */
export interface BufferSource {
  take(size: number): ArrayBuffer;
}

/**
 * Buffers the other thread has finished with, handed back to be packed into
 * again: the packing thread then allocates almost no memory outside its heap,
 * which would otherwise count towards (and trigger) its garbage collections.
 */
export class BufferPool implements BufferSource {
  private readonly free: ArrayBuffer[] = [];

  constructor(private readonly max = 16) {}

  take(size: number): ArrayBuffer {
    for (let i = this.free.length - 1; i >= 0; i--) {
      if (this.free[i]!.byteLength >= size) return this.free.splice(i, 1)[0]!;
    }
    // Room to grow, so a slightly larger batch next time still fits. Not zero-filled:
    // every byte the batch uses is written.
    return Buffer.allocUnsafeSlow(Math.ceil(size * 1.25)).buffer as ArrayBuffer;
  }

  give(b: ArrayBuffer): void {
    if (this.free.length < this.max) this.free.push(b);
  }
}

/** A buffer of at least `size` bytes to pack into: from the pool when there is one. */
export function takeBuffer(pool: BufferSource | undefined, size: number): ArrayBuffer {
  return pool ? pool.take(size) : (Buffer.allocUnsafeSlow(size).buffer as ArrayBuffer);
}

/** A record as the KafkaPort or kafkajs hands it out (kafkajs: offset and timestamp as strings). */
export interface PackableRecord {
  readonly offset: number | string;
  readonly timestamp: number | string;
  readonly key?: Buffer | null | undefined;
  readonly value?: Buffer | null | undefined;
  /** kafkajs gives a repeated header name an array: its first value counts. */
  readonly headers?: Readonly<Record<string, unknown>> | undefined;
}

export interface PackOptions {
  readonly partition: number;
  readonly timestampType: RecordBatch['timestampType'];
  /** The headers to keep, by name; others are left out. */
  readonly headerNames: readonly string[];
  readonly pool?: BufferSource | undefined;
  /** Records before this offset are left out (fetched before a seek took effect). */
  readonly from?: number | undefined;
  /** Records at or past this offset are left out (a bounded read's end). */
  readonly to?: number | undefined;
}

/** The fields of the records being packed, and their offsets and timestamps (reused between batches). */
let parts: (Buffer | undefined)[] = [];
let nums = new Float64Array(4096);

/** The packed header's bytes, or undefined: kafkajs gives Buffers, an array for a repeated name. */
function headerBytes(v: unknown): Buffer | undefined {
  if (Buffer.isBuffer(v)) return v;
  if (Array.isArray(v)) return headerBytes(v[0]);
  return typeof v === 'string' ? Buffer.from(v) : undefined;
}

/** Packs the records of one partition's batch whose offsets lie in [from, to); undefined when none does. */
export function packRecords(records: readonly PackableRecord[], o: PackOptions): PackedBatch | undefined {
  const fields = 2 + o.headerNames.length;
  const from = o.from ?? -Infinity;
  const to = o.to ?? Infinity;
  const wanted = new Map(o.headerNames.map((h, i) => [h, i]));
  if (parts.length < records.length * fields) parts = new Array<Buffer | undefined>(records.length * fields);
  if (nums.length < records.length * 2) nums = new Float64Array(records.length * 2);
  let n = 0;
  let bytes = 0;
  let base: ArrayBufferLike | undefined;
  let oneBuffer = true;
  let lo = Infinity;
  let hi = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const offset = Number(r.offset);
    if (offset < from) continue;
    if (offset >= to) break;
    nums[2 * n] = offset;
    nums[2 * n + 1] = Number(r.timestamp);
    const at = n * fields;
    parts[at] = r.key ?? undefined;
    parts[at + 1] = r.value ?? undefined;
    for (let h = 2; h < fields; h++) parts[at + h] = undefined;
    // Records carry few headers: walking them beats looking up every wanted name.
    const headers = r.headers;
    if (headers) {
      for (const name in headers) {
        const h = wanted.get(name);
        if (h !== undefined) parts[at + 2 + h] = headerBytes(headers[name]);
      }
    }
    for (let f = at; f < at + fields; f++) {
      const b = parts[f];
      if (!b || b.length === 0) continue;
      bytes += b.length;
      if (base === undefined) base = b.buffer;
      else if (b.buffer !== base) oneBuffer = false;
      if (b.byteOffset < lo) lo = b.byteOffset;
      if (b.byteOffset + b.length > hi) hi = b.byteOffset + b.length;
    }
    n++;
  }
  if (n === 0) return undefined;
  // The range holds framing (and, between partitions, other bytes): copy it whole only while it is not much larger.
  const range = base !== undefined && oneBuffer && hi - lo <= 2 * bytes + 65536;
  const dataBytes = range ? hi - lo : bytes;
  const numsBytes = n * 16;
  const spansBytes = n * fields * 8;
  const size = numsBytes + spansBytes + dataBytes;
  const buffer = takeBuffer(o.pool, size);
  new Float64Array(buffer, 0, n * 2).set(nums.subarray(0, n * 2));
  const spans = new Int32Array(buffer, numsBytes, n * fields * 2);
  const data = new Uint8Array(buffer, numsBytes + spansBytes, dataBytes);
  if (range) data.set(new Uint8Array(base!, lo, hi - lo));
  let pos = 0;
  for (let f = 0; f < n * fields; f++) {
    const b = parts[f];
    parts[f] = undefined;
    if (!b) {
      spans[2 * f] = 0;
      spans[2 * f + 1] = -1;
    } else if (b.length === 0) {
      spans[2 * f] = 0;
      spans[2 * f + 1] = 0;
    } else if (range) {
      spans[2 * f] = b.byteOffset - lo;
      spans[2 * f + 1] = b.length;
    } else {
      data.set(b, pos);
      spans[2 * f] = pos;
      spans[2 * f + 1] = b.length;
      pos += b.length;
    }
  }
  return { partition: o.partition, count: n, timestampType: o.timestampType, buffer, size, lastOffset: nums[2 * (n - 1)]! };
}

/** Packs a KafkaPort batch (all of its records). */
export function packBatch(batch: RecordBatch, headerNames: readonly string[], pool?: BufferSource): PackedBatch {
  const packed = packRecords(batch.records, { partition: batch.partition, timestampType: batch.timestampType, headerNames, pool });
  return packed ?? { partition: batch.partition, count: 0, timestampType: batch.timestampType, buffer: new ArrayBuffer(0), size: 0, lastOffset: -1 };
}
