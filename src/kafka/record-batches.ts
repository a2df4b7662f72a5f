import { KafkaError } from '../errors.ts';
import { CorruptBatchError, compressionOf, decompress, type Compression } from './codecs.ts';
import type { AbortedTransaction } from './fetch-wire.ts';

/**
 * Kafka record batches (message format v2), read straight from the bytes a fetch
 * returned. Three steps, on two threads:
 * - selectBatches (the reading thread): walks batch headers only, drops control
 *   batches and aborted transactions, and says which byte ranges hold records in
 *   the requested offset range and where the read now stands;
 * - inflateBatches (the reading thread, codecs on libuv's threads): hands those
 *   batches over uncompressed;
 * - unpackRecords (the thread that decodes): walks those batches' records into
 *   the packed layout of packed.ts — offsets and timestamps, and the positions of
 *   each record's key, value and named headers in the bytes — without one object
 *   per record.
 *
 * Batch header (offsets from the batch's start): baseOffset i64 @0, batchLength
 * i32 @8 (bytes after it), leaderEpoch i32 @12, magic i8 @16, crc u32 @17,
 * attributes i16 @21 (bits 0-2 compression, 3 LogAppendTime, 4 transactional,
 * 5 control), lastOffsetDelta i32 @23, baseTimestamp i64 @27, maxTimestamp i64 @35,
 * producerId i64 @43, producerEpoch i16 @51, baseSequence i32 @53, records i32 @57,
 * then the records @61.
 */

export const HEADER = 61;

/** A batch pitlane cannot read: a message format before v2, or codec bits no Kafka version writes. */
export class UnsupportedBatchError extends Error {}

export const int64 = (b: Uint8Array, at: number): number => {
  const v = new DataView(b.buffer, b.byteOffset + at, 8);
  return v.getInt32(0) * 4294967296 + v.getUint32(4);
};
export const int32 = (b: Uint8Array, at: number): number => ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) | 0;
export const int16 = (b: Uint8Array, at: number): number => ((b[at]! << 8) | b[at + 1]!) << 16 >> 16;

export interface BatchSelection {
  /** [start, end) byte ranges in `records` of the batches to keep, in order. */
  readonly ranges: number[];
  /** Their total size. */
  readonly bytes: number;
  /** Records the kept batches hold (some may lie outside the offset range). */
  readonly records: number;
  /** The offset after the last whole batch walked; `from` when none was. */
  readonly next: number;
  /** The last kept batch's timestamp type. */
  readonly logAppendTime: boolean;
}

/**
 * Picks the data batches of one partition's fetched bytes that hold records in
 * [from, to). With read_committed, a transactional batch of a producer whose
 * transaction the broker lists as aborted is dropped, up to that producer's abort
 * marker — the rule Kafka's own consumer follows. The last batch may be cut short
 * by the fetch size: it is left for the next fetch.
 */
export function selectBatches(records: Buffer, from: number, to: number, aborted: readonly AbortedTransaction[], readCommitted: boolean): BatchSelection {
  const ranges: number[] = [];
  const abortedProducers = new Set<number>();
  let pendingAborts = 0;
  let bytes = 0;
  let count = 0;
  let next = from;
  let logAppendTime = false;
  for (let at = 0; at + HEADER <= records.length; ) {
    const size = 12 + int32(records, at + 8);
    if (at + size > records.length) break;
    const magic = records[at + 16]!;
    if (magic !== 2) throw new UnsupportedBatchError(`a record batch in message format v${magic} (offset ${int64(records, at)}); only v2 (Kafka 0.11 and later) is read`);
    const base = int64(records, at);
    const last = base + int32(records, at + 23);
    const attributes = int16(records, at + 21);
    const start = at;
    at += size;
    if (last < next) continue; // before the position (a fetch returns whole batches)
    if (base >= to) break;
    next = Math.min(last + 1, to);
    if (readCommitted && (attributes & 0x10) !== 0) {
      const producerId = int64(records, start + 43);
      while (pendingAborts < aborted.length && aborted[pendingAborts]!.firstOffset <= last) abortedProducers.add(aborted[pendingAborts++]!.producerId);
      if ((attributes & 0x20) !== 0) {
        if (isAbortMarker(records, start)) abortedProducers.delete(producerId);
        continue;
      }
      if (abortedProducers.has(producerId)) continue;
    }
    if ((attributes & 0x20) !== 0) continue; // a control batch (transaction marker)
    if (compressionOf(attributes) === undefined) throw new UnsupportedBatchError(`a record batch with compression codec ${attributes & 7} (offset ${base}), which no Kafka version writes; pitlane reads none, gzip, snappy, lz4 and zstd`);
    ranges.push(start, start + size);
    bytes += size;
    count += int32(records, start + 57);
    logAppendTime = (attributes & 0x08) !== 0;
  }
  return { ranges, bytes, records: count, next, logAppendTime };
}

