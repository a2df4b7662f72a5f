/**
 * The one loader of a user's modules — jobs (`pitlane run`, managed hosts, the
 * preflight) and the comparator's custom checks: TypeScript through tsx, or
 * JavaScript, loaded as an ES module whatever its folder (see module-hooks.mjs).
 * A module that fails to load says why, with its file and line (load-errors.ts);
 * what it must export is the caller's to check.
 */
import { register } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { notLoaded, type ModuleKind } from './load-errors.ts';

export type { ModuleKind } from './load-errors.ts';

const HOOKS = new URL('./module-hooks.mjs', import.meta.url);
const MARK = 'pitlane-job';
// Per thread: a worker thread does not inherit the hooks of the thread that started it.
let hooksRegistered = false;

/** Imports a user's module; `path` is the absolute file it resolved to. */
export async function importUserModule(file: string, kind: ModuleKind): Promise<{ readonly path: string; readonly mod: Record<string, unknown> }> {
  if (!hooksRegistered) {
    register(HOOKS, { data: { skip: [new URL('../../', import.meta.url).pathname] } });
    hooksRegistered = true;
  }
  const path = resolve(file);
  const url = pathToFileURL(path);
  url.searchParams.set(MARK, '');
  try {
    return { path, mod: (await import(url.href)) as Record<string, unknown> };
  } catch (e) {
    throw notLoaded(file, path, e, kind);
  }
}
