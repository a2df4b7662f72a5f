/**
 * Checkpoints on disk: `<dir>/chk-<id>`, each a savepoint-format directory of type
 * `checkpoint`, written by the savepoint writer (temporary directory, fsync, atomic
 * rename). A crash mid-write leaves only a `.chk-<id>.tmp-*` directory, which is never
 * listed as a checkpoint, so a half-written checkpoint cannot be restored. The ids
 * increase; the engine owns these directories and prunes them.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeSavepoint } from '../savepoint/write.ts';
import { readSavepointMetadata } from '../savepoint/read.ts';
import type { JobSnapshot } from '../snapshot/model.ts';

export interface CheckpointRef {
  readonly id: number;
  readonly path: string;
}

const NAME = /^chk-(\d+)$/;

export const checkpointName = (id: number): string => `chk-${String(id).padStart(8, '0')}`;

/** Complete-looking checkpoints (by name), oldest first. Temporary directories are skipped. */
export async function listCheckpoints(dir: string): Promise<CheckpointRef[]> {
  const root = resolve(dir);
  let names: string[];
  try {
    names = await readdir(root);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return names
    .map((n) => NAME.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ id: Number(m[1]), path: join(root, m[0]) }))
    .sort((a, b) => a.id - b.id);
}

/** Whether a checkpoint's metadata reads back (magic, version, body); data checksums are checked on restore. */
export async function readable(ref: CheckpointRef): Promise<boolean> {
  try {
    await readSavepointMetadata(ref.path);
    return true;
  } catch {
    return false;
  }
}

export async function writeCheckpoint(dir: string, id: number, snapshot: JobSnapshot): Promise<CheckpointRef> {
  const root = resolve(dir);
  await mkdir(root, { recursive: true });
  const path = join(root, checkpointName(id));
  await writeSavepoint(path, { ...snapshot, type: 'checkpoint' });
  return { id, path };
}

export async function removeCheckpoint(ref: CheckpointRef): Promise<void> {
  await rm(ref.path, { recursive: true, force: true });
}

/** Leftovers of writes that never completed (`.chk-*.tmp-*`): safe to delete once no writer runs. */
export async function removeTemporaries(dir: string): Promise<void> {
  const root = resolve(dir);
  const names = await readdir(root).catch(() => [] as string[]);
  for (const n of names) if (/^\.chk-\d+\.tmp-/.test(n)) await rm(join(root, n), { recursive: true, force: true });
}
