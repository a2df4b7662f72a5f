/**
 * The confirm hook (`promotion.confirm`, Flagger's confirm-promotion webhook): an
 * outside system — a change calendar, an approval bot, a person behind a button —
 * that must answer 2xx before a promotion begins. The controller asks it after the
 * transition has accepted the promote and before anything is recorded or
 * performed, so a hook that says no (any other status, a timeout, a refused
 * connection) leaves the deployment exactly as it was: nothing stopped, still
 * Passed (or Failed/Inconclusive under an override), promotable again later.
 *
 * What bypasses it: only `skipConfirm` on the promote (`canary promote
 * --skip-confirm REASON`), recorded with who asked. `--override-verdict` does not:
 * it overrides pitlane's own verdict, not the outside approver, who is told of
 * the override in the body. `promotion.force` is the cutover's group force and
 * has nothing to do with it.
 */
import { PromotionError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import type { Deployment, DeploymentEvent, TransitionEntry } from '../lifecycle/model.ts';
import type { ConfirmHook } from '../spec/notify.ts';
import { eventBody, type ReportLinks } from './events.ts';
import { describeOutcome, isSuccess, type PostJson } from './http.ts';
import { displayUrl } from './record.ts';

export type ConfirmAnswer = { readonly approved: true; readonly skipped?: string } | { readonly approved: false; readonly message: string };

/** The controller's port: may this promotion of `d`, asked for by `event`, begin? */
export interface ConfirmPort {
  ask(d: Deployment, event: DeploymentEvent, now: number): Promise<ConfirmAnswer>;
}

export function confirmHookOf(d: Deployment): ConfirmHook | undefined {
  return (d.spec.promotion as { confirm?: ConfirmHook }).confirm;
}

export function httpConfirm(post: PostJson, reportLinks: (name: string) => ReportLinks): ConfirmPort {
  return {
    async ask(d, event, now) {
      const hook = confirmHookOf(d);
      if (!hook) return { approved: true };
      if (event.type === 'promote' && event.skipConfirm) return { approved: true, skipped: event.skipConfirm.reason };
      // The entry this promote would be judged from: the body a notify webhook gets, as event `confirm-promotion`.
      const entry: TransitionEntry = { name: d.name, revision: d.revision, at: now, from: d.phase, to: d.phase, event, record: d };
      const id = `${d.name}@${d.revision}.confirm-promotion`;
      const body = { ...eventBody({ id, event: 'confirm-promotion', entry }, reportLinks(d.name)), override: event.type === 'promote' ? (event.override?.reason ?? null) : null, auto: event.type === 'verdict' };
      const outcome = await post({ url: hook.url, body, headers: { ...hook.headers, 'x-pitlane-event': 'confirm-promotion', 'x-pitlane-event-id': id }, timeoutMs: hook.timeout });
      if (isSuccess(outcome)) return { approved: true };
      return { approved: false, message: `the confirm hook at ${displayUrl(hook.url)} ${describeOutcome(outcome)}` };
    },
  };
}

/**
 * Undefined when the promotion `event` begins may go ahead; else why not (`why`, as an
 * auto-promotion's held verdict records it) and the PROMOTION_HELD error a promote is
 * refused with, saying which hook said what and that nothing changed.
 */
export async function promotionHold(confirm: ConfirmPort, d: Deployment, event: DeploymentEvent, now: number, logger: Logger): Promise<{ readonly error: PromotionError; readonly why: string } | undefined> {
  if (event.type === 'promote' && event.skipConfirm && event.skipConfirm.reason.trim() === '') {
    const why = 'Skipping the confirm hook needs a reason.';
    return { why, error: new PromotionError('PROMOTION_SKIP_CONFIRM_REASON', why, { hint: 'Pass one, e.g. `--skip-confirm "approval service down, change CHG-123 approved by phone"`; it is recorded with who asked.' }) };
  }
  const answer = await confirm.ask(d, event, now);
  if (answer.approved) {
    if (answer.skipped !== undefined) logger.warn({ deployment: d.name, reason: answer.skipped }, 'promotion without asking the confirm hook (--skip-confirm)');
    return undefined;
  }
  logger.warn({ deployment: d.name, phase: d.phase, why: answer.message }, 'promotion held by the confirm hook');
  const error = new PromotionError('PROMOTION_HELD', `${answer.message}: the promotion of ${d.name} is held. Nothing was stopped; ${d.name} stays ${d.phase}.`, {
    retriable: true,
    hint: `Promote again once the hook approves (\`pitlane canary promote ${d.name}\`); to promote without it, \`--skip-confirm "<reason>"\` (recorded with who asked).`,
    data: { name: d.name, phase: d.phase, revision: d.revision },
  });
  return { why: answer.message, error };
}
