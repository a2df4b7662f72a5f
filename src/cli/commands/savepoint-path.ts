import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Where `pitlane run` puts triggered savepoints unless `--savepoint-dir` says otherwise:
 * beside pitlane's other state ($XDG_STATE_HOME or ~/.local/state), never in the
 * directory the command runs in, which may be a checkout.
 */
export function defaultSavepointBase(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'pitlane', 'savepoints');
}

export const DEFAULT_SAVEPOINT_BASE = defaultSavepointBase();

/**
 * A fresh savepoint directory under `base`: `savepoint-<name>-<UTC time>`, never an
 * existing one in practice (the writer refuses those anyway). Pure: the caller passes
 * the time.
 */
export function savepointPath(base: string, name: string, now: number): string {
  const stamp = new Date(now).toISOString().replace(/[:.]/g, '-');
  return resolve(base, `savepoint-${name.replace(/[^A-Za-z0-9_-]/g, '_')}-${stamp}`);
}
