/**
 * The codec registry by format version, and the version-independent envelope of
 * `_metadata`:  magic "PLSP" (4 bytes)  u32be formatVersion  body (codec-specific).
 *
 * A new format version adds a codec here and keeps the old ones, so every
 * savepoint ever written stays readable. Pure.
 */
import { SavepointFormatError } from '../../errors.ts';
import type { KeyGroupBlock } from '../snapshot/model.ts';
import type { BlockIndexEntry, SavepointMetadata } from './metadata.ts';
import type { FramingContext } from './block-framing-v1.ts';
import { codecV1 } from './codec-v1.ts';

export const SAVEPOINT_MAGIC = Buffer.from('PLSP', 'latin1');
export const ENVELOPE_HEADER_SIZE = 8;
/** The version new savepoints are written in. */
export const CURRENT_FORMAT_VERSION = 1;

export interface SavepointCodec {
  readonly version: number;
  encodeMetadataBody(meta: SavepointMetadata): Buffer;
  decodeMetadataBody(body: Buffer, where: string): SavepointMetadata;
  encodeDataFile(blocks: readonly KeyGroupBlock[], stateIndex: ReadonlyMap<string, number>): { bytes: Buffer; index: BlockIndexEntry[] };
  checkDataFileHeader(file: Buffer, ctx: FramingContext): void;
  decodeBlock(file: Buffer, entry: BlockIndexEntry, stateNames: readonly string[], ctx: FramingContext): KeyGroupBlock;
}

const registry = new Map<number, SavepointCodec>([[1, codecV1]]);

export const codecs = {
  /** The codec of a format version; an unknown version is an error that lists the likely causes. */
  get(version: number, where = 'the savepoint'): SavepointCodec {
    const codec = registry.get(version);
    if (codec) return codec;
    throw new SavepointFormatError('SAVEPOINT_UNKNOWN_VERSION', `${where} has format version ${version}, which this pitlane does not know (it reads ${[...registry.keys()].join(', ')}).`, {
      hint:
        'Likely causes: (1) it was written by a newer pitlane — upgrade pitlane to read it; ' +
        '(2) the file is not a pitlane savepoint metadata file; (3) the file is corrupted. Check with `pitlane savepoint inspect`.',
      data: { version, known: [...registry.keys()] },
    });
  },
  versions(): number[] {
    return [...registry.keys()];
  },
};

/** The full `_metadata` file: envelope plus the body in the given (default: current) version. */
export function encodeMetadataFile(meta: SavepointMetadata): Buffer {
  const codec = codecs.get(meta.formatVersion);
  const header = Buffer.allocUnsafe(ENVELOPE_HEADER_SIZE);
  SAVEPOINT_MAGIC.copy(header, 0);
  header.writeUInt32BE(codec.version, 4);
  return Buffer.concat([header, codec.encodeMetadataBody(meta)]);
}

/** Parses a `_metadata` file; `where` names it in errors. */
export function decodeMetadataFile(file: Buffer, where: string): SavepointMetadata {
  if (file.length < ENVELOPE_HEADER_SIZE || !file.subarray(0, 4).equals(SAVEPOINT_MAGIC)) {
    throw new SavepointFormatError('SAVEPOINT_NOT_A_SAVEPOINT', `${where} is not a pitlane savepoint metadata file (it does not start with the magic bytes "PLSP").`, {
      hint: 'Point at the savepoint directory itself (the one holding `_metadata`), not at a parent or a data file. If it is one, the file was overwritten or corrupted.',
    });
  }
  const version = file.readUInt32BE(4);
  const codec = codecs.get(version, where);
  const meta = codec.decodeMetadataBody(file.subarray(ENVELOPE_HEADER_SIZE), where);
  if (meta.formatVersion !== version) {
    throw new SavepointFormatError('SAVEPOINT_CORRUPT_METADATA', `${where} says format version ${version} in its header but ${meta.formatVersion} in its body.`, {
      hint: 'The metadata file was altered. Restore from another savepoint or checkpoint.',
    });
  }
  return meta;
}
