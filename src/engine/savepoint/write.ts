/**
 * Writes a JobSnapshot as a savepoint directory, atomically: everything goes to a
 * temporary directory beside the target, every file and directory is fsynced, and
 * only then is the temporary directory renamed to the target. A reader therefore
 * sees either no savepoint or a complete one, and an existing directory is never
 * overwritten (a savepoint is user-owned and kept until disposed).
 */
import { createHash, randomBytes } from 'node:crypto';
import { lstat, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { SavepointFormatError } from '../../errors.ts';
import { assignRanges, rangeContains } from '../key-groups.ts';
import type { JobSnapshot, KeyGroupBlock, OperatorSnapshot } from '../snapshot/model.ts';
import { CURRENT_FORMAT_VERSION, codecs, encodeMetadataFile, type SavepointCodec } from './codecs.ts';
import { METADATA_FILE, type DataFileRef, type OperatorMetadata, type SavepointMetadata } from './metadata.ts';

export interface WriteResult {
  readonly dir: string;
  readonly metadata: SavepointMetadata;
  /** Bytes written, data files and metadata together. */
  readonly bytes: number;
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

function refuseExisting(dir: string): SavepointFormatError {
  return new SavepointFormatError('SAVEPOINT_TARGET_EXISTS', `${dir} already exists; a savepoint is never written over an existing directory.`, {
    hint: 'Choose a new directory for the savepoint, or dispose of the old one first with `pitlane savepoint dispose`.',
    data: { dir },
  });
}

async function writeFileSynced(path: string, bytes: Buffer): Promise<void> {
  const fh = await open(path, 'wx');
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function syncDir(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** A directory name safe on every file system, unique per operator through its index. */
function operatorDirName(index: number, uid: string): string {
  return `op-${index}-${uid.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64)}`;
}

function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Checks what the format relies on; an inconsistent snapshot is an engine bug, named precisely. */
function validateOperator(op: OperatorSnapshot, maxParallelism: number): void {
  const bad = (what: string): SavepointFormatError =>
    new SavepointFormatError('SAVEPOINT_INCONSISTENT_SNAPSHOT', `Operator "${op.uid}" cannot be saved: ${what}.`, { hint: 'The snapshot handed to the savepoint writer is inconsistent: this is a bug in the engine that produced it.' });
  const names = new Set<string>();
  for (const s of op.states) {
    if (names.has(s.name)) throw bad(`it declares state "${s.name}" twice`);
    names.add(s.name);
  }
  if (op.states.length > 0xffff) throw bad('it declares more than 65535 states');
  const seen = new Set<number>();
  for (const b of op.keyGroups) {
    if (!Number.isInteger(b.keyGroup) || b.keyGroup < 0 || b.keyGroup >= maxParallelism) throw bad(`key group ${b.keyGroup} is outside [0, ${maxParallelism})`);
    if (seen.has(b.keyGroup)) throw bad(`key group ${b.keyGroup} appears in two blocks`);
    seen.add(b.keyGroup);
  }
}

async function writeOperator(tmp: string, index: number, op: OperatorSnapshot, maxParallelism: number, codec: SavepointCodec): Promise<{ meta: OperatorMetadata; bytes: number }> {
  validateOperator(op, maxParallelism);
  const rel = operatorDirName(index, op.uid);
  await mkdir(join(tmp, rel));
  const stateIndex = new Map(op.states.map((s, i) => [s.name, i]));
  const sorted = [...op.keyGroups].sort((a, b) => a.keyGroup - b.keyGroup);
  const files: DataFileRef[] = [];
  let bytes = 0;
  // Keyed operators get one file per subtask range at the snapshot's parallelism;
  // operators without keyed state get none.
  const keyed = op.keyFingerprint !== undefined || sorted.length > 0;
  if (keyed) {
    let i = 0;
    for (const range of assignRanges(maxParallelism, op.parallelism)) {
      const blocks: KeyGroupBlock[] = [];
      while (i < sorted.length && rangeContains(range, sorted[i]!.keyGroup)) blocks.push(sorted[i++]!);
      const { bytes: data, index: blockIndex } = codec.encodeDataFile(blocks, stateIndex);
      const path = `${rel}/kg-${range.start}-${range.end}.bin`;
      await writeFileSynced(join(tmp, path), data);
      files.push({ path, size: data.length, sha256: sha256Hex(data), range, blocks: blockIndex });
      bytes += data.length;
    }
  }
  let operatorState: OperatorMetadata['operatorState'];
  if (op.operatorState) {
    const path = `${rel}/operator-state.bin`;
    await writeFileSynced(join(tmp, path), op.operatorState);
    operatorState = { path, size: op.operatorState.length, sha256: sha256Hex(op.operatorState) };
    bytes += op.operatorState.length;
  }
  await syncDir(join(tmp, rel));
  const meta: OperatorMetadata = {
    uid: op.uid,
    name: op.name,
    kind: op.kind,
    parallelism: op.parallelism,
    ...(op.keyFingerprint !== undefined ? { keyFingerprint: op.keyFingerprint } : {}),
    states: op.states,
    files,
    ...(operatorState ? { operatorState } : {}),
  };
  return { meta, bytes };
}

/** Writes `snapshot` as a new savepoint at `dir` (which must not exist) and returns its metadata. */
export async function writeSavepoint(dir: string, snapshot: JobSnapshot, options: { formatVersion?: number } = {}): Promise<WriteResult> {
  const target = resolve(dir);
  const codec = codecs.get(options.formatVersion ?? CURRENT_FORMAT_VERSION);
  if (await exists(target)) throw refuseExisting(target);
  const uids = new Set<string>();
  for (const op of snapshot.operators) {
    if (uids.has(op.uid)) throw new SavepointFormatError('SAVEPOINT_INCONSISTENT_SNAPSHOT', `Two operators share the uid "${op.uid}".`, { hint: 'Every operator needs a unique uid; this is a bug in the engine or job that produced the snapshot.' });
    uids.add(op.uid);
  }
  await mkdir(dirname(target), { recursive: true });
  const tmp = join(dirname(target), `.${basename(target)}.tmp-${randomBytes(6).toString('hex')}`);
  await mkdir(tmp);
  try {
    const operators: OperatorMetadata[] = [];
    let bytes = 0;
    for (const [i, op] of snapshot.operators.entries()) {
      const written = await writeOperator(tmp, i, op, snapshot.maxParallelism, codec);
      operators.push(written.meta);
      bytes += written.bytes;
    }
    const metadata: SavepointMetadata = {
      formatVersion: codec.version,
      job: { name: snapshot.job.name, version: snapshot.job.version },
      maxParallelism: snapshot.maxParallelism,
      operators,
      sourceOffsets: snapshot.sourceOffsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset })),
      watermarks: snapshot.watermarks.map((w) => ({ topic: w.topic, partition: w.partition, offset: w.offset, watermark: w.watermark })),
      createdAt: snapshot.createdAt,
      type: snapshot.type,
    };
    const metaBytes = encodeMetadataFile(metadata);
    await writeFileSynced(join(tmp, METADATA_FILE), metaBytes);
    await syncDir(tmp);
    // Checked again right before the rename: rename(2) would replace an empty directory.
    if (await exists(target)) throw refuseExisting(target);
    await rename(tmp, target);
    await syncDir(dirname(target));
    return { dir: target, metadata, bytes: bytes + metaBytes.length };
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}
