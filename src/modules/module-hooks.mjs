// Module-loader hooks for user modules — jobs and checks (registered by load-module.ts, after tsx's).
//
// A job file is ESM as written (`import { defineJob } from 'pitlane'`), but Node decides
// a .ts/.js file's format from the nearest package.json: in a folder with none, or one
// without "type": "module", tsx loads it as CommonJS, whose require() of the job's own
// ESM syntax then fails with "Cannot require() ES Module … in a cycle". So the loader
// imports a job with a marker query, and here every .ts/.tsx/.js/.jsx file it (and what
// it imports, outside node_modules) resolves to is loaded as an ES module, whatever
// folder it lives in. .cjs/.cts/.mjs/.mts files and packages keep their own format.
export const MARK = 'pitlane-job';
const AMBIGUOUS = /\.(ts|tsx|js|jsx)$/;
// pitlane's own sources (an `npm link`ed or symlinked pitlane is not under node_modules):
// they are ESM already and must stay one instance.
let skip = [];

export function initialize(data) {
  skip = data?.skip ?? [];
}

function marked(url) {
  return typeof url === 'string' && url.startsWith('file:') && new URL(url).searchParams.has(MARK);
}

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  if (!resolved.url.startsWith('file:') || !(marked(resolved.url) || marked(context.parentURL))) return resolved;
  const url = new URL(resolved.url);
  if (url.pathname.includes('/node_modules/') || skip.some((root) => url.pathname.startsWith(root)) || !AMBIGUOUS.test(url.pathname)) return resolved;
  url.searchParams.set(MARK, '');
  return { ...resolved, url: url.href, format: 'module' };
}
