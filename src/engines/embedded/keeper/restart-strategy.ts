/**
 * The restart decision of a job's keeper (keeper-main.ts), pure: given the
 * strategy, what happened so far and how long the failed run lasted, restart
 * after which delay, or give up. Modelled on Flink's restart strategies
 * (fixed-delay; exponential-delay with its backoff reset after a stable run).
 */
import type { RestartStrategy } from '../../types.ts';

/** The restarts counted toward the strategy's limit, and the last delay (the backoff grows from it). */
export interface RestartCount {
  readonly attempts: number;
  readonly lastDelayMs?: number;
}

export type RestartDecision =
  | { readonly restart: true; readonly delayMs: number; readonly next: RestartCount }
  | { readonly restart: false; readonly reason: string };

export const NO_RESTARTS: RestartCount = { attempts: 0 };

/**
 * `ranMs`: how long the run that just failed lasted. Exponential-delay forgets the
 * earlier failures when it ran at least `resetAfterMs` (Flink's reset-backoff-threshold).
 */
export function decideRestart(s: RestartStrategy, count: RestartCount, ranMs: number): RestartDecision {
  if (s.type === 'none') return { restart: false, reason: 'the restart strategy is none' };
  if (s.type === 'fixed-delay') {
    if (count.attempts >= s.attempts) return { restart: false, reason: `restart limit reached: ${s.attempts} restart(s) (fixed-delay)` };
    return { restart: true, delayMs: s.delayMs, next: { attempts: count.attempts + 1, lastDelayMs: s.delayMs } };
  }
  const c = ranMs >= s.resetAfterMs ? NO_RESTARTS : count;
  if (c.attempts >= s.attempts) return { restart: false, reason: `restart limit reached: ${s.attempts} restart(s) in a row (exponential-delay)` };
  const delayMs = c.lastDelayMs === undefined ? s.initialDelayMs : Math.min(s.maxDelayMs, Math.round(c.lastDelayMs * s.multiplier));
  return { restart: true, delayMs, next: { attempts: c.attempts + 1, lastDelayMs: delayMs } };
}

/** The default: exponential-delay from 1 s up to 1 min (×1.5), at most 10 restarts in a row, reset after an hour's stable run. */
export const DEFAULT_RESTART: RestartStrategy = { type: 'exponential-delay', attempts: 10, initialDelayMs: 1000, maxDelayMs: 60_000, multiplier: 1.5, resetAfterMs: 3_600_000 };
