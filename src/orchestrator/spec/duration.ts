/**
 * Durations in deployment specs are strings a person can read (`250ms`, `30s`,
 * `5m`, `1h`, `1m30s`). Pure: parse to milliseconds, or say why not.
 */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;

/** Milliseconds, or a message saying what is wrong with the text. */
export function parseDuration(text: string): { ms: number } | { error: string } {
  const s = text.trim();
  if (s.length === 0) return { error: 'is empty; write a duration such as "30s", "5m" or "250ms"' };
  let ms = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < s.length) {
    const at = PART.lastIndex;
    const m = PART.exec(s);
    if (!m) {
      return { error: `"${text}" is not a duration (at "${s.slice(at)}"); write e.g. "30s", "5m", "1h", "250ms" or "1m30s"` };
    }
    ms += Number(m[1]) * (UNIT_MS[m[2]!] ?? 0);
  }
  if (!Number.isFinite(ms)) return { error: `"${text}" is too large` };
  return { ms: Math.round(ms) };
}

/** The shortest readable form of a duration, for messages and status output. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(3))}s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m${ms % 60_000 ? formatDuration(ms % 60_000) : ''}`;
  return `${Math.floor(ms / 3_600_000)}h${ms % 3_600_000 ? formatDuration(ms % 3_600_000) : ''}`;
}
