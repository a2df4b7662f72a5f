/**
 * Whole-file writes that readers never see half done: the bytes go to a
 * temporary file beside the target (same directory, so the same file system),
 * which is then renamed over it — rename(2) replaces the target in one step, so
 * a reader (or a process that crashes mid-write) finds the old file or the new
 * one, never a torn one. A low module any layer may import.
 *
 * The temporary name is hidden and unique (`.NAME.tmp-RANDOM`), so two writers of
 * the same target never write into each other's temporary file; a failed write
 * removes its temporary file. Crash-atomic is not power-loss durable: with
 * `fsync` the file is flushed before the rename and its directory after it.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { open, rename, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** Flush the file before the rename and the directory after it (survives a power loss, not only a crash). Default false. */
  readonly fsync?: boolean;
}

function temporaryBeside(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${randomBytes(6).toString('hex')}`);
}

/** Replaces `path` with `data` in one step (see the module comment). */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const tmp = temporaryBeside(path);
  try {
    if (options.fsync) {
      const fh = await open(tmp, 'w');
      try {
        await fh.writeFile(data);
        await fh.sync();
      } finally {
        await fh.close();
      }
    } else {
      await writeFile(tmp, data);
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  if (options.fsync) {
    const dir = await open(dirname(path), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}

/** The synchronous form of writeFileAtomic, for callers that write from synchronous code. */
export function writeFileAtomicSync(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  const tmp = temporaryBeside(path);
  try {
    if (options.fsync) {
      const fd = openSync(tmp, 'w');
      try {
        writeFileSync(fd, data);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } else {
      writeFileSync(tmp, data);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  if (options.fsync) {
    const dir = openSync(dirname(path), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  }
}