/** A batch's header, as far as finding transaction markers needs it (transaction-marks.ts). */
export interface BatchHeader {
  readonly base: number;
  readonly last: number;
  readonly producerId: number;
  readonly transactional: boolean;
  /** A transaction marker; `commit` tells a commit from an abort. */
  readonly control: boolean;
  readonly commit: boolean;
  /** For a marker, the broker's time when it wrote it. */
  readonly maxTimestamp: number;
}

/** The headers of the whole batches in fetched bytes (the last may be cut short: left out). */
export function batchHeaders(records: Buffer): BatchHeader[] {
  const out: BatchHeader[] = [];
  for (let at = 0; at + HEADER <= records.length; ) {
    const size = 12 + int32(records, at + 8);
    if (at + size > records.length) break;
    if (records[at + 16] !== 2) throw new UnsupportedBatchError(`a record batch in message format v${records[at + 16]} (offset ${int64(records, at)}); only v2 (Kafka 0.11 and later) is read`);
    const base = int64(records, at);
    const attributes = int16(records, at + 21);
    const control = (attributes & 0x20) !== 0;
    out.push({ base, last: base + int32(records, at + 23), producerId: int64(records, at + 43), transactional: (attributes & 0x10) !== 0, control, commit: control && !isAbortMarker(records, at), maxTimestamp: int64(records, at + 35) });
    at += size;
  }
  return out;
}

/** A control batch's one record: its key is [version i16, type i16]; type 0 ends a transaction by aborting it. */
function isAbortMarker(b: Buffer, batch: number): boolean {
  const v = new Varints(b, batch + HEADER);
  v.varint(); // record length
  v.at += 1; // attributes
  v.varint(); // timestamp delta
  v.varint(); // offset delta
  const keyLength = v.varint();
  return keyLength >= 4 && int16(b, v.at + 2) === 0;
}

/** Zig-zag varints, read in place. */
export class Varints {
  constructor(
    readonly b: Uint8Array,
    public at: number,
  ) {}

  varint(): number {
    const b = this.b;
    let raw = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = b[this.at++]!;
      raw += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    // Zig-zag: even raw → raw / 2, odd → -(raw + 1) / 2 (arithmetic: timestamp deltas can pass 32 bits).
    return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
  }
}

/** Records laid out as packed.ts lays out a packed batch, over `bytes`. */
export interface UnpackedRecords {
  readonly count: number;
  /** [offset, timestamp] per record. */
  readonly nums: Float64Array;
  /** [start, length] per record for the key, the value and each named header; length -1: absent. */
  readonly spans: Int32Array;
  /** The bytes the spans point into; starts at a multiple of 8 in its ArrayBuffer. */
  readonly bytes: Buffer;
}

/**
 * The batches selectBatches kept, as the pieces to hand over back to back: an
 * uncompressed batch as it is (a view of `records`), a compressed one (codecs.ts)
 * inflated into an uncompressed batch — its header copied with the codec bits
 * cleared and the new length (the CRC, which nothing here checks, no longer
 * matches), then the inflated records. The inflating runs on libuv's threads, all
 * batches at once. `where` names the partition for errors: records that do not
 * inflate are a KafkaError (KAFKA_CORRUPT_BATCH) naming it and the batch's offset.
 */
