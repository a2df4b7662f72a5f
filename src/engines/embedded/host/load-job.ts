/**
 * The one job-module loader: `pitlane run`, the managed job host and the adapter's
 * preflight load a job (TypeScript through tsx, or JavaScript) and check that it
 * default-exports a job, with the same error codes for the same failures.
 *
 * A job is loaded the same way whatever its folder: as an ES module, from a project
 * with or without a package.json, by the loader of user modules (src/modules/, shared
 * with the comparator's check modules). A job that fails to load says why, with its
 * file and line.
 */
import { isJobDefinition, type JobDefinition } from '../../../engine/index.ts';
import { importUserModule } from '../../../modules/load-module.ts';
import { JOB_MODULE, notAJob } from './load-job-errors.ts';

export async function loadJobModule(file: string): Promise<JobDefinition> {
  const { path, mod } = await importUserModule(file, JOB_MODULE);
  if (!isJobDefinition(mod.default)) throw notAJob(file, path, mod);
  return mod.default;
}
