import { homedir } from 'node:os';
import { join } from 'node:path';

/** Per-user cache for downloaded jars (survives `dev down --purge`). */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PITLANE_CACHE_DIR) return env.PITLANE_CACHE_DIR;
  return join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'pitlane');
}

/** Default home of the local dev environment: data, logs and the pid/state file. */
export function defaultDevDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PITLANE_DEV_DIR) return env.PITLANE_DEV_DIR;
  return join(env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'pitlane', 'dev');
}
