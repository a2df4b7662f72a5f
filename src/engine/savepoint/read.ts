/**
 * Reads savepoints: metadata, data files (size and sha256 checked), whole
 * snapshots, and a non-throwing verification report. Reading never writes.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SavepointFormatError } from '../../errors.ts';
import type { JobSnapshot, KeyGroupBlock, OperatorSnapshot } from '../snapshot/model.ts';
import { codecs, decodeMetadataFile } from './codecs.ts';
import { METADATA_FILE, type ChecksummedFile, type DataFileRef, type SavepointMetadata } from './metadata.ts';

export interface ReadOptions {
  /** Check every file's sha256 (size is always checked). Default true. */
  readonly verify?: boolean;
}

/** Reads and validates `_metadata`; a missing directory or a non-savepoint is a clear error. */
export async function readSavepointMetadata(dir: string): Promise<SavepointMetadata> {
  const root = resolve(dir);
  let st;
  try {
    st = await stat(root);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new SavepointFormatError('SAVEPOINT_NOT_FOUND', `No savepoint at ${root}: the directory does not exist.`, {
        hint: 'Check the path; `ls` the parent directory for savepoints. A moved savepoint keeps working wherever its directory is.',
        data: { dir: root },
      });
    }
    throw e;
  }
  if (!st.isDirectory()) {
    throw new SavepointFormatError('SAVEPOINT_NOT_A_SAVEPOINT', `${root} is a file, not a savepoint directory.`, { hint: 'Point at the savepoint directory (the one holding `_metadata`).', data: { dir: root } });
  }
  let file: Buffer;
  try {
    file = await readFile(join(root, METADATA_FILE));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new SavepointFormatError('SAVEPOINT_NOT_A_SAVEPOINT', `${root} is not a savepoint: it has no ${METADATA_FILE} file.`, {
        hint: 'Point at the savepoint directory itself. A directory left half-written by a crash never has `_metadata`: savepoints are only renamed into place when complete.',
        data: { dir: root },
      });
    }
    throw e;
  }
  return decodeMetadataFile(file, join(root, METADATA_FILE));
}

function mismatch(root: string, uid: string, f: ChecksummedFile, what: string): SavepointFormatError {
  return new SavepointFormatError('SAVEPOINT_CHECKSUM_MISMATCH', `Data file ${f.path} of operator "${uid}" in ${root} ${what}.`, {
    hint: 'The file was truncated or altered after the savepoint was written, so its state cannot be trusted. Restore from another savepoint or checkpoint.',
    data: { dir: root, path: f.path, uid },
  });
}

/** Reads one file of a savepoint, checking its size and (with verify) its sha256. */
export async function readChecksummedFile(root: string, uid: string, f: ChecksummedFile, verify: boolean): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await readFile(join(root, f.path));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw mismatch(root, uid, f, 'is missing');
    throw e;
  }
  if (bytes.length !== f.size) throw mismatch(root, uid, f, `has ${bytes.length} bytes, but ${f.size} were written (truncated or altered)`);
  if (verify && createHash('sha256').update(bytes).digest('hex') !== f.sha256) throw mismatch(root, uid, f, 'does not match its sha256 checksum (altered)');
  return bytes;
}

/** Reads a data file and decodes the blocks selected by `keep` (all by default). */
export async function readDataFileBlocks(root: string, meta: SavepointMetadata, uid: string, file: DataFileRef, stateNames: readonly string[], options: { verify: boolean; keep?: (keyGroup: number) => boolean }): Promise<KeyGroupBlock[]> {
  const bytes = await readChecksummedFile(root, uid, file, options.verify);
  const codec = codecs.get(meta.formatVersion);
  const ctx = { path: file.path, uid };
  codec.checkDataFileHeader(bytes, ctx);
  const out: KeyGroupBlock[] = [];
  for (const entry of file.blocks) {
    if (options.keep && !options.keep(entry.keyGroup)) continue;
    out.push(codec.decodeBlock(bytes, entry, stateNames, ctx));
  }
  return out;
}

/** Reads a whole savepoint back into the JobSnapshot it was written from. */
export async function readSavepoint(dir: string, options: ReadOptions = {}): Promise<JobSnapshot> {
  const root = resolve(dir);
  const verify = options.verify ?? true;
  const meta = await readSavepointMetadata(root);
  const operators: OperatorSnapshot[] = [];
  for (const op of meta.operators) {
    const stateNames = op.states.map((s) => s.name);
    const keyGroups: KeyGroupBlock[] = [];
    for (const f of op.files) keyGroups.push(...(await readDataFileBlocks(root, meta, op.uid, f, stateNames, { verify })));
    const operatorState = op.operatorState ? await readChecksummedFile(root, op.uid, op.operatorState, verify) : undefined;
    operators.push({
      uid: op.uid,
      name: op.name,
      kind: op.kind,
      parallelism: op.parallelism,
      ...(op.keyFingerprint !== undefined ? { keyFingerprint: op.keyFingerprint } : {}),
      states: op.states,
      keyGroups,
      ...(operatorState ? { operatorState } : {}),
    });
  }
  return { job: meta.job, maxParallelism: meta.maxParallelism, operators, sourceOffsets: meta.sourceOffsets, watermarks: meta.watermarks, createdAt: meta.createdAt, type: meta.type };
}

export interface FileCheck {
  readonly uid: string;
  readonly path: string;
  readonly size: number;
  readonly ok: boolean;
  readonly problem?: string;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly metadata: SavepointMetadata;
  readonly files: readonly FileCheck[];
}

/**
 * Checks every file of a savepoint (size, sha256, framing) and reports each one
 * instead of stopping at the first problem. Metadata problems still throw: without
 * trustworthy metadata there is nothing to check against.
 */
export async function verifySavepoint(dir: string): Promise<VerifyReport> {
  const root = resolve(dir);
  const meta = await readSavepointMetadata(root);
  const files: FileCheck[] = [];
  for (const op of meta.operators) {
    const stateNames = op.states.map((s) => s.name);
    for (const f of op.files) {
      try {
        await readDataFileBlocks(root, meta, op.uid, f, stateNames, { verify: true });
        files.push({ uid: op.uid, path: f.path, size: f.size, ok: true });
      } catch (e) {
        if (!(e instanceof SavepointFormatError)) throw e;
        files.push({ uid: op.uid, path: f.path, size: f.size, ok: false, problem: e.message });
      }
    }
    if (op.operatorState) {
      const f = op.operatorState;
      try {
        await readChecksummedFile(root, op.uid, f, true);
        files.push({ uid: op.uid, path: f.path, size: f.size, ok: true });
      } catch (e) {
        if (!(e instanceof SavepointFormatError)) throw e;
        files.push({ uid: op.uid, path: f.path, size: f.size, ok: false, problem: e.message });
      }
    }
  }
  return { ok: files.every((f) => f.ok), metadata: meta, files };
}
