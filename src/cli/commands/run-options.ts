/** Small parsers for `pitlane run` flags: durations (10s, 500ms, 2m) and whole counts. */
import { UsageError } from '../usage.ts';
import { parseDuration as parseDurationText } from '../../config/duration.ts';

/** A duration flag ("10s", "500ms", "2m"; a bare number is milliseconds, see src/config/duration.ts) → milliseconds (≥ 1). */
export function parseDuration(flag: string, text: string): number {
  const r = parseDurationText(text);
  if ('error' in r || r.ms < 1) throw new UsageError('CLI_BAD_DURATION', `${flag} must be a duration like 10s, 500ms or 2m, not "${text}".`);
  return r.ms;
}

export function parseCount(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError('CLI_BAD_NUMBER', `${flag} must be a whole number of at least 1, not "${text}".`);
  return n;
}
