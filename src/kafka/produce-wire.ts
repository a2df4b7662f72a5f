/**
 * The producing side of the Kafka wire protocol, as far as an idempotent producer
 * needs it (direct-producer.ts): record batches (message format v2) encoded straight
 * from the port's records into one buffer — no object or Buffer per record or header,
 * strings written in place — InitProducerId v0 and Produce v7 (acks = all). kafkajs
 * builds several objects and Buffers per record and header to encode the same bytes.
 */
import { crc32c } from '@node-rs/crc32';
import { compress, type Compression } from './codecs.ts';
import type { OutgoingRecord } from './port.ts';

// The checksum of record batches, CRC-32C (Castagnoli): @node-rs/crc32, native with the
// CPU's CRC instructions, its binary from the npm registry — 15× kafkajs' table in JavaScript.

const CODEC_BITS: Readonly<Record<Compression, number>> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 };
const HEADER = 61;

export interface BatchIdentity {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
}

const varintSize = (n: number): number => {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  let size = 1;
  while (z >= 128) {
    z = Math.floor(z / 128);
    size++;
  }
  return size;
};

function writeVarint(b: Buffer, at: number, n: number): number {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  while (z >= 128) {
    b[at++] = (z % 128) | 0x80;
    z = Math.floor(z / 128);
  }
  b[at++] = z;
  return at;
}

type Field = Buffer | string | null | undefined;

/**
 * Strings up to this many UTF-16 units are measured and, when ASCII, written here, char
 * by char: for the short keys, values and header fields of a job's output that is
 * several times faster than Buffer.byteLength and Buffer.write, each a call into C++.
 */
const SHORT = 64;

/** A string's UTF-8 length: its length when it is short ASCII (the two are equal only then). */
function utf8Length(s: string): number {
  const n = s.length;
  if (n > SHORT) return Buffer.byteLength(s);
  for (let i = 0; i < n; i++) if (s.charCodeAt(i) >= 0x80) return Buffer.byteLength(s);
  return n;
}

const fieldSize = (f: Field): number => (f == null ? 0 : typeof f === 'string' ? utf8Length(f) : f.length);

function writeField(b: Buffer, at: number, f: Field, size: number): number {
  if (f == null) return writeVarint(b, at, -1);
  at = writeVarint(b, at, size);
  if (typeof f !== 'string') f.copy(b, at);
  else if (size === f.length && size <= SHORT) for (let i = 0; i < size; i++) b[at + i] = f.charCodeAt(i);
  else b.write(f, at, size, 'utf8');
  return at + size;
}

/**
 * One record batch of `records`, in order, for one partition: offsets from 0 (the
 * broker assigns them), CreateTime timestamps (now for a record without one), the
 * producer's id, epoch and the partition's next sequence; its records compressed
 * with `compression` (codecs.ts).
 */
export async function encodeRecordBatch(records: readonly OutgoingRecord[], id: BatchIdentity, compression: Compression = 'none', now = Date.now()): Promise<Buffer> {
  const first = records[0]?.timestamp ?? now;
  let max = first;
  // First pass: each record's body size (its length prefix comes first).
  const sizes = new Array<number>(records.length);
  const headerCounts = new Array<number>(records.length);
  let total = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const ts = r.timestamp ?? now;
    if (ts > max) max = ts;
    const k = fieldSize(r.key);
    const v = fieldSize(r.value);
    let body = 1 + varintSize(ts - first) + varintSize(i) + (r.key == null ? 1 : varintSize(k) + k) + (r.value == null ? 1 : varintSize(v) + v);
    let headers = 0;
    const h = r.headers;
    if (h) {
      for (const name in h) {
        const hv = h[name]!;
        const n = utf8Length(name);
        const s = fieldSize(hv);
        body += varintSize(n) + n + varintSize(s) + s;
        headers++;
      }
    }
    body += varintSize(headers);
    sizes[i] = body;
    headerCounts[i] = headers;
    total += varintSize(body) + body;
  }
  let data: Buffer = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    at = writeVarint(data, at, sizes[i]!);
    data[at++] = 0; // attributes
    at = writeVarint(data, at, (r.timestamp ?? now) - first);
    at = writeVarint(data, at, i);
    at = writeField(data, at, r.key, fieldSize(r.key));
    at = writeField(data, at, r.value, fieldSize(r.value));
    const h = r.headers;
    if (!h) {
      data[at++] = 0;
      continue;
    }
    at = writeVarint(data, at, headerCounts[i]!);
    for (const name in h) {
      const hv = h[name]!;
      at = writeField(data, at, name, utf8Length(name));
      at = writeField(data, at, hv, fieldSize(hv));
    }
  }
  if (compression !== 'none') data = await compress(compression, data);
  const b = Buffer.allocUnsafe(HEADER + data.length);
  b.writeBigInt64BE(0n, 0); // base offset: the broker assigns it
  b.writeInt32BE(HEADER - 12 + data.length, 8);
  b.writeInt32BE(-1, 12); // partition leader epoch
  b.writeInt8(2, 16); // magic
  b.writeInt16BE(CODEC_BITS[compression], 21);
  b.writeInt32BE(Math.max(0, records.length - 1), 23);
  b.writeBigInt64BE(BigInt(first), 27);
  b.writeBigInt64BE(BigInt(max), 35);
  b.writeBigInt64BE(BigInt(id.producerId), 43);
  b.writeInt16BE(id.producerEpoch, 51);
  b.writeInt32BE(id.baseSequence, 53);
  b.writeInt32BE(records.length, 57);
  data.copy(b, HEADER);
  b.writeUInt32BE(crc32c(b.subarray(21)) >>> 0, 17);
  return b;
}

