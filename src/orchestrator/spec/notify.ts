/**
 * The spec's `notify` key and `promotion.confirm`: webhooks told of a deployment's
 * lifecycle events, and the hook that must approve a promotion before any of its
 * steps runs (Flagger's event and confirm-promotion webhooks). Delivery lives in
 * `src/orchestrator/notify/`.
 *
 *   notify:
 *     - url: https://chat.example.com/hooks/pitlane
 *       on: [failed, promoted, rolledBack]      # default: every event
 *       headers: { Authorization: "Bearer ${env:CHAT_TOKEN}" }
 *       timeout: 5s                             # per attempt
 *       attempts: 5                             # bounded; backoff 1s, 2s, 4s, … (max 1m)
 *       backoff: 1s
 *   promotion:
 *     confirm: { url: https://approvals.example.com/pitlane, timeout: 10s }
 */
import { z } from 'zod';
import { parseDuration } from '../../config/duration.ts';

/** The lifecycle events a webhook can be told of (notify/events.ts says which transition is which). */
export const NOTIFY_EVENTS = ['failed', 'passed', 'promoted', 'aborted', 'rolledBack'] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

const duration = (what: string, min: number, max: number) =>
  z.string({ error: `${what} must be a duration string such as "5s" or "1m"` }).transform((text, ctx) => {
    const r = parseDuration(text);
    if ('error' in r) {
      ctx.addIssue({ code: 'custom', message: `${what} ${r.error}` });
      return z.NEVER;
    }
    if (r.ms < min || r.ms > max) {
      ctx.addIssue({ code: 'custom', message: `${what} must be from ${min}ms to ${max / 1000}s` });
      return z.NEVER;
    }
    return r.ms;
  });

/** An http(s) URL; anything else (a typo, `ftp:`) is caught when the spec is loaded, not at the first event. */
const hookUrl = (what: string) =>
  z.string({ error: `${what} must be a URL such as https://hooks.example.com/pitlane` }).refine((u) => {
    try {
      const p = new URL(u).protocol;
      return p === 'http:' || p === 'https:';
    } catch {
      return false;
    }
  }, `${what} must be an http:// or https:// URL such as https://hooks.example.com/pitlane`);

/** Header names as HTTP allows them (a token); values are sent as written, `${env:NAME}` read from the sending process's environment. */
const headers = z.record(z.string(), z.string({ error: 'a header value must be a string' })).superRefine((h, ctx) => {
  for (const name of Object.keys(h)) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: `"${name}" is not a header name: letters, digits and !#$%&'*+.^_\`|~- only` });
  }
});

const hookSchema = z.strictObject({
  url: hookUrl('notify[].url'),
  on: z
    .array(z.enum(NOTIFY_EVENTS, { error: `notify[].on lists events among: ${NOTIFY_EVENTS.join(', ')}` }))
    .min(1, 'notify[].on must name at least one event (or be left out for all of them)')
    .prefault([...NOTIFY_EVENTS]),
  headers: headers.optional(),
  /** Per attempt: a receiver that has not answered by then counts as a failed attempt. */
  timeout: duration('notify[].timeout', 100, 60_000).prefault('5s'),
  /** Attempts per event, the first included; past them the delivery is recorded as failed. */
  attempts: z.number({ error: 'notify[].attempts must be a whole number' }).int().min(1, 'notify[].attempts must be at least 1').max(20, 'notify[].attempts is at most 20').prefault(5),
  /** Delay before the second attempt; doubled before each next one, at most 1m. */
  backoff: duration('notify[].backoff', 10, 60_000).prefault('1s'),
});

export const notifySchema = z.array(hookSchema).max(20, 'notify lists at most 20 webhooks');

export const confirmSchema = z.strictObject({
  url: hookUrl('promotion.confirm.url'),
  headers: headers.optional(),
  timeout: duration('promotion.confirm.timeout', 100, 120_000).prefault('10s'),
});

export type NotifyHook = z.output<typeof hookSchema>;
export type ConfirmHook = z.output<typeof confirmSchema>;
