import { isPitlaneError, describeUnknown } from '../errors.ts';
import { EXIT } from './exit-codes.ts';
import { UsageError } from './usage.ts';

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
    return e instanceof UsageError ? EXIT.USAGE : EXIT.ERROR;
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

/**
 * When the reader of stdout goes away (`pitlane savepoint read … | head`), the
 * command ends quietly with 0, as a command killed by SIGPIPE would — no stack. A
 * command that holds something needing a clean stop (a running job: `pitlane run`
 * listens for SIGTERM) gets SIGTERM instead and stops as it does on Ctrl-C.
 */
export function endQuietlyWhenStdoutCloses(): void {
  let closed = false;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e;
    if (closed) return;
    closed = true;
    if (process.listenerCount('SIGTERM') > 0) process.kill(process.pid, 'SIGTERM');
    else process.exit(EXIT.OK);
  });
}
