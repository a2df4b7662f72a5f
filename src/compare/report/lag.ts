import type { EmitTimeSource, Measurement } from '../../../comparators/types.ts';

export interface LagSummary {
  /** Windows whose watermark lag could be measured. */
  readonly windows: number;
  /** Median and maximum over those windows of b's watermark lag behind a (ms); null when none. */
  readonly p50Ms: number | null;
  readonly maxMs: number | null;
  readonly emitTime: EmitTimeSource | null;
}

/** The watermark lag over windows, from the lateness checks' per-window measurements. */
export function lagSummary(measurements: readonly Measurement[]): LagSummary {
  const lags: number[] = [];
  let emitTime: EmitTimeSource | null = null;
  for (const m of measurements) {
    if (m.type !== 'lateness' || m.metric !== 'watermark-lag' || m.observed === null) continue;
    lags.push(m.observed);
    emitTime ??= (m.detail.emitTime as EmitTimeSource | undefined) ?? null;
  }
  if (lags.length === 0) return { windows: 0, p50Ms: null, maxMs: null, emitTime };
  lags.sort((x, y) => x - y);
  const mid = lags.length >> 1;
  const p50 = lags.length % 2 ? lags[mid]! : (lags[mid - 1]! + lags[mid]!) / 2;
  return { windows: lags.length, p50Ms: p50, maxMs: lags[lags.length - 1]!, emitTime };
}