export async function inflateBatches(records: Buffer, ranges: readonly number[], where: string): Promise<Buffer[]> {
  const pieces: Promise<Buffer[]>[] = [];
  for (let i = 0; i < ranges.length; i += 2) {
    const batch = records.subarray(ranges[i]!, ranges[i + 1]!);
    const codec = compressionOf(int16(batch, 21)) ?? 'none';
    pieces.push(codec === 'none' ? Promise.resolve([batch]) : inflateBatch(batch, codec, where));
  }
  return (await Promise.all(pieces)).flat();
}

async function inflateBatch(batch: Buffer, codec: Compression, where: string): Promise<Buffer[]> {
  let inflated: Buffer;
  try {
    inflated = await decompress(codec, batch.subarray(HEADER));
  } catch (e) {
    if (!(e instanceof CorruptBatchError)) throw e;
    throw new KafkaError('KAFKA_CORRUPT_BATCH', `The record batch at offset ${int64(batch, 0)} of ${where} cannot be read: ${e.message}.`, {
      hint: 'The bytes Kafka returned are not what the batch says they are (a corrupt log segment, or a producer that mislabels its codec); read the partition with kcat or kafka-console-consumer to see whether they fail too.',
      cause: e,
    });
  }
  const header = Buffer.from(batch.subarray(0, HEADER));
  header.writeInt32BE(HEADER - 12 + inflated.length, 8);
  header.writeInt16BE(int16(batch, 21) & ~7, 21);
  return [header, inflated];
}

/**
 * The records with offsets in [from, to) of the batches in `data` (as selectBatches
 * kept them and inflateBatches handed them over, back to back), read in place.
 * `headerNames` are the headers to find, as bytes.
 */
export function unpackRecords(data: Buffer, from: number, to: number, headerNames: readonly Buffer[], capacity: number): UnpackedRecords {
  const fields = 2 + headerNames.length;
  const nums = new Float64Array(capacity * 2);
  const spans = new Int32Array(capacity * fields * 2);
  let n = 0;
  for (let at = 0; at + HEADER <= data.length; ) {
    const size = 12 + int32(data, at + 8);
    const base = int64(data, at);
    const attributes = int16(data, at + 21);
    if ((attributes & 7) !== 0) throw new Error(`unpackRecords: the batch at offset ${base} is still compressed; inflateBatches hands batches over inflated`);
    const logAppend = (attributes & 0x08) !== 0;
    const baseTimestamp = logAppend ? int64(data, at + 35) : int64(data, at + 27);
    const count = int32(data, at + 57);
    const v = new Varints(data, at + HEADER);
    for (let r = 0; r < count; r++) {
      const length = v.varint();
      const end = v.at + length;
      v.at += 1; // attributes
      const tsDelta = v.varint();
      const offset = base + v.varint();
      if (offset < from || offset >= to || n >= capacity) {
        v.at = end;
        continue;
      }
      nums[2 * n] = offset;
      nums[2 * n + 1] = logAppend ? baseTimestamp : baseTimestamp + tsDelta;
      const s = n * fields * 2;
      const keyLength = v.varint();
      spans[s] = v.at;
      spans[s + 1] = keyLength;
      if (keyLength > 0) v.at += keyLength;
      const valueLength = v.varint();
      spans[s + 2] = v.at;
      spans[s + 3] = valueLength;
      if (valueLength > 0) v.at += valueLength;
      for (let h = 4; h < fields * 2; h += 2) spans[s + h + 1] = -1;
      for (let headers = v.varint(); headers > 0; headers--) {
        const nameLength = v.varint();
        const nameAt = v.at;
        v.at += nameLength;
        const valueLen = v.varint();
        const h = headerIndex(data, nameAt, nameLength, headerNames);
        if (h >= 0 && spans[s + 5 + 2 * h] === -1) {
          spans[s + 4 + 2 * h] = v.at;
          spans[s + 5 + 2 * h] = valueLen;
        }
        if (valueLen > 0) v.at += valueLen;
      }
      v.at = end;
      n++;
    }
    at += size;
  }
  return { count: n, nums, spans, bytes: data };
}

function headerIndex(b: Uint8Array, at: number, length: number, names: readonly Buffer[]): number {
  outer: for (let h = 0; h < names.length; h++) {
    const name = names[h]!;
    if (name.length !== length) continue;
    for (let i = 0; i < length; i++) if (b[at + i] !== name[i]) continue outer;
    return h;
  }
  return -1;
}
