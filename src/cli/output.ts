import { isPitlaneError, describeUnknown } from '../errors.ts';
import { EXIT } from './exit-codes.ts';

export interface OutputOptions {
  readonly json?: boolean;
}

/** Prints a command's result: the object as JSON with --json, else the human text. */
export function emit(result: unknown, options: OutputOptions, human: () => string): void {
  if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else process.stdout.write(`${human()}\n`);
}

/** The one place an error becomes an exit code (design.md §7). */
export function reportError(e: unknown, json: boolean): number {
  if (isPitlaneError(e)) {
    if (json) process.stdout.write(`${JSON.stringify(e.toJSON(), null, 2)}\n`);
    process.stderr.write(`error [${e.code}]: ${e.describe()}\n`);
    return EXIT.ERROR;
  }
  if (json) process.stdout.write(`${JSON.stringify({ error: 'InternalError', code: 'INTERNAL', message: describeUnknown(e) })}\n`);
  process.stderr.write(`internal error: ${e instanceof Error && e.stack ? e.stack : describeUnknown(e)}\n  → This is a bug in pitlane; please report it with the command you ran.\n`);
  return EXIT.ERROR;
}

/** Simple aligned columns for terminal tables. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')).join('\n');
}
