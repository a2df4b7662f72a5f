/**
 * Delivers what a deployment owes its webhooks (events.ts `outbox`), in the
 * background of whatever process recorded the event: retried with exponential
 * backoff up to the hook's attempts, every attempt's outcome written to the notify
 * log in the store. Nothing here throws into the lifecycle: the controller only
 * `kick`s it after an append, and a receiver that times out or answers 500 costs
 * the deployment nothing.
 *
 * Across processes: a process that stops (a CLI command ends: `close` waits for
 * `flush`; a kill -9 does not) leaves each unfinished delivery as `pending` with
 * its attempts so far, or unrecorded; the next process that kicks the deployment
 * (`canary resume`, the shadow supervisor, any command that appends to it)
 * delivers it. At least once: two processes may both deliver one event; its id
 * is the same in both.
 */
import { describeUnknown } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import type { Clock } from '../../clock.ts';
import type { TransitionEntry } from '../lifecycle/model.ts';
import { eventBody, outbox, type OwedDelivery, type ReportLinks } from './events.ts';
import { describeOutcome, isPermanent, isSuccess, type PostJson } from './http.ts';
import { deliveryId, displayUrl, type DeliveryState, type NotificationRecord } from './record.ts';

/** The part of the durable store the notifier reads and writes. */
export interface NotifyStore {
  history(name: string): Promise<TransitionEntry[]>;
  notifications(name: string): Promise<NotificationRecord[]>;
  putNotification(record: NotificationRecord): Promise<void>;
}

export interface NotifierDeps {
  readonly store: NotifyStore;
  readonly post: PostJson;
  readonly clock: Clock;
  readonly sleep: (ms: number) => Promise<void>;
  readonly logger: Logger;
  readonly reportLinks: (name: string) => ReportLinks;
  /** Events older than this with no attempt yet are not delivered (default 24h). */
  readonly horizonMs?: number;
}

/** The longest wait between two attempts. */
export const MAX_BACKOFF_MS = 60_000;
const DEFAULT_HORIZON_MS = 24 * 3600_000;

/** The wait before the next attempt after `attempts` failed ones: `initial`, doubled each time, at most a minute. */
export function backoffDelay(initialMs: number, attempts: number): number {
  return Math.min(initialMs * 2 ** Math.max(0, attempts - 1), MAX_BACKOFF_MS);
}

export class Notifier {
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();

  constructor(private readonly deps: NotifierDeps) {}

  /** Delivers what `name` owes, in the background; a kick while a delivery runs makes it look again after. */
  kick(name: string): void {
    if (this.running.has(name)) {
      this.again.add(name);
      return;
    }
    const run = (async () => {
      do {
        this.again.delete(name);
        await this.deliverOwed(name).catch((e: unknown) => this.deps.logger.warn({ deployment: name, err: describeUnknown(e) }, 'could not read what the webhooks are owed; the next process that resumes the deployment delivers it'));
      } while (this.again.has(name));
    })().finally(() => this.running.delete(name));
    this.running.set(name, run);
  }

  /** Waits until every delivery this process started has ended (delivered, failed, or out of attempts). */
  async flush(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()]);
  }

  /**
   * Delivers everything `name` owes now and returns the records written. One
   * webhook's deliveries go in event order; different webhooks go side by side,
   * so a dead receiver delays nobody else.
   */
  async deliverOwed(name: string): Promise<NotificationRecord[]> {
    const [history, log] = await Promise.all([this.deps.store.history(name), this.deps.store.notifications(name)]);
    const owed = outbox(history, log, this.deps.clock.now(), this.deps.horizonMs ?? DEFAULT_HORIZON_MS);
    const byHook = new Map<number, OwedDelivery[]>();
    for (const o of owed) byHook.set(o.hook, [...(byHook.get(o.hook) ?? []), o]);
    const done = await Promise.all(
      [...byHook.values()].map(async (list) => {
        const records: NotificationRecord[] = [];
        for (const o of list) records.push(await this.deliver(o));
        return records;
      }),
    );
    return done.flat();
  }

  /** One delivery: attempts until a 2xx, a 4xx no retry changes, or the hook's attempts are spent. */
  private async deliver(o: OwedDelivery): Promise<NotificationRecord> {
    const { event: ev, spec } = o;
    const id = deliveryId(ev.id, o.hook);
    const body = eventBody(ev, this.deps.reportLinks(ev.entry.name));
    // pitlane's own headers last: a spec's headers cannot change the event id a receiver deduplicates by.
    const headers = { ...spec.headers, 'x-pitlane-event': ev.event, 'x-pitlane-event-id': ev.id, 'idempotency-key': ev.id };
    let attempts = o.record?.attempts ?? 0;
    let record: NotificationRecord = o.record ?? { id, eventId: ev.id, deployment: ev.entry.name, generation: ev.entry.record.generation, event: ev.event, hook: o.hook, url: displayUrl(spec.url), state: 'pending', attempts: 0, eventAt: ev.entry.at, updatedAt: this.deps.clock.now() };
    while (attempts < spec.attempts) {
      if (attempts > 0) await this.deps.sleep(backoffDelay(spec.backoff, attempts));
      const outcome = await this.deps.post({ url: spec.url, body, headers, timeoutMs: spec.timeout });
      attempts++;
      const state: DeliveryState = isSuccess(outcome) ? 'delivered' : isPermanent(outcome) || attempts >= spec.attempts ? 'failed' : 'pending';
      const now = this.deps.clock.now();
      record = { ...record, state, attempts, last: { at: now, ...(outcome.answered ? { status: outcome.status } : {}), ...(isSuccess(outcome) ? {} : { error: describeOutcome(outcome) }) }, updatedAt: now };
      const log = { deployment: ev.entry.name, event: ev.event, id: ev.id, url: record.url, attempt: attempts, of: spec.attempts };
      if (state === 'delivered') this.deps.logger.info(log, 'webhook delivered');
      else this.deps.logger.warn({ ...log, outcome: describeOutcome(outcome) }, state === 'failed' ? 'webhook delivery failed; giving up (recorded in the notify log)' : 'webhook delivery failed; retrying');
      await this.deps.store.putNotification(record).catch((e: unknown) => this.deps.logger.warn({ ...log, err: describeUnknown(e) }, 'could not record the webhook delivery in the store'));
      if (state !== 'pending') break;
    }
    return record;
  }
}
