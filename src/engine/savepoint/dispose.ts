/**
 * Deletes a savepoint. It must be one (valid `_metadata`) and hold nothing but the
 * files its metadata lists: anything else there is refused before a single file
 * is removed, so dispose never deletes what pitlane did not write.
 */
import { readdir, rm, rmdir } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { SavepointFormatError } from '../../errors.ts';
import { METADATA_FILE, listDataFiles } from './metadata.ts';
import { readSavepointMetadata } from './read.ts';

async function walk(root: string, dir: string, out: { files: string[]; dirs: string[] }): Promise<void> {
  for (const d of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, d.name);
    const rel = relative(root, p).split(sep).join('/');
    if (d.isDirectory()) {
      out.dirs.push(rel);
      await walk(root, p, out);
    } else out.files.push(rel);
  }
}

export async function disposeSavepoint(dir: string): Promise<{ dir: string; files: number }> {
  const root = resolve(dir);
  const meta = await readSavepointMetadata(root);
  const known = new Set([METADATA_FILE, ...listDataFiles(meta).map((x) => x.file.path)]);
  const found = { files: [] as string[], dirs: [] as string[] };
  await walk(root, root, found);
  const extra = found.files.filter((f) => !known.has(f));
  if (extra.length > 0) {
    throw new SavepointFormatError('SAVEPOINT_DISPOSE_FOREIGN_FILES', `${root} holds ${extra.length} file(s) the savepoint did not write (${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ', …' : ''}); nothing was deleted.`, {
      hint: 'Move those files out of the savepoint directory and run dispose again.',
      data: { extra },
    });
  }
  // Data files first and `_metadata` last: an interrupted dispose leaves a directory
  // whose metadata still lists what is missing, so `inspect` shows it as damaged.
  for (const f of found.files) if (f !== METADATA_FILE) await rm(join(root, f));
  await rm(join(root, METADATA_FILE));
  for (const d of found.dirs.sort((a, b) => b.length - a.length)) await rmdir(join(root, d));
  await rmdir(root);
  return { dir: root, files: found.files.length };
}
