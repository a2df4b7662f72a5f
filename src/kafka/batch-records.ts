import type { IncomingRecord } from './port.ts';
import { HEADER, Varints, int16, int32, int64 } from './record-batches.ts';

const NO_HEADERS: Readonly<Record<string, Buffer>> = Object.freeze({});

/**
 * The records with offsets in [from, to) of uncompressed record batches (format v2)
 * back to back — as selectBatches kept them and inflateBatches handed them over —
 * as the port's IncomingRecords, for a reader that hands records to a consumer in
 * this thread (the engine's sources). One small object per record and views of
 * `data` for key, value and header values: no strings for offsets or timestamps, no
 * per-batch objects, and nothing is copied. A repeated header name keeps its first
 * value, as the kafkajs reader does.
 */
export function decodeRecords(data: Buffer, topic: string, partition: number, from: number, to: number): IncomingRecord[] {
  const out: IncomingRecord[] = [];
  for (let at = 0; at + HEADER <= data.length; ) {
    const size = 12 + int32(data, at + 8);
    const base = int64(data, at);
    const attributes = int16(data, at + 21);
    if ((attributes & 7) !== 0) throw new Error(`decodeRecords: the batch at offset ${base} is still compressed; inflateBatches hands batches over inflated`);
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
      if (offset < from || offset >= to) {
        v.at = end;
        continue;
      }
      const keyLength = v.varint();
      const key = keyLength < 0 ? null : data.subarray(v.at, v.at + keyLength);
      if (keyLength > 0) v.at += keyLength;
      const valueLength = v.varint();
      const value = valueLength < 0 ? null : data.subarray(v.at, v.at + valueLength);
      if (valueLength > 0) v.at += valueLength;
      let headers = NO_HEADERS;
      const n = v.varint();
      if (n > 0) {
        const h: Record<string, Buffer> = {};
        for (let i = 0; i < n; i++) {
          const nameLength = v.varint();
          const name = data.toString('utf8', v.at, v.at + nameLength);
          v.at += nameLength;
          const len = v.varint();
          if (!(name in h)) h[name] = len < 0 ? Buffer.alloc(0) : data.subarray(v.at, v.at + len);
          if (len > 0) v.at += len;
        }
        headers = h;
      }
      v.at = end;
      out.push({ topic, partition, offset, key, value, headers, timestamp: logAppend ? baseTimestamp : baseTimestamp + tsDelta });
    }
    at += size;
  }
  return out;
}
