import { z } from 'zod';
import { quantileSorted } from 'simple-statistics';
import { parseWith } from '../../src/config/validate.ts';
import type { Check, Side, WindowAccumulator } from '../types.ts';
import { measurer } from '../shared/measure.ts';
import { Reservoir } from '../aggregate/reservoir.ts';

export const latenessParams = z.strictObject({
  /** Allowed extra emission delay of b over a (ms): the candidate's watermark lag. */
  maxLagMs: z.number().min(0).default(1000),
  /** Allowed increase of the late-record rate (b − a). */
  maxLateRateIncrease: z.number().min(0).max(1).default(0.01),
});

/**
 * lateness — how far each side's output trails event time. A job emits a result
 * when its watermark passes it, so the record timestamp (emit time) minus the
 * event time is the side's watermark delay; the median delay of b minus that of a
 * is the candidate's watermark lag behind the authoritative. Also compares the
 * late-record rate: records that arrived after their side's watermark had passed
 * their event time. When every record's event time is its timestamp there is no
 * delay to see, and the lag is Inconclusive rather than a fake zero.
 */
export function latenessCheck(name: string, params: unknown): Check {
  const p = parseWith(latenessParams, params ?? {}, `check ${name} (lateness)`);
  return {
    name,
    type: 'lateness',
    open(window): WindowAccumulator {
      const delays: Record<Side, Reservoir> = { a: new Reservoir(20_000), b: new Reservoir(20_000) };
      let distinctTime = false;
      return {
        add(side, record) {
          const d = record.timestamp - record.eventTime;
          if (d !== 0) distinctTime = true;
          delays[side].add(d);
        },
        finish(ctx) {
          const m = measurer(name, 'lateness', window);
          const na = delays.a.seen;
          const nb = delays.b.seen;
          const records = na + nb;
          const progress = { watermarkA: ctx.a.watermark, watermarkB: ctx.b.watermark };
          if (na === 0 || nb === 0) {
            return [m({ metric: 'watermark-lag', status: 'Inconclusive', observed: null, expected: 0, threshold: p.maxLagMs, records, detail: { reason: `no records on side ${na === 0 ? 'a' : 'b'}`, ...progress } })];
          }
          const da = median(delays.a.values);
          const db = median(delays.b.values);
          const lag = db - da;
          const lagM = distinctTime
            ? m({ metric: 'watermark-lag', status: lag <= p.maxLagMs ? 'Successful' : 'Failed', observed: lag, expected: 0, threshold: p.maxLagMs, sides: { a: da, b: db }, records, detail: { medianDelayA: da, medianDelayB: db, ...progress } })
            : m({ metric: 'watermark-lag', status: 'Inconclusive', observed: null, expected: 0, threshold: p.maxLagMs, records, detail: { reason: 'event time equals the record timestamp on every record: no emission delay to measure', ...progress } });
          const ra = ctx.a.lateRecords / na;
          const rb = ctx.b.lateRecords / nb;
          const lateM = m({ metric: 'late-rate', status: rb - ra <= p.maxLateRateIncrease ? 'Successful' : 'Failed', observed: rb - ra, expected: 0, threshold: p.maxLateRateIncrease, sides: { a: ra, b: rb }, records, detail: { lateA: ctx.a.lateRecords, lateB: ctx.b.lateRecords } });
          return [lagM, lateM];
        },
      };
    },
  };
}

function median(values: readonly number[]): number {
  return quantileSorted([...values].sort((x, y) => x - y), 0.5);
}
