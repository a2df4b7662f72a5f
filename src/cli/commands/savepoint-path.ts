import { resolve } from 'node:path';

/** Where `pitlane run` puts triggered savepoints unless `--savepoint-dir` says otherwise (relative to its working directory). */
export const DEFAULT_SAVEPOINT_BASE = 'savepoints';

/**
 * A fresh savepoint directory under `base`: `savepoint-<name>-<UTC time>`, never an
 * existing one in practice (the writer refuses those anyway). Pure: the caller passes
 * the time.
 */
export function savepointPath(base: string, name: string, now: number): string {
  const stamp = new Date(now).toISOString().replace(/[:.]/g, '-');
  return resolve(base, `savepoint-${name.replace(/[^A-Za-z0-9_-]/g, '_')}-${stamp}`);
}
