import { z } from 'zod';
import { parseWith } from '../../src/config/validate.ts';
import type { Check, Measurement, SideContext, WindowAccumulator } from '../types.ts';
import { measurer } from '../shared/measure.ts';

export const latenessParams = z.strictObject({
  /**
   * Allowed wall-clock lag (ms) of b's watermark behind a's: per window, when b's
   * watermark passed the window's end minus when a's did.
   */
  maxLagMs: z.number().min(0).default(30_000),
  /** Allowed increase of the late-record rate (b − a). */
  maxLateRateIncrease: z.number().min(0).max(1).default(0.01),
});

/**
 * lateness — the candidate's watermark lag behind the authoritative, and the
 * late-record rate. Watermark lag is a wall-clock measure: the driver records when
 * each side's watermark passed the window's end, in the side's emit-time clock
 * (the broker's append time, the producer's timestamp, or the comparator's read
 * time when following live topics); the lag is b's time minus a's. When a side
 * has no emit times (a bounded read of records stamped with their event time),
 * the lag is Inconclusive rather than a fake zero. The late-record rate counts
 * records that arrived after their side's watermark had passed their window.
 */
export function latenessCheck(name: string, params: unknown): Check {
  const p = parseWith(latenessParams, params ?? {}, `check ${name} (lateness)`);
  return {
    name,
    type: 'lateness',
    open(window): WindowAccumulator {
      let na = 0;
      let nb = 0;
      return {
        add(side) {
          if (side === 'a') na++;
          else nb++;
        },
        finish(ctx) {
          const m = measurer(name, 'lateness', window);
          const records = na + nb;
          const progress = { watermarkA: ctx.a.watermark, watermarkB: ctx.b.watermark };
          const base = { metric: 'watermark-lag', expected: 0, threshold: p.maxLagMs, records };
          if (na === 0 || nb === 0) {
            return [m({ ...base, status: 'Inconclusive', observed: null, detail: { reason: `no records on side ${na === 0 ? 'a' : 'b'}`, ...progress } })];
          }
          const why = unmeasurable(ctx.a, ctx.b);
          const ta = ctx.a.watermarkPassedAt;
          const tb = ctx.b.watermarkPassedAt;
          let lagM: Measurement;
          if (why !== undefined || ta === undefined || tb === undefined) {
            lagM = m({ ...base, status: 'Inconclusive', observed: null, detail: { reason: why, ...progress } });
          } else {
            const lag = tb - ta;
            const detail = { passedAtA: ta, passedAtB: tb, emitTime: ctx.a.emitTime, ...progress };
            lagM = m({ ...base, status: lag <= p.maxLagMs ? 'Successful' : 'Failed', observed: lag, sides: { a: ta - window.end, b: tb - window.end }, detail });
          }
          const ra = ctx.a.lateRecords / na;
          const rb = ctx.b.lateRecords / nb;
          const lateM = m({ metric: 'late-rate', status: rb - ra <= p.maxLateRateIncrease ? 'Successful' : 'Failed', observed: rb - ra, expected: 0, threshold: p.maxLateRateIncrease, sides: { a: ra, b: rb }, records, detail: { lateA: ctx.a.lateRecords, lateB: ctx.b.lateRecords } });
          return [lagM, lateM];
        },
      };
    },
  };
}

/** Why the two sides' passage times cannot be compared, if they cannot. */
function unmeasurable(a: SideContext, b: SideContext): string | undefined {
  for (const [label, s] of [['a', a], ['b', b]] as const) {
    if (s.emitTime === undefined) {
      return `side ${label} has no emit times: its record timestamps are its event times and the read is bounded (compare live, or write the topics with message.timestamp.type=LogAppendTime)`;
    }
  }
  if (a.emitTime !== b.emitTime) return `the sides' emit times come from different clocks (a: ${a.emitTime}, b: ${b.emitTime})`;
  for (const [label, s] of [['a', a], ['b', b]] as const) {
    if (s.watermarkPassedAt === undefined) return `side ${label}'s watermark never passed the window's end before its read ended`;
  }
  return undefined;
}
