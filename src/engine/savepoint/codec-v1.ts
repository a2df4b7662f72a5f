/**
 * Format v1 codec: the `_metadata` body (after magic and version) and the data file
 * framing (block-framing-v1.ts). Pure.
 *
 *   body := u32 jsonLength  json(SavepointMetadata, UTF-8)  sha256(json) (32 bytes)
 *
 * The body is JSON because people read it when something goes wrong; its own
 * sha256 catches a damaged metadata file before any field is trusted. The decoded
 * JSON is still validated field by field: it came from disk.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { SavepointFormatError } from '../../errors.ts';
import type { SavepointMetadata } from './metadata.ts';
import { decodeBlock, encodeDataFile, checkDataFileHeader } from './block-framing-v1.ts';
import type { SavepointCodec } from './codecs.ts';

const nonNegInt = z.number().int().nonnegative();

/** Relative, '/'-separated, inside the savepoint directory. */
const relativePath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !p.includes('\\') && !p.split('/').some((s) => s === '..' || s === '.' || s === ''), 'must be a relative path inside the savepoint directory');

const codecSpec = z.discriminatedUnion('type', [z.object({ type: z.literal('avro'), schema: z.union([z.record(z.string(), z.unknown()), z.array(z.unknown()), z.string()]) }), z.object({ type: z.literal('json'), schema: z.union([z.record(z.string(), z.unknown()), z.array(z.unknown()), z.string()]).optional() })]);

const stateDescriptor = z.object({
  name: z.string().min(1),
  kind: z.enum(['value', 'map', 'list', 'reducing', 'aggregating']),
  codec: codecSpec,
  mapKeyCodec: codecSpec.optional(),
});

const checksummed = { path: relativePath, size: nonNegInt, sha256: z.string().regex(/^[0-9a-f]{64}$/) };

const metadataSchema = z.object({
  formatVersion: z.literal(1),
  job: z.object({ name: z.string().min(1), version: z.string() }),
  maxParallelism: z.number().int().min(1),
  operators: z.array(
    z.object({
      uid: z.string().min(1),
      name: z.string(),
      kind: z.enum(['source', 'sink', 'process', 'reduce', 'window']),
      parallelism: z.number().int().min(1),
      keyFingerprint: z.string().optional(),
      states: z.array(stateDescriptor),
      files: z.array(
        z.object({
          ...checksummed,
          range: z.object({ start: nonNegInt, end: z.number().int() }),
          blocks: z.array(z.object({ keyGroup: nonNegInt, offset: nonNegInt, length: nonNegInt, entries: nonNegInt, timers: nonNegInt })),
        }),
      ),
      operatorState: z.object(checksummed).optional(),
    }),
  ),
  sourceOffsets: z.array(z.object({ topic: z.string(), partition: nonNegInt, offset: z.number().int() })),
  // A partition that has seen no record has watermark -Infinity, which JSON writes as null.
  watermarks: z.array(z.object({ topic: z.string(), partition: nonNegInt, offset: z.number().int(), watermark: z.number().nullable().transform((w) => w ?? Number.NEGATIVE_INFINITY) })),
  createdAt: z.number(),
  type: z.enum(['savepoint', 'checkpoint']),
});

function sha256(b: Buffer): Buffer {
  return createHash('sha256').update(b).digest();
}

export const codecV1: SavepointCodec = {
  version: 1,

  encodeMetadataBody(meta: SavepointMetadata): Buffer {
    const json = Buffer.from(JSON.stringify(meta), 'utf8');
    const len = Buffer.allocUnsafe(4);
    len.writeUInt32BE(json.length, 0);
    return Buffer.concat([len, json, sha256(json)]);
  },

  decodeMetadataBody(body: Buffer, where: string): SavepointMetadata {
    const bad = (what: string, cause?: unknown): SavepointFormatError =>
      new SavepointFormatError('SAVEPOINT_CORRUPT_METADATA', `${where} is damaged: ${what}.`, {
        hint: 'The metadata file was changed or truncated after it was written. Restore from another savepoint or checkpoint; this one cannot be trusted.',
        cause,
      });
    if (body.length < 4) throw bad('it ends before its length field');
    const len = body.readUInt32BE(0);
    if (body.length !== 4 + len + 32) throw bad(`expected ${4 + len + 32} bytes after the header, found ${body.length}`);
    const json = body.subarray(4, 4 + len);
    if (!sha256(json).equals(body.subarray(4 + len))) throw bad('its checksum does not match its contents');
    let parsed: unknown;
    try {
      parsed = JSON.parse(json.toString('utf8'));
    } catch (e) {
      throw bad('its body is not valid JSON', e);
    }
    const result = metadataSchema.safeParse(parsed);
    if (!result.success) {
      const issues = result.error.issues.slice(0, 5).map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
      throw bad(`fields are invalid (${issues.join('; ')})`);
    }
    return result.data as SavepointMetadata;
  },

  encodeDataFile: (blocks, stateIndex) => encodeDataFile(blocks, stateIndex, 1),
  checkDataFileHeader: (file, ctx) => checkDataFileHeader(file, 1, ctx),
  decodeBlock,
};
