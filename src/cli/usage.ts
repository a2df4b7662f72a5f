/**
 * Usage errors: the command line itself is wrong — an unknown flag, a missing value,
 * a value of the wrong type or out of range, flags that contradict each other. They
 * exit 64 (README, "Exit codes"), like commander's own parse errors, and are checked
 * before a command does anything.
 */
import { ConfigError } from '../errors.ts';

export class UsageError extends ConfigError {}

/** A whole number from `min` (default 1) to `max`, or a UsageError naming the flag. */
export function intFlag(flag: string, text: string, range: { readonly min?: number; readonly max?: number } = {}): number {
  const min = range.min ?? 1;
  const n = /^-?\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || (range.max !== undefined && n > range.max)) {
    const span = range.max !== undefined ? `from ${min} to ${range.max}` : `of at least ${min}`;
    throw new UsageError('CLI_BAD_NUMBER', `${flag} must be a whole number ${span}, not "${text}".`);
  }
  return n;
}

/** A positive number of seconds, fractions allowed (`0.2`, `1`, `2.5`), or a UsageError. */
export function secondsFlag(flag: string, text: string): number {
  const n = /^\d+(\.\d+)?$|^\.\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!Number.isFinite(n) || n <= 0) throw new UsageError('CLI_BAD_NUMBER', `${flag} must be a positive number of seconds (such as 0.5 or 2), not "${text}".`);
  return n;
}

/** One of `allowed`, or a UsageError listing them. */
export function choiceFlag<T extends string>(flag: string, text: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(text)) return text as T;
  throw new UsageError('CLI_BAD_CHOICE', `${flag} must be one of ${allowed.join(', ')}, not "${text}".`);
}
