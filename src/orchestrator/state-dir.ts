/**
 * Where the orchestrator keeps its files: job hosts, savepoints, and per
 * deployment its reports and supervisor files. Shared by the composition root,
 * the shadow supervisor and the CLI.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.PITLANE_STATE_DIR ?? join(env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'pitlane', 'orchestrator');
}

/** Where a deployment's reports and supervisor files live. */
export function deploymentDir(stateDir: string, name: string): string {
  return join(stateDir, 'deployments', name);
}
