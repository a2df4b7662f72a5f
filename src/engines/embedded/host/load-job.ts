/** Loads a job module (TypeScript through tsx, or JavaScript) and checks it default-exports a job. */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, describeUnknown } from '../../../errors.ts';
import { isJobDefinition, type JobDefinition } from '../../../engine/index.ts';

export async function loadJobModule(file: string): Promise<JobDefinition> {
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(resolve(file)).href)) as { default?: unknown };
  } catch (e) {
    throw new ConfigError('ENGINE_JOB_NOT_LOADED', `Could not load job module ${file}: ${describeUnknown(e)}`, { hint: 'Check the path in the deployment spec; the module must default-export defineJob({...}).', cause: e });
  }
  if (!isJobDefinition(mod.default)) {
    throw new ConfigError('ENGINE_NOT_A_JOB', `${file} does not default-export a job.`, { hint: 'End the module with `export default defineJob({ ... })`.' });
  }
  return mod.default;
}
