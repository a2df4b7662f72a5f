/**
 * Reads a deployment spec from YAML text. YAML syntax errors carry line and
 * column; schema errors name the key and, where the YAML has it, its line.
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, isNode } from 'yaml';
import { ConfigError } from '../../errors.ts';
import { parseWith } from '../../config/validate.ts';
import { deploymentSpecSchema, type DeploymentSpec } from './schema.ts';

/** Pure: YAML text → validated spec, or a ConfigError pointing at the offending key. */
export function parseDeploymentSpec(text: string, source: string): DeploymentSpec {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((e) => {
      const at = e.linePos?.[0];
      return `  ${source}${at ? `:${at.line}:${at.col}` : ''}: ${(e.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')}`;
    });
    throw new ConfigError('SPEC_YAML_INVALID', `${source} is not valid YAML:\n${lines.join('\n')}`, {
      hint: 'Fix the YAML syntax at the line and column shown (indentation, a missing ":" or an unclosed quote are the usual causes).',
    });
  }
  const value: unknown = doc.toJS();
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError('CONFIG_INVALID', `${source} is invalid:\n  (root): a deployment spec is a mapping with name, inputs, authoritative, candidate, …`, {
      hint: 'See deploy/fraud.yaml for a complete example.',
    });
  }
  let spec: DeploymentSpec;
  try {
    spec = parseWith(deploymentSpecSchema, value, source);
  } catch (e) {
    if (!(e instanceof ConfigError) || !e.data) throw e;
    // Add the YAML line of each offending key so an editor can jump to it.
    const issues = (e.data.issues ?? []) as { path: string[]; message: string }[];
    const lines = issues.map((i) => {
      const key = i.path.length > 0 ? i.path.join('.') : '(root)';
      return `  ${key}${lineOf(doc, lineCounter, i.path)}: ${i.message}`;
    });
    throw new ConfigError(e.code, `${source} is invalid:\n${lines.join('\n')}`, { hint: e.hint ?? '', data: e.data });
  }
  return spec;
}

function lineOf(doc: ReturnType<typeof parseDocument>, lc: LineCounter, path: readonly string[]): string {
  // Walk up to the nearest key that exists (a missing key is reported at its parent).
  for (let n = path.length; n >= 1; n--) {
    const segs = path.slice(0, n).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
    const node = doc.getIn(segs, true);
    if (isNode(node) && node.range) {
      const { line, col } = lc.linePos(node.range[0]);
      return ` (line ${line}, col ${col})`;
    }
  }
  return '';
}

/** Reads and validates a spec file. */
export async function loadDeploymentSpec(path: string): Promise<DeploymentSpec> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ConfigError('SPEC_NOT_FOUND', `Cannot read the deployment spec ${path}: ${(e as Error).message}`, {
      hint: 'Check the path; example specs are in deploy/.',
      cause: e,
    });
  }
  return parseDeploymentSpec(text, path);
}
