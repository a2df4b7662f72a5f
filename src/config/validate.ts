import type { z } from 'zod';
import { ConfigError } from '../errors.ts';

/**
 * Parse untrusted input with a schema and turn every issue into one ConfigError
 * that points at the offending key (`analysis.window: Expected string, got number`).
 * Inner code receives the typed, trusted result (design.md §7: validate at the edge).
 */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, source: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
    return `  ${path}: ${issue.message}`;
  });
  throw new ConfigError('CONFIG_INVALID', `${source} is invalid:\n${lines.join('\n')}`, {
    hint: `Fix the key${lines.length > 1 ? 's' : ''} above in ${source} and try again.`,
    data: { issues: result.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })) },
  });
}
