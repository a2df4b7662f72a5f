/**
 * Kafka's compression codecs: the records of a batch (format v2) compressed as a
 * whole, the codec named by bits 0-2 of the batch's attributes. One implementation
 * for every path: the comparator's fetch reader inflates the batches it hands over
 * (record-batches.ts' inflateBatches), kafkajs' consumer and producer go through the
 * codecs registered in kafkajs-codecs.ts. Both directions are asynchronous and run
 * on libuv's threads, off the event loop.
 *
 * What producers write, and so what is read:
 * - gzip: a gzip stream (node:zlib);
 * - snappy: the Java producer frames it the xerial way (a 16-byte header, then
 *   chunks each prefixed by its length); librdkafka (kcat) writes one raw snappy
 *   block. Both are read; xerial is written, as the Java producer does;
 * - lz4: the LZ4 frame format (independent blocks; Kafka's v0/v1 header-checksum
 *   quirk predates format v2, so there is none here);
 * - zstd: a zstd frame, with or without its content size (streaming producers omit it).
 *
 * Packages: snappy and lz4-napi (Rust), @mongodb-js/zstd (Rust; its 1.x line, whose
 * binaries come in platform packages from the npm registry: later lines download them
 * from GitHub at install). Node 20's zlib has no zstd. A zstd decoder in JavaScript
 * (fzstd) was tried first: some 30 times slower than the native one. The native
 * packages load when their codec is first needed, so a platform without their
 * binaries fails only on that codec, saying so, not on every command.
 */
import { createRequire } from 'node:module';
import { gunzip, gzip } from 'node:zlib';
import { promisify } from 'node:util';
import type * as SnappyLib from 'snappy';
import type * as Lz4Lib from 'lz4-napi';
import type * as ZstdLib from '@mongodb-js/zstd';
import { KafkaError, describeUnknown } from '../errors.ts';

/** Kafka's names for its codecs (`compression.type`), indexed by the attribute bits. */
export const COMPRESSIONS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type Compression = (typeof COMPRESSIONS)[number];

/** The compressed records of a batch could not be inflated: corrupt, or not in the codec its attributes name. */
export class CorruptBatchError extends Error {}

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER = 16;
/** The chunk size of the Java producer's snappy stream (snappy-java's default block). */
const XERIAL_CHUNK = 32 * 1024;
/** Kafka's default zstd level (`compression.zstd.level`). */
const ZSTD_LEVEL = 3;

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

type Snappy = typeof SnappyLib;
type Lz4 = typeof Lz4Lib;
type Zstd = typeof ZstdLib;
const require = createRequire(import.meta.url);
const loaded = new Map<string, unknown>();

function native<T>(pkg: string, codec: Compression): T {
  if (!loaded.has(pkg)) {
    try {
      loaded.set(pkg, require(pkg));
    } catch (e) {
      throw new KafkaError('KAFKA_CODEC_UNAVAILABLE', `The ${codec} codec is not available here: its package ${pkg} did not load on ${process.platform}-${process.arch} (${describeUnknown(e)}).`, {
        hint: `Run \`npm ci\` on this machine (the package's binary for the platform comes with it), or use another codec.`,
        cause: e,
      });
    }
  }
  return loaded.get(pkg) as T;
}
const snappy = () => native<Snappy>('snappy', 'snappy');
const lz4 = () => native<Lz4>('lz4-napi', 'lz4');
const zstd = () => native<Zstd>('@mongodb-js/zstd', 'zstd');

/** The codec bits of a batch's attributes, by name; undefined for bits no Kafka version writes. */
export function compressionOf(attributes: number): Compression | undefined {
  return COMPRESSIONS[attributes & 7];
}

const asBuffer = (b: Uint8Array): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.length));

/** The records of a batch compressed with `codec`, inflated. Rejects with CorruptBatchError on bytes the codec cannot read. */
export async function decompress(codec: Compression, data: Uint8Array): Promise<Buffer> {
  try {
    switch (codec) {
      case 'none':
        return asBuffer(data);
      case 'gzip':
        return await gunzipAsync(data);
      case 'snappy':
        return await unsnappy(asBuffer(data));
      case 'lz4':
        return await lz4().decompressFrame(asBuffer(data));
      case 'zstd':
        return await zstd().decompress(asBuffer(data));
    }
  } catch (e) {
    if (e instanceof CorruptBatchError || e instanceof KafkaError) throw e;
    throw new CorruptBatchError(`its ${codec} data cannot be inflated (${describeUnknown(e)})`, { cause: e });
  }
}

/** `data` compressed with `codec` as Kafka's producers write it; the work runs off the event loop where the codec allows. */
export async function compress(codec: Compression, data: Buffer): Promise<Buffer> {
  switch (codec) {
    case 'none':
      return data;
    case 'gzip':
      return gzipAsync(data);
    case 'snappy':
      return xerialSnappy(data);
    case 'lz4':
      return lz4().compressFrame(data);
    case 'zstd':
      return zstd().compress(data, ZSTD_LEVEL);
  }
}

/** Snappy, xerial-framed (the Java producer) or one raw block (librdkafka). */
async function unsnappy(b: Buffer): Promise<Buffer> {
  const raw = async (block: Buffer) => (await snappy().uncompress(block, { asBuffer: true })) as Buffer;
  if (b.length < XERIAL_HEADER || !b.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC)) return raw(b);
  const chunks: Promise<Buffer>[] = [];
  for (let at = XERIAL_HEADER; at < b.length; ) {
    if (at + 4 > b.length) throw new CorruptBatchError(`its xerial snappy framing ends inside a chunk length (byte ${at} of ${b.length})`);
    const size = b.readInt32BE(at);
    at += 4;
    if (size < 0 || at + size > b.length) throw new CorruptBatchError(`its xerial snappy chunk of ${size} bytes at byte ${at} runs past the end (${b.length})`);
    chunks.push(raw(b.subarray(at, at + size)));
    at += size;
  }
  const inflated = await Promise.all(chunks);
  return inflated.length === 1 ? inflated[0]! : Buffer.concat(inflated);
}

/** The xerial framing: magic, version 1, compatible version 1, then length-prefixed raw snappy chunks. */
async function xerialSnappy(data: Buffer): Promise<Buffer> {
  const parts: Promise<Buffer>[] = [];
  for (let at = 0; at < data.length; at += XERIAL_CHUNK) parts.push(snappy().compress(data.subarray(at, at + XERIAL_CHUNK)));
  const chunks = await Promise.all(parts);
  const out = Buffer.allocUnsafe(XERIAL_HEADER + chunks.reduce((n, c) => n + 4 + c.length, 0));
  XERIAL_MAGIC.copy(out, 0);
  out.writeInt32BE(1, 8);
  out.writeInt32BE(1, 12);
  let at = XERIAL_HEADER;
  for (const c of chunks) {
    at = out.writeInt32BE(c.length, at);
    at += c.copy(out, at);
  }
  return out;
}
