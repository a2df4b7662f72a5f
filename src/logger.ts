import { pino, type Logger, type LevelWithSilent, type DestinationStream } from 'pino';
import { ConfigError } from './errors.ts';

export type { Logger };

/** The log levels pitlane accepts (pino's), quietest first. */
export const LOG_LEVELS: readonly LevelWithSilent[] = ['silent', 'fatal', 'error', 'warn', 'info', 'debug', 'trace'];

/** The level `text` names, or a ConfigError listing the allowed ones; `source` says where it came from (a flag, a variable). */
export function parseLogLevel(text: string, source: string): LevelWithSilent {
  const level = text.trim().toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(level)) return level as LevelWithSilent;
  throw new ConfigError('LOG_LEVEL_INVALID', `${source} "${text}" is not a log level.`, { hint: `Use one of ${LOG_LEVELS.join(', ')}.` });
}

export interface LoggerOptions {
  readonly level?: LevelWithSilent;
  readonly name?: string;
  /** Where log lines go; defaults to stderr so stdout stays for results (and --json). */
  readonly destination?: NodeJS.WritableStream;
}

/**
 * The one logger factory (design.md §7). Composition roots call it once and pass
 * the logger down; pure modules never log. Logs go to stderr as JSON lines. Without
 * a level, PITLANE_LOG_LEVEL (checked), else info.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const env = process.env.PITLANE_LOG_LEVEL;
  const level = options.level ?? (env ? parseLogLevel(env, 'PITLANE_LOG_LEVEL') : 'info');
  return pino(
    { level, name: options.name ?? 'pitlane', base: { pid: process.pid } },
    (options.destination ?? process.stderr) as DestinationStream,
  );
}

/** A logger that drops everything, for tests and library callers that want quiet. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
