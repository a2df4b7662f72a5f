/**
 * Who may change a deployment from the dashboard: whoever presents the token it
 * was started with (`--token` / PITLANE_DASHBOARD_TOKEN), as `Authorization:
 * Bearer TOKEN`. Without a configured token the dashboard is read-only. The
 * comparison is in constant time: both sides are hashed to the same length
 * first, then compared with crypto.timingSafeEqual, so neither the length nor
 * the first differing byte of a guess shows in the time of the answer.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export type AuthOutcome =
  | { readonly ok: true }
  | { readonly ok: false; readonly status: 401 | 403; readonly code: string; readonly message: string; readonly hint: string };

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** True when `given` is the configured token (constant time in the token's content). */
export function tokenMatches(configured: string, given: string): boolean {
  return timingSafeEqual(digest(configured), digest(given));
}

/** The bearer token of an Authorization header, or undefined. */
export function bearerOf(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
}

/** Whether a mutation with this Authorization header may go ahead. */
export function authorize(configured: string | undefined, header: string | undefined): AuthOutcome {
  if (configured === undefined || configured === '') {
    return { ok: false, status: 403, code: 'DASHBOARD_READ_ONLY', message: 'This dashboard is read-only: it was started without a token.', hint: 'Start it with --token (or PITLANE_DASHBOARD_TOKEN) to allow promote, abort and rollback from the page; the CLI (`pitlane canary …`) works either way.' };
  }
  const given = bearerOf(header);
  if (given === undefined) {
    return { ok: false, status: 401, code: 'DASHBOARD_TOKEN_MISSING', message: 'This action needs the dashboard token.', hint: 'Enter the token the dashboard was started with (sent as `Authorization: Bearer TOKEN`).' };
  }
  if (!tokenMatches(configured, given)) {
    return { ok: false, status: 403, code: 'DASHBOARD_TOKEN_WRONG', message: 'The token is not the dashboard\'s token; nothing was changed.', hint: 'Ask whoever started the dashboard for its token (--token / PITLANE_DASHBOARD_TOKEN).' };
  }
  return { ok: true };
}
