/**
 * Custom checks in a checks config (`{ type: custom, module: ./checks/x.ts, options,
 * relative, absolute }`): their modules are loaded — by the loader jobs load through
 * (src/modules/), with its errors: file and line — and their options validated before
 * anything runs. A config is loaded once per thread: the comparison worker loads the
 * same (absolute) module paths again, since a check is code, not data.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { isCheckDefinition, type CheckDefinition } from '../../check-authoring.ts';
import { parseWith } from '../../config/validate.ts';
import { ConfigError, isPitlaneError } from '../../errors.ts';
import { importUserModule, type ModuleKind } from '../../modules/load-module.ts';
import { exportDefaultLine, kindOf } from '../../modules/load-errors.ts';
import type { Check } from '../../../comparators/types.ts';
import { CUSTOM_TYPE, customCheck } from './custom.ts';

export const CHECK_MODULE: ModuleKind = {
  noun: 'check module',
  project: "the check's project",
  syntaxCode: 'CHECK_MODULE_SYNTAX_ERROR',
  notLoadedCode: 'CHECK_MODULE_NOT_LOADED',
  hint: 'Check `module:` of the custom check; the module must be TypeScript or JavaScript that default-exports defineCheck({...}).',
};

const DEFINE_HINT = 'End the module with `export default defineCheck({ name, init, add, measure })`, defineCheck imported from pitlane.';

/** A custom check's parameters: what is left of its entry besides type, name, limits and statistical. */
export const customParams = z.strictObject({
  /** The module, relative to the directory pitlane runs in (as a spec's job paths are), or absolute. */
  module: z.string().min(1),
  /** Handed to the check's `options()` (and then to every call) as written. */
  options: z.unknown().optional(),
  /** Allowed |b − a| / |a| for results judged by the tolerance. */
  relative: z.number().min(0).default(0.05),
  /** Allowed |b − a|; a difference within either tolerance passes. */
  absolute: z.number().min(0).default(0),
});

/** Loaded check modules by absolute path. */
export type CheckModules = ReadonlyMap<string, CheckDefinition>;

type Entry = Record<string, unknown>;
const customEntries = (input: unknown): Entry[] => {
  const checks = typeof input === 'object' && input !== null ? (input as { checks?: unknown }).checks : undefined;
  return Array.isArray(checks) ? checks.filter((e): e is Entry => typeof e === 'object' && e !== null && (e as Entry).type === CUSTOM_TYPE) : [];
};

const label = (e: Entry): string => `check ${typeof e.name === 'string' ? e.name : String(e.module)} (custom)`;

/**
 * Loads the modules of the config's custom checks, resolved from `cwd`. Returns the
 * config with each module as an absolute path (what another thread loads) and the
 * loaded definitions. A module that is missing, does not load or does not
 * default-export a check is a ConfigError naming the check, the source and the file.
 */
export async function loadCheckModules(input: unknown, source: string, cwd = process.cwd()): Promise<{ input: unknown; modules: CheckModules }> {
  const entries = customEntries(input);
  const modules = new Map<string, CheckDefinition>();
  if (entries.length === 0) return { input, modules };
  const absolute = new Map<Entry, Entry>();
  for (const e of entries) {
    if (typeof e.module !== 'string' || e.module === '') continue; // resolveCompareConfig names the missing key
    const path = resolve(cwd, e.module);
    absolute.set(e, { ...e, module: path });
    if (modules.has(path)) continue;
    if (!existsSync(path)) {
      throw new ConfigError('CHECK_MODULE_NOT_FOUND', `${label(e)} in ${source}: module ${e.module} does not exist (${path}); nothing was started.`, {
        hint: `Fix module: of the check; a relative path resolves from ${cwd}.`,
        data: { file: path },
      });
    }
    modules.set(path, await loadCheckModule(e.module, path, `${label(e)} in ${source}`));
  }
  const checks = (input as { checks: unknown[] }).checks.map((c) => absolute.get(c as Entry) ?? c);
  return { input: { ...(input as object), checks }, modules };
}

async function loadCheckModule(file: string, path: string, where: string): Promise<CheckDefinition> {
  let mod: Record<string, unknown>;
  try {
    mod = (await importUserModule(path, CHECK_MODULE)).mod;
  } catch (e) {
    if (!isPitlaneError(e)) throw e;
    throw new ConfigError(e.code, `${where}: ${e.message.replace(path, file)}; nothing was started.`, { ...(e.hint ? { hint: e.hint } : {}), ...(e.data ? { data: e.data } : {}), cause: e });
  }
  if (isCheckDefinition(mod.default)) return mod.default;
  if (!('default' in mod) || mod.default === undefined) {
    const names = Object.keys(mod).filter((k) => k !== 'default');
    throw new ConfigError('CHECK_MODULE_NO_DEFAULT_EXPORT', `${where}: ${file} has no default export${names.length ? ` (it exports ${names.join(', ')})` : ''}: pitlane runs the check a module default-exports.`, { hint: DEFINE_HINT, data: { file: path } });
  }
  const line = exportDefaultLine(path);
  throw new ConfigError('CHECK_MODULE_NOT_A_CHECK', `${where}: ${line === undefined ? file : `${file}:${line}`}: the default export is ${kindOf(mod.default)}, not a check made by defineCheck().`, {
    hint: DEFINE_HINT,
    data: { file: path, ...(line === undefined ? {} : { line }) },
  });
}

/** A custom check from its entry's parameters and the loaded modules; its options validated by the check's own `options()`. */
export function createCustomCheck(given: string | undefined, params: unknown, modules: CheckModules | undefined, source: string): Check {
  const p = parseWith(customParams, params ?? {}, `check ${given ?? '(unnamed)'} (custom) in ${source}`);
  const path = resolve(p.module);
  const def = modules?.get(path);
  if (!def) {
    throw new ConfigError('CHECK_MODULE_NOT_LOADED', `check ${given ?? p.module} (custom) in ${source}: its module ${p.module} was not loaded.`, {
      hint: 'A config with custom checks is resolved by loadCompareConfig, which loads their modules first.',
    });
  }
  const name = given ?? def.name;
  // Without options() a check gets the options as written, {} when there are none.
  let options: unknown = p.options ?? {};
  if (def.options) {
    try {
      options = def.options(p.options);
    } catch (e) {
      throw new ConfigError('CHECK_OPTIONS_INVALID', `check ${name} (custom, ${p.module}) in ${source}: its options are invalid: ${e instanceof Error ? e.message : String(e)}`, {
        hint: `Fix options: of the check ${name}; the check's options() said what it expects.`,
      });
    }
  }
  return customCheck(name, def, { module: p.module, options, relative: p.relative, absolute: p.absolute });
}
