/**
 * kafkajs reads and writes gzip by itself and asks a plugin for the other codecs
 * (`CompressionCodecs`, one table for the whole process): this fills the table with
 * codecs.ts, so kafkajs' consumer and producer handle every codec the comparator's
 * fetch reader does, with the same code.
 */
import './kafkajs-grouping.ts'; // first: before kafkajs' producer loads
import kafkajs, { type CompressionTypes as CompressionType } from 'kafkajs';
import { compress, decompress, type Compression } from './codecs.ts';
import type { SendOptions } from './port.ts';

// kafkajs is CommonJS, and Node cannot see these two among its named exports.
const { CompressionCodecs, CompressionTypes } = kafkajs;

const PLUGGED: readonly [CompressionType, Compression][] = [
  [CompressionTypes.Snappy, 'snappy'],
  [CompressionTypes.LZ4, 'lz4'],
  [CompressionTypes.ZSTD, 'zstd'],
];

const KAFKAJS_TYPES: Readonly<Record<Compression, CompressionType>> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};

/** kafkajs' codec value for a send's options (none by default). */
export const kafkaJsCompressionOf = (options: SendOptions | undefined): CompressionType => KAFKAJS_TYPES[options?.compression ?? 'none'];

/** Idempotent: every KafkaJsPort calls it when it is built. */
export function registerKafkaJsCodecs(): void {
  for (const [type, codec] of PLUGGED) {
    const plugin = {
      compress: (encoder: { buffer: Buffer }) => compress(codec, encoder.buffer),
      decompress: async (buffer: Buffer) => decompress(codec, buffer),
    };
    (CompressionCodecs as Record<number, () => unknown>)[type] = () => plugin;
  }
}
