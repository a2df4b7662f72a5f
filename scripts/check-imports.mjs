#!/usr/bin/env node
// The import check of docs/architecture.md: every relative import in the source tree
// must run along the map's layers (downwards), or `npm test` fails naming the import
// and the rule it breaks. The rules below ARE the map's "direction of imports" table;
// change them only together with docs/architecture.md.
//
//   node scripts/check-imports.mjs        check the repository, exit 1 on a violation
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The module a file belongs to, by path (relative to the repository root, with '/').
 * Files outside the checked tree (tests, benches, scripts) return undefined.
 */
export function moduleOf(path) {
  if (/\.test\.ts$/.test(path) || /(^|\/)test-support\.ts$/.test(path)) return undefined;
  const low = ['src/errors.ts', 'src/lineage.ts', 'src/logger.ts', 'src/clock.ts', 'src/files.ts', 'src/check-authoring.ts'];
  if (low.includes(path) || path.startsWith('src/config/') || path.startsWith('src/process/') || path.startsWith('src/modules/')) return 'low';
  const top = [
    ['src/kafka/', 'kafka'],
    ['src/engine/', 'engine'],
    ['src/engines/', 'engines'],
    ['src/analysis/', 'analysis'],
    ['src/compare/', 'compare'],
    ['src/orchestrator/', 'orchestrator'],
    ['src/dev/', 'dev'],
    ['src/demo/', 'demo'],
    ['src/cli/', 'cli'],
    ['src/dashboard/', 'dashboard'],
    ['comparators/', 'comparators'],
    ['examples/', 'examples'],
  ];
  for (const [prefix, name] of top) if (path.startsWith(prefix)) return name;
  if (path.startsWith('src/')) return 'unmapped';
  return undefined;
}

/** Which modules each module may import (besides itself). Imports point down only. */
export const ALLOWED = {
  low: [],
  kafka: ['low'],
  engine: ['kafka', 'low'],
  comparators: ['low'],
  analysis: ['comparators', 'low'],
  compare: ['analysis', 'comparators', 'kafka', 'low'],
  engines: ['engine', 'kafka', 'low'],
  orchestrator: ['engines', 'compare', 'analysis', 'comparators', 'kafka', 'low'],
  dev: ['kafka', 'low'],
  examples: ['engine', 'kafka', 'low'],
  demo: ['orchestrator', 'engines', 'engine', 'compare', 'analysis', 'comparators', 'kafka', 'dev', 'examples', 'low'],
  dashboard: ['orchestrator', 'engines', 'compare', 'analysis', 'comparators', 'kafka', 'low'],
  cli: ['dashboard', 'demo', 'orchestrator', 'engines', 'engine', 'compare', 'analysis', 'comparators', 'kafka', 'dev', 'low'],
};

/** A process's composition root: the one place that builds the orchestrator and picks adapters. */
const isEntryPoint = (path) => path === 'src/orchestrator/create.ts' || /-main\.ts$/.test(path);

/** Rules finer than module to module; each returns a reason when `from` may not import `to`. */
export const RULES = [
  (from, to) => (moduleOf(from) !== 'engine' && to.startsWith('src/engine/') && to !== 'src/engine/index.ts'
    ? 'outside the engine, import it only through its public API, src/engine/index.ts' : undefined),
  (from, to) => (from.startsWith('src/engine/operators/') && to.startsWith('src/engine/runtime/')
    ? 'engine operators sit below the runtime that runs them' : undefined),
  (from, to) => (from.startsWith('src/engine/api/') && to.startsWith('src/engine/runtime/')
    ? "the job-authoring API sits below the runtime" : undefined),
  (from, to) => (from.startsWith('src/orchestrator/') && !isEntryPoint(from) && to === 'src/orchestrator/create.ts'
    ? 'only entry points (create.ts, *-main.ts) use the composition root; pass narrow ports instead' : undefined),
  (from, to) => (from.startsWith('src/orchestrator/') && !isEntryPoint(from) && to.startsWith('src/engines/') && !/^src\/engines\/[^/]+\.ts$/.test(to)
    ? 'the orchestrator knows engines by their interface (src/engines/*.ts); only create.ts picks an adapter' : undefined),
  (from, to) => (from.startsWith('src/dashboard/') && (to === 'src/orchestrator/create.ts' || (to.startsWith('src/engines/') && !/^src\/engines\/[^/]+\.ts$/.test(to)))
    ? 'the dashboard is handed its store, reports and controller calls by the CLI (src/cli/commands/dashboard.ts); it builds no orchestrator and picks no adapter' : undefined),
];

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

/** Relative import targets of one source text. */
export function importsOf(text) {
  const out = [];
  for (const m of text.matchAll(IMPORT)) out.push(m[1] ?? m[2]);
  return out;
}

/** Violations for a list of { path, text } (paths relative to the root, with '/'). */
export function checkImports(files) {
  const violations = [];
  for (const { path, text } of files) {
    const from = moduleOf(path);
    if (from === undefined) continue;
    if (from === 'unmapped') {
      violations.push({ path, target: '', reason: 'this file is in no module of the map: add it to scripts/check-imports.mjs and docs/architecture.md' });
      continue;
    }
    for (const spec of importsOf(text)) {
      const target = join(dirname(path), spec).split(sep).join('/');
      const to = moduleOf(target) ?? 'outside';
      if (to === 'outside' || to === 'unmapped') {
        if (!target.startsWith('node_modules/') && from !== 'cli' && from !== 'demo') {
          violations.push({ path, target, reason: `${from} imports a file outside the mapped source tree` });
        }
        continue;
      }
      if (to !== from && !ALLOWED[from].includes(to)) {
        violations.push({ path, target, reason: `${from} may not import ${to} (allowed: ${ALLOWED[from].join(', ') || 'nothing'})` });
        continue;
      }
      for (const rule of RULES) {
        const reason = rule(path, target);
        if (reason) violations.push({ path, target, reason });
      }
    }
  }
  return violations;
}

function sourceFiles(root, dir, out = []) {
  for (const name of readdirSync(join(root, dir))) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const rel = `${dir}/${name}`;
    if (statSync(join(root, rel)).isDirectory()) sourceFiles(root, rel, out);
    else if (name.endsWith('.ts')) out.push({ path: rel, text: readFileSync(join(root, rel), 'utf8') });
  }
  return out;
}

export function checkRepository(root) {
  const files = ['src', 'comparators', 'examples'].flatMap((d) => sourceFiles(root, d));
  return { files: files.length, violations: checkImports(files) };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = relative(process.cwd(), join(dirname(fileURLToPath(import.meta.url)), '..')) || '.';
  const { files, violations } = checkRepository(root);
  for (const v of violations) console.error(`✖ ${v.path}${v.target ? ` → ${v.target}` : ''}: ${v.reason}`);
  if (violations.length > 0) {
    console.error(`${violations.length} import(s) against the map in docs/architecture.md`);
    process.exitCode = 1;
  } else {
    console.log(`imports follow the map (${files} files)`);
  }
}
