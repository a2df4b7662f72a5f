/** Small parsers for `pitlane run` flags: durations (10s, 500ms, 2m) and whole counts. */
import { ConfigError } from '../../errors.ts';

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60000 };

/** "10s", "500ms", "2m", or a bare number of seconds → milliseconds (≥ 1). */
export function parseDuration(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  const ms = m ? Math.round(Number(m[1]) * (UNITS[m[2] ?? 's'] ?? 1000)) : NaN;
  if (!Number.isFinite(ms) || ms < 1) throw new ConfigError('CLI_BAD_DURATION', `${flag} must be a duration like 10s, 500ms or 2m, not "${text}".`);
  return ms;
}

export function parseCount(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError('CLI_BAD_NUMBER', `${flag} must be a whole number of at least 1, not "${text}".`);
  return n;
}
