/**
 * One entry of the notify log: the delivery of one lifecycle event to one webhook
 * of the deployment's spec, kept in the durable store (`notifications`,
 * `putNotification`) so every pitlane process — the next one to resume a
 * deployment, `canary status`, the dashboard — sees what was delivered, what is
 * still owed and what failed. Keyed by `id`: putting one again keeps the last.
 */
import type { NotifyEvent } from '../spec/notify.ts';

export type DeliveryState = 'pending' | 'delivered' | 'failed';

export interface NotificationRecord {
  /** `<eventId>#<hook>`: the event and the index of the webhook in the spec's `notify`. */
  readonly id: string;
  /** `<name>@<revision>.<event>`: stable across processes and retries (the receiver's idempotency key). */
  readonly eventId: string;
  readonly deployment: string;
  readonly generation: number;
  readonly event: NotifyEvent;
  readonly hook: number;
  /** The webhook's URL for display: scheme, host and path (no credentials, no query). */
  readonly url: string;
  /** pending: attempts left (a later process goes on); delivered: a 2xx came back; failed: no attempts left, or a 4xx that no retry changes. */
  readonly state: DeliveryState;
  readonly attempts: number;
  /** The last attempt's outcome: the HTTP status (with a body excerpt), or why there was none (timeout, refused). */
  readonly last?: { readonly at: number; readonly status?: number; readonly error?: string };
  /** When the event happened (its transition). */
  readonly eventAt: number;
  readonly updatedAt: number;
}

export function deliveryId(eventId: string, hook: number): string {
  return `${eventId}#${hook}`;
}

/** A URL without what must not be printed or stored twice: credentials, query and fragment. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(not a URL)';
  }
}
