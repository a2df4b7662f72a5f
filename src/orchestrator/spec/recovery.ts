/**
 * The spec's `checkpoints` and `restart` keys: how the deployment's embedded jobs
 * (authoritative via `canary launch`, candidate, promoted, rollback) survive a
 * crash of their process. Validated, they are the engines' own `JobRecovery`.
 *
 *   checkpoints: { interval: 1s, retained: 3 }      # opt-in; the default is `checkpoints: off`
 *   restart: { strategy: exponential-delay, attempts: 10, initialDelay: 1s, maxDelay: 1m, multiplier: 1.5, resetAfter: 1h }   # default with checkpoints
 *
 * Off by default for now: an embedded checkpoint is a full synchronous snapshot of the
 * keyed state (bench:engine (c): at 100,000 keys and 1 s it starves the job), and a
 * checkpoint's commit during a broker outage fails the job instead of riding it out.
 *   restart: { strategy: fixed-delay, attempts: 3, delay: 10s }
 *   restart: none
 */
import { z } from 'zod';
import type { JobRecovery, RestartStrategy } from '../../engines/adapter.ts';
import { parseDuration } from '../../config/duration.ts';

const duration = (what: string) =>
  z.string({ error: `${what} must be a duration string such as "1s" or "1m"` }).transform((text, ctx) => {
    const r = parseDuration(text);
    if ('error' in r) {
      ctx.addIssue({ code: 'custom', message: `${what} ${r.error}` });
      return z.NEVER;
    }
    return r.ms;
  });

const attempts = (what: string) => z.number({ error: `${what} must be a whole number of restarts` }).int().min(0, `${what} cannot be negative`);

export const checkpointsSchema = z.preprocess(
  (v) => (v === 'off' || v === false ? { enabled: false } : v),
  z
    .strictObject({
      enabled: z.boolean().prefault(true),
      /** Exactly-once output commits at each checkpoint: this is also how often output becomes visible. */
      interval: duration('checkpoints.interval')
        .refine((ms) => ms >= 10 && ms <= 30_000, 'checkpoints.interval must be from 10ms to 30s (exactly-once output waits in a transaction until the next checkpoint; Kafka aborts one open longer than 60s)')
        .prefault('1s'),
      retained: z.number().int().min(1, 'checkpoints.retained must be at least 1').prefault(3),
    })
    .transform((c) => (c.enabled ? { intervalMs: c.interval, retained: c.retained } : undefined)),
);

export const restartSchema = z.preprocess(
  (v) => (v === 'none' ? { strategy: 'none' } : v),
  z.discriminatedUnion(
    'strategy',
    [
      z.strictObject({ strategy: z.literal('none') }),
      z.strictObject({ strategy: z.literal('fixed-delay'), attempts: attempts('restart.attempts').prefault(3), delay: duration('restart.delay').prefault('10s') }),
      z.strictObject({
        strategy: z.literal('exponential-delay'),
        attempts: attempts('restart.attempts').prefault(10),
        initialDelay: duration('restart.initialDelay').prefault('1s'),
        maxDelay: duration('restart.maxDelay').prefault('1m'),
        multiplier: z.number().min(1, 'restart.multiplier must be at least 1').prefault(1.5),
        resetAfter: duration('restart.resetAfter').prefault('1h'),
      }),
    ],
    { error: 'restart.strategy must be one of: exponential-delay (default), fixed-delay, none' },
  ),
);

type RestartInput = z.output<typeof restartSchema>;

export function restartStrategyOf(r: RestartInput): RestartStrategy {
  if (r.strategy === 'none') return { type: 'none' };
  if (r.strategy === 'fixed-delay') return { type: 'fixed-delay', attempts: r.attempts, delayMs: r.delay };
  return { type: 'exponential-delay', attempts: r.attempts, initialDelayMs: r.initialDelay, maxDelayMs: r.maxDelay, multiplier: r.multiplier, resetAfterMs: r.resetAfter };
}

/** The spec's keys as the engines take them; a restart needs checkpoints to restart from (refused at validation otherwise). */
export function jobRecoveryOf(checkpoints: JobRecovery['checkpoints'], restart: RestartInput): JobRecovery {
  return { ...(checkpoints ? { checkpoints } : {}), restart: restartStrategyOf(restart) };
}
