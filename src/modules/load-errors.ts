/**
 * Why a user's module did not load, said with its file and line: a syntax error
 * (tsx's transform or Node's parser), a package or file it imports that is not
 * there, an error thrown while it ran; and, for the caller's own check of what it
 * exports, the line of its default export and what that export is.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError, describeUnknown } from '../errors.ts';

/** What kind of module is loaded: the words and codes of its errors. */
export interface ModuleKind {
  /** "job module", "check module". */
  readonly noun: string;
  /** Whose project a fix goes into: "the job's project". */
  readonly project: string;
  readonly syntaxCode: string;
  readonly notLoadedCode: string;
  /** The hint of a module that threw while it loaded. */
  readonly hint: string;
}

// pitlane's own code (its sources and built-in checks): a user's frame is outside them.
const PITLANE_CODE = [fileURLToPath(new URL('../', import.meta.url)), fileURLToPath(new URL('../../comparators/', import.meta.url))];

export interface Where {
  readonly path: string;
  readonly line: number;
  readonly column?: number | undefined;
}

export const at = (w: Where): string => (w.line === 0 ? w.path : `${w.path}:${w.line}${w.column === undefined ? '' : `:${w.column}`}`);

/** tsx reports a TypeScript syntax error as esbuild's "Transform failed": `/path:line:col: ERROR: message`. */
function transformError(e: Error): { where: Where; reason: string } | undefined {
  const m = /^(\/[^\n]*?):(\d+):(\d+): ERROR: (.*)$/m.exec(e.message);
  if (!e.message.startsWith('Transform failed') || !m) return undefined;
  return { where: { path: m[1]!, line: Number(m[2]), column: Number(m[3]) }, reason: m[4]! };
}

/** A location in a stack trace (`/path:line:col` or `file:///path?query:line:col`) outside pitlane and node_modules. */
export function userFrame(stack: string | undefined): Where | undefined {
  for (const m of (stack ?? '').matchAll(/(?:^|[\s(])(file:\/\/[^\s?:)]+|\/[^\s?:()]+)(?:\?[^\s:)]*)?:(\d+)(?::(\d+))?/g)) {
    const path = m[1]!.startsWith('file:') ? fileURLToPath(m[1]!) : m[1]!;
    if (PITLANE_CODE.some((root) => path.startsWith(root)) || path.includes('/node_modules/')) continue;
    return { path, line: Number(m[2]), ...(m[3] === undefined ? {} : { column: Number(m[3]) }) };
  }
  return undefined;
}

/**
 * Node's ES-module parser names no line in its SyntaxError; only on that error path,
 * `node --check` on the source finds it (`[stdin]:LINE`).
 */
function syntaxLine(path: string): number | undefined {
  try {
    const r = spawnSync(process.execPath, ['--input-type=module', '--check'], { input: readFileSync(path), encoding: 'utf8', timeout: 10_000 });
    const m = /^\[stdin\]:(\d+)/m.exec(r.stderr);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export function notLoaded(file: string, path: string, e: unknown, kind: ModuleKind): ConfigError {
  const err = e instanceof Error ? e : new Error(String(e));
  const transform = transformError(err);
  if (transform || err instanceof SyntaxError) {
    const line = transform ? undefined : syntaxLine(path);
    const where = transform?.where ?? (line === undefined ? userFrame(err.stack) : { path, line }) ?? { path, line: 0 };
    const reason = transform?.reason ?? err.message;
    return new ConfigError(kind.syntaxCode, `Could not load ${kind.noun} ${file}: syntax error at ${at(where)}: ${reason}`, {
      hint: `Fix the code at ${at(where)}; \`npx tsc --noEmit\` in ${kind.project} shows every error.`,
      data: { file: where.path, line: where.line, column: where.column },
      cause: e,
    });
  }
  const code = (err as { code?: unknown }).code;
  if (code === 'ERR_MODULE_NOT_FOUND') {
    const pkg = /Cannot find package '([^']+)'/.exec(err.message)?.[1];
    return new ConfigError(kind.notLoadedCode, `Could not load ${kind.noun} ${file}: ${err.message}`, {
      hint: pkg === undefined ? 'Check the import path (relative imports name the file with its extension, e.g. ./model.ts).' : `Install it in ${kind.project}: npm install ${pkg}.`,
      cause: e,
    });
  }
  const where = userFrame(err.stack);
  return new ConfigError(kind.notLoadedCode, `Could not load ${kind.noun} ${file}: ${where ? `threw at ${at(where)}: ` : ''}${describeUnknown(e)}`, {
    hint: kind.hint,
    ...(where ? { data: { file: where.path, line: where.line, column: where.column } } : {}),
    cause: e,
  });
}

/** The line of a module's default export, for an error about what it exports. */
export function exportDefaultLine(path: string): number | undefined {
  try {
    const lines = readFileSync(path, 'utf8').split('\n');
    const i = lines.findIndex((l) => /^\s*export\s+default\b|\bas\s+default\b/.test(l));
    return i < 0 ? undefined : i + 1;
  } catch {
    return undefined;
  }
}

/** What a value is, in words, for an error about an export. */
export function kindOf(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  if (typeof x === 'function') return 'a function';
  if (typeof x === 'object') return `an object (keys: ${Object.keys(x).join(', ') || 'none'})`;
  return `a ${typeof x} (${String(x)})`;
}
