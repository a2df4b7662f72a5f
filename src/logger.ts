import { pino, type Logger, type LevelWithSilent, type DestinationStream } from 'pino';

export type { Logger };

export interface LoggerOptions {
  readonly level?: LevelWithSilent;
  readonly name?: string;
  /** Where log lines go; defaults to stderr so stdout stays for results (and --json). */
  readonly destination?: NodeJS.WritableStream;
}

/**
 * The one logger factory (design.md §7). Composition roots call it once and pass
 * the logger down; pure modules never log. Logs go to stderr as JSON lines.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? (process.env.PITLANE_LOG_LEVEL as LevelWithSilent | undefined) ?? 'info';
  return pino(
    { level, name: options.name ?? 'pitlane', base: { pid: process.pid } },
    (options.destination ?? process.stderr) as DestinationStream,
  );
}

/** A logger that drops everything, for tests and library callers that want quiet. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
