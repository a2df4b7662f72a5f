/**
 * Which transitions are lifecycle events a webhook is told of, the JSON body each
 * is sent with, and what is still owed (pure: no I/O, no clock).
 *
 * The events are derived from the deployment's history in the store, not stored
 * apart: a transition that is recorded is an event that is owed, so an event can
 * never be lost between its transition and its delivery — a process that dies
 * before delivering leaves it to the next one (`outbox`). Its id,
 * `<name>@<revision>.<event>`, is the same in every process, so a receiver can
 * drop the duplicates an at-least-once delivery may bring.
 */
import type { Deployment, TransitionEntry } from '../lifecycle/model.ts';
import type { NotifyEvent, NotifyHook } from '../spec/notify.ts';
import { deliveryId, type NotificationRecord } from './record.ts';

export interface LifecycleEvent {
  readonly id: string;
  readonly event: NotifyEvent;
  readonly entry: TransitionEntry;
  /** The manual command (or verdict) that caused it: the promote that began a promotion, the rollback that began one. */
  readonly cause?: TransitionEntry;
}

/** The events `entry` is, given the record before it (`prev`, undefined for the first entry of the name). */
export function eventsOf(prev: Deployment | undefined, entry: TransitionEntry): NotifyEvent[] {
  const out: NotifyEvent[] = [];
  const e = entry.event;
  if (e.type === 'verdict' && e.status === 'fail') out.push('failed');
  if (e.type === 'verdict' && e.status === 'pass') out.push('passed');
  if (prev?.phase === 'Promoting' && entry.to === 'Promoted') out.push('promoted');
  if (entry.to === 'Aborted' && prev?.phase !== 'Aborted') out.push('aborted');
  if (entry.record.rollback?.completedAt !== undefined && prev?.rollback?.completedAt === undefined) out.push('rolledBack');
  return out;
}

/** Every lifecycle event of a history (oldest first), with the entry that caused it. */
export function lifecycleEvents(history: readonly TransitionEntry[]): LifecycleEvent[] {
  const out: LifecycleEvent[] = [];
  let promotionBegan: TransitionEntry | undefined;
  let rollbackBegan: TransitionEntry | undefined;
  for (let i = 0; i < history.length; i++) {
    const entry = history[i]!;
    const prev = i > 0 ? history[i - 1]!.record : undefined;
    if (entry.to === 'Promoting' && prev?.phase !== 'Promoting') promotionBegan = entry;
    if (entry.to === 'RolledBack' && prev?.phase !== 'RolledBack') rollbackBegan = entry;
    for (const event of eventsOf(prev, entry)) {
      const cause = event === 'promoted' ? promotionBegan : event === 'rolledBack' ? rollbackBegan : undefined;
      out.push({ id: `${entry.name}@${entry.revision}.${event}`, event, entry, ...(cause ? { cause } : {}) });
    }
  }
  return out;
}

/** Whether appending `entry` after `prev` owes any webhook a delivery (the controller's cheap check before it wakes the notifier). */
export function owesDelivery(prev: Deployment | undefined, entry: TransitionEntry): boolean {
  const hooks = hooksOf(entry.record);
  if (hooks.length === 0) return false;
  const events = eventsOf(prev, entry);
  return events.some((ev) => hooks.some((h) => h.on.includes(ev)));
}

export interface OwedDelivery {
  readonly event: LifecycleEvent;
  readonly hook: number;
  readonly spec: NotifyHook;
  /** What earlier attempts left (pending, attempts so far), if any. */
  readonly record?: NotificationRecord;
}

/**
 * What is still owed, in event order: every (event, webhook) the event's own spec
 * subscribes to whose delivery is neither delivered nor failed. Events older than
 * `horizonMs` before `now` with no attempt at all are left alone: a deployment
 * resumed days later does not page anyone about what happened back then.
 */
export function outbox(history: readonly TransitionEntry[], log: readonly NotificationRecord[], now: number, horizonMs: number): OwedDelivery[] {
  const byId = new Map(log.map((r) => [r.id, r]));
  const out: OwedDelivery[] = [];
  for (const ev of lifecycleEvents(history)) {
    hooksOf(ev.entry.record).forEach((spec, hook) => {
      if (!spec.on.includes(ev.event)) return;
      const record = byId.get(deliveryId(ev.id, hook));
      if (record && record.state !== 'pending') return;
      if (!record && now - ev.entry.at > horizonMs) return;
      out.push({ event: ev, hook, spec, ...(record ? { record } : {}) });
    });
  }
  return out;
}

export function hasHooks(d: Deployment): boolean {
  return hooksOf(d).length > 0;
}

/** A record written before `notify` existed has none. */
function hooksOf(d: Deployment): readonly NotifyHook[] {
  return (d.spec as { notify?: readonly NotifyHook[] }).notify ?? [];
}

/** Where a deployment's report can be found: the files, and the dashboard's page when one is named. */
export interface ReportLinks {
  readonly json: string;
  readonly html: string;
  readonly dashboard?: string;
}

/** The JSON body a webhook receives for `ev` (and, with `kind: 'confirm-promotion'`, the confirm hook). */
export function eventBody(ev: Pick<LifecycleEvent, 'id' | 'entry' | 'cause'> & { readonly event: NotifyEvent | 'confirm-promotion' }, report: ReportLinks): Record<string, unknown> {
  const d = ev.entry.record;
  const s = d.spec;
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  const action = manualAction(ev.cause ?? ev.entry);
  return {
    id: ev.id,
    event: ev.event,
    deployment: d.name,
    generation: d.generation,
    revision: d.revision,
    phase: d.phase,
    at: iso(ev.entry.at),
    verdict: d.verdict ? { status: d.verdict.status, reason: d.verdict.reason ?? null, at: iso(d.verdict.at) } : null,
    versions: { authoritative: s.authoritative.version, candidate: s.candidate.version ?? null },
    engines: { authoritative: s.authoritative.engine, candidate: s.candidate.engine },
    jobs: d.jobs,
    activeTopic: d.activeTopic,
    promotion: d.promotion
      ? {
          strategy: d.promotion.strategy,
          mode: d.promotion.mode ?? null,
          auto: d.promotion.auto,
          override: d.promotion.override?.reason ?? null,
          startedAt: iso(d.promotion.startedAt),
          completedAt: iso(d.promotion.completedAt),
          pitStop: d.promotion.pitStop ?? null,
        }
      : null,
    abort: d.abort ? { by: d.abort.by, reason: d.abort.reason, at: iso(d.abort.at) } : null,
    rollback: d.rollback ? { reason: d.rollback.reason ?? null, at: iso(d.rollback.at), completedAt: iso(d.rollback.completedAt) } : null,
    action,
    report,
  };
}

/** Who asked and why, for an event a manual command caused (promote, abort, rollback); null otherwise. */
function manualAction(entry: TransitionEntry): { command: string; by: string | null; reason: string | null; skipConfirm: string | null } | null {
  const e = entry.event;
  if (e.type !== 'promote' && e.type !== 'abort' && e.type !== 'rollback') return null;
  const reason = e.type === 'promote' ? (e.override?.reason ?? null) : (e.reason ?? null);
  const skip = e.type === 'promote' ? (e.skipConfirm?.reason ?? null) : null;
  return { command: e.type, by: e.by ?? null, reason, skipConfirm: skip };
}
