/**
 * A delta (delta.ts) as one file, for the hand-over from the stopping job to the
 * standby that restored its base:
 *
 *   file   := "PLDL" u32(version = 1) u32 headerLength header body
 *   header := JSON: base, job, maxParallelism, createdAt, source offsets, watermarks,
 *             the body's sha256, and per operator its descriptors, where its data lies
 *             in the body, and per key group the listed keys and the block's index
 *   body   := per operator, a format v1 data file of its key groups' blocks
 *
 * The blocks reuse the savepoint's v1 block framing (the same bytes a savepoint
 * holds for those keys). The file is written under a temporary name and renamed,
 * so a reader sees all of it or nothing; it is not fsync'd: it serves only a
 * standby on this machine, which a machine crash takes down as well (the full
 * savepoint, fsync'd, is the fallback then).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { SavepointFormatError } from '../../errors.ts';
import type { BlockIndexEntry } from '../savepoint/metadata.ts';
import { codecs } from '../savepoint/codecs.ts';
import type { JobDelta, OperatorDelta, DeltaKeyGroup } from './delta.ts';
import { writeFileAtomic } from '../../files.ts';

const MAGIC = Buffer.from('PLDL', 'latin1');
const VERSION = 1;
const BLOCK_FORMAT = 1;

interface OperatorHeader extends Omit<OperatorDelta, 'keyGroups'> {
  readonly data: { readonly offset: number; readonly length: number };
  readonly keyGroups: readonly { readonly keyGroup: number; readonly keys: readonly string[]; readonly block: BlockIndexEntry }[];
}

interface Header extends Omit<JobDelta, 'operators'> {
  readonly sha256: string;
  readonly operators: readonly OperatorHeader[];
}

/** The delta's summary: what the hand-over reports without decoding any block. */
export type DeltaSummary = Omit<JobDelta, 'operators'> & { readonly keys: number };

export function encodeDelta(delta: JobDelta): Buffer {
  const codec = codecs.get(BLOCK_FORMAT);
  const parts: Buffer[] = [];
  let offset = 0;
  const operators: OperatorHeader[] = delta.operators.map(({ keyGroups, ...op }) => {
    const { bytes, index } = codec.encodeDataFile(keyGroups, new Map(op.states.map((s, i) => [s.name, i])));
    parts.push(bytes);
    const data = { offset, length: bytes.length };
    offset += bytes.length;
    return { ...op, data, keyGroups: keyGroups.map((g, i) => ({ keyGroup: g.keyGroup, keys: g.keys, block: index[i]! })) };
  });
  const body = Buffer.concat(parts);
  const { operators: _ops, ...rest } = delta;
  const header = Buffer.from(JSON.stringify({ ...rest, sha256: createHash('sha256').update(body).digest('hex'), operators } satisfies Header), 'utf8');
  const head = Buffer.allocUnsafe(12);
  MAGIC.copy(head, 0);
  head.writeUInt32BE(VERSION, 4);
  head.writeUInt32BE(header.length, 8);
  return Buffer.concat([head, header, body]);
}

const corrupt = (where: string, what: string) =>
  new SavepointFormatError('DELTA_CORRUPT', `The delta ${where} is unusable: ${what}.`, {
    hint: 'Restore from the full savepoint written at the same stop instead; a cold handoff falls back to it by itself.',
  });

function parseHeader(file: Buffer, where: string): { header: Header; body: Buffer } {
  if (file.length < 12 || !file.subarray(0, 4).equals(MAGIC)) throw corrupt(where, 'it is not a pitlane delta file');
  if (file.readUInt32BE(4) !== VERSION) throw corrupt(where, `it has format version ${file.readUInt32BE(4)}, this pitlane reads ${VERSION}`);
  const n = file.readUInt32BE(8);
  if (12 + n > file.length) throw corrupt(where, 'its header runs past the end of the file');
  let header: Header;
  try {
    header = JSON.parse(file.subarray(12, 12 + n).toString('utf8')) as Header;
  } catch {
    throw corrupt(where, 'its header is not JSON');
  }
  return { header, body: file.subarray(12 + n) };
}

export function decodeDelta(file: Buffer, where = 'file'): JobDelta {
  const { header, body } = parseHeader(file, where);
  if (createHash('sha256').update(body).digest('hex') !== header.sha256) throw corrupt(where, 'its body does not match its checksum');
  const codec = codecs.get(BLOCK_FORMAT);
  const { sha256: _sum, operators, ...rest } = header;
  return {
    ...rest,
    operators: operators.map(({ data, keyGroups, ...op }) => {
      const bytes = body.subarray(data.offset, data.offset + data.length);
      const ctx = { path: where, uid: op.uid };
      codec.checkDataFileHeader(bytes, ctx);
      const names = op.states.map((s) => s.name);
      const groups: DeltaKeyGroup[] = keyGroups.map((g) => ({ ...codec.decodeBlock(bytes, g.block, names, ctx), keys: g.keys }));
      return { ...op, keyGroups: groups };
    }),
  };
}

export function summarizeDelta(file: Buffer, where = 'file'): DeltaSummary {
  const { header } = parseHeader(file, where);
  const { sha256: _sum, operators, ...rest } = header;
  return { ...rest, keys: operators.reduce((n, o) => n + o.keyGroups.reduce((m, g) => m + g.keys.length, 0), 0) };
}

/** Writes the delta at `path` (replacing nothing half-written: temporary name, then rename). */
export async function writeDelta(path: string, delta: JobDelta): Promise<{ bytes: number }> {
  const bytes = encodeDelta(delta);
  await writeFileAtomic(path, bytes);
  return { bytes: bytes.length };
}

export async function readDelta(path: string): Promise<JobDelta> {
  return decodeDelta(await readFile(path), path);
}

export async function readDeltaSummary(path: string): Promise<DeltaSummary> {
  return summarizeDelta(await readFile(path), path);
}