/** A request frame: size, request header v1 (api key, version, correlation id, client id), body. */
export function frame(apiKey: number, version: number, correlationId: number, clientId: string, body: Buffer): Buffer {
  const client = Buffer.from(clientId, 'utf8');
  const head = Buffer.allocUnsafe(4 + 2 + 2 + 4 + 2 + client.length);
  head.writeInt32BE(head.length - 4 + body.length, 0);
  head.writeInt16BE(apiKey, 4);
  head.writeInt16BE(version, 6);
  head.writeInt32BE(correlationId, 8);
  head.writeInt16BE(client.length, 12);
  client.copy(head, 14);
  return Buffer.concat([head, body]);
}

/** InitProducerId v0 for an idempotent producer without a transactional id. */
export function encodeInitProducerId(correlationId: number, clientId: string): Buffer {
  const body = Buffer.allocUnsafe(6);
  body.writeInt16BE(-1, 0); // transactional id: null
  body.writeInt32BE(60_000, 2); // transaction timeout (unused without one)
  return frame(22, 0, correlationId, clientId, body);
}

export function decodeInitProducerId(b: Buffer): { errorCode: number; producerId: number; producerEpoch: number } {
  return { errorCode: b.readInt16BE(4), producerId: Number(b.readBigInt64BE(6)), producerEpoch: b.readInt16BE(14) };
}

export interface ProduceTopic {
  readonly topic: string;
  readonly partitions: readonly { readonly partition: number; readonly batch: Buffer }[];
}

/**
 * Produce v7, acks = all, no transactional id: the request of v3 (the first with
 * record batches), at the version a broker takes zstd batches at (Kafka 2.1+).
 */
export function encodeProduce(correlationId: number, clientId: string, timeoutMs: number, topics: readonly ProduceTopic[]): Buffer {
  const parts: Buffer[] = [];
  const head = Buffer.allocUnsafe(2 + 2 + 4 + 4);
  head.writeInt16BE(-1, 0); // transactional id: null
  head.writeInt16BE(-1, 2); // acks: all in-sync replicas
  head.writeInt32BE(timeoutMs, 4);
  head.writeInt32BE(topics.length, 8);
  parts.push(head);
  for (const t of topics) {
    const name = Buffer.from(t.topic, 'utf8');
    const th = Buffer.allocUnsafe(2 + name.length + 4);
    th.writeInt16BE(name.length, 0);
    name.copy(th, 2);
    th.writeInt32BE(t.partitions.length, 2 + name.length);
    parts.push(th);
    for (const p of t.partitions) {
      const ph = Buffer.allocUnsafe(8);
      ph.writeInt32BE(p.partition, 0);
      ph.writeInt32BE(p.batch.length, 4);
      parts.push(ph, p.batch);
    }
  }
  return frame(0, 7, correlationId, clientId, Buffer.concat(parts));
}

export interface ProducedPartition {
  readonly topic: string;
  readonly partition: number;
  readonly errorCode: number;
  readonly baseOffset: number;
}

/** A Produce v7 response body (after the size and correlation id). */
export function decodeProduce(b: Buffer): ProducedPartition[] {
  const out: ProducedPartition[] = [];
  let at = 0;
  for (let topics = b.readInt32BE(at), t = (at += 4, 0); t < topics; t++) {
    const len = b.readInt16BE(at);
    const topic = b.toString('utf8', at + 2, at + 2 + len);
    at += 2 + len;
    const parts = b.readInt32BE(at);
    at += 4;
    for (let i = 0; i < parts; i++) {
      out.push({ topic, partition: b.readInt32BE(at), errorCode: b.readInt16BE(at + 4), baseOffset: Number(b.readBigInt64BE(at + 6)) });
      at += 4 + 2 + 8 + 8 + 8; // … log append time, log start offset
    }
  }
  return out;
}
