/**
 * Why a job module did not load (the words and codes of a job's load errors; the
 * explanation itself — syntax error, missing import, a throw, with file and line — is
 * src/modules/load-errors.ts, shared with the comparator's check modules), and a
 * module whose default export is missing or not a job.
 */
import { ConfigError } from '../../../errors.ts';
import { exportDefaultLine, kindOf, type ModuleKind } from '../../../modules/load-errors.ts';

export const JOB_MODULE: ModuleKind = {
  noun: 'job module',
  project: "the job's project",
  syntaxCode: 'ENGINE_JOB_SYNTAX_ERROR',
  notLoadedCode: 'ENGINE_JOB_NOT_LOADED',
  hint: 'Check the path (the job of `pitlane run`, or of the deployment spec); the module must be TypeScript or JavaScript that default-exports defineJob({...}).',
};

export function notAJob(file: string, path: string, mod: Record<string, unknown>): ConfigError {
  const hint = 'End the module with `export default defineJob({ name, version, maxParallelism, build(env) { ... } })`, defineJob imported from pitlane.';
  if (!('default' in mod) || mod.default === undefined) {
    const names = Object.keys(mod).filter((k) => k !== 'default');
    return new ConfigError('ENGINE_JOB_NO_DEFAULT_EXPORT', `${file} has no default export${names.length ? ` (it exports ${names.join(', ')})` : ''}: pitlane runs the job a module default-exports.`, { hint, data: { file: path } });
  }
  const line = exportDefaultLine(path);
  const where = line === undefined ? file : `${file}:${line}`;
  return new ConfigError('ENGINE_NOT_A_JOB', `${where}: the default export is ${kindOf(mod.default)}, not a job made by defineJob().`, { hint, data: { file: path, ...(line === undefined ? {} : { line }) } });
}
