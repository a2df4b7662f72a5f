/**
 * The one job-module loader: `pitlane run`, the managed job host and the adapter's
 * preflight load a job (TypeScript through tsx, or JavaScript) and check that it
 * default-exports a job, with the same error codes for the same failures.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, describeUnknown } from '../../../errors.ts';
import { isJobDefinition, type JobDefinition } from '../../../engine/index.ts';

export async function loadJobModule(file: string): Promise<JobDefinition> {
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(resolve(file)).href)) as { default?: unknown };
  } catch (e) {
    throw new ConfigError('ENGINE_JOB_NOT_LOADED', `Could not load job module ${file}: ${describeUnknown(e)}`, { hint: 'Check the path (the job of `pitlane run`, or of the deployment spec); the module must be TypeScript or JavaScript that default-exports defineJob({...}).', cause: e });
  }
  if (!isJobDefinition(mod.default)) {
    throw new ConfigError('ENGINE_NOT_A_JOB', `${file} does not default-export a job.`, { hint: 'End the module with `export default defineJob({ name, version, maxParallelism, build(env) { ... } })`.' });
  }
  return mod.default;
}
