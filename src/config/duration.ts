/**
 * Durations, read one way everywhere: deployment specs, the checks config of
 * `pitlane compare`, and command-line flags (`--checkpoint-interval`, `canary gate
 * --timeout`). Pure: parse to whole milliseconds, or say why not; each caller
 * wraps the reason in its own error.
 *
 * Accepted forms:
 * - a number with a unit: `250ms`, `30s`, `5m`, `1h`, `2d`; decimals allowed (`1.5s`);
 * - several in a row, each with its unit: `1m30s`;
 * - a bare number, `250` (as text, or a YAML/JSON number): **milliseconds**. That is
 *   the unit of every duration inside pitlane, of Kafka's and Flink's own settings,
 *   and of the numeric durations of the checks config (docs/compare.md). A bare
 *   number is only ever the whole input: `1m30` is refused, not read as 1m + 30ms.
 * Surrounding whitespace is ignored; whitespace inside (`5 m`), a sign and any other
 * unit are refused. The result is rounded to a whole millisecond.
 */
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const BARE = /^\d+(?:\.\d+)?$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;

/** Whole milliseconds, or a message saying what is wrong with the input (for the caller to wrap). */
export function parseDuration(input: string | number): { ms: number } | { error: string } {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) return { error: `${input} is not a duration; a number of milliseconds is 0 or more` };
    return { ms: Math.round(input) };
  }
  const s = input.trim();
  if (s.length === 0) return { error: 'is empty; write a duration such as "30s", "5m" or "250ms"' };
  let ms = 0;
  if (BARE.test(s)) {
    ms = Number(s);
  } else {
    PART.lastIndex = 0;
    while (PART.lastIndex < s.length) {
      const at = PART.lastIndex;
      const m = PART.exec(s);
      if (!m) {
        return { error: `"${input}" is not a duration (at "${s.slice(at)}"); write e.g. "30s", "5m", "1h", "250ms" or "1m30s"` };
      }
      ms += Number(m[1]) * (UNIT_MS[m[2]!] ?? 0);
    }
  }
  if (!Number.isFinite(ms)) return { error: `"${input}" is too large` };
  return { ms: Math.round(ms) };
}

/** The shortest readable form of a duration, for messages and status output. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(3))}s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m${ms % 60_000 ? formatDuration(ms % 60_000) : ''}`;
  return `${Math.floor(ms / 3_600_000)}h${ms % 3_600_000 ? formatDuration(ms % 3_600_000) : ''}`;
}
