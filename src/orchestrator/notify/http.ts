/**
 * One HTTP POST of a JSON body, bounded by a timeout (Node's fetch and
 * AbortSignal.timeout), told back as data — an answer with its status and the
 * start of its body, or why there was none — never as a throw: the notifier and
 * the confirm hook decide what an answer means.
 */
import { describeUnknown } from '../../errors.ts';

export type PostOutcome =
  | { readonly answered: true; readonly status: number; readonly excerpt: string }
  | { readonly answered: false; readonly error: string };

export interface PostRequest {
  readonly url: string;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly timeoutMs: number;
}

/** The narrow port the notifier and the confirm hook post through (a fake in unit tests). */
export type PostJson = (request: PostRequest) => Promise<PostOutcome>;

const EXCERPT = 200;

/** `${env:NAME}` in a header value is read from this process's environment, so a secret need not be written into the spec (and the store). */
export function expandHeaders(headers: Readonly<Record<string, string>> | undefined, env: NodeJS.ProcessEnv = process.env): { readonly headers: Record<string, string> } | { readonly missing: string } {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    let missing: string | undefined;
    out[k] = v.replace(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
      const value = env[name];
      if (value === undefined) missing ??= `header ${k} names the environment variable ${name}, which is not set in this process`;
      return value ?? '';
    });
    if (missing) return { missing };
  }
  return { headers: out };
}

export const postJson: PostJson = async ({ url, body, headers, timeoutMs }) => {
  const expanded = expandHeaders(headers);
  if ('missing' in expanded) return { answered: false, error: expanded.missing };
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'pitlane', ...expanded.headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'manual',
    });
    // The body is read under the same deadline; a receiver that answers and then stalls still ends here.
    const text = await res.text().catch(() => '');
    return { answered: true, status: res.status, excerpt: text.slice(0, EXCERPT).replace(/\s+/g, ' ').trim() };
  } catch (e) {
    const err = e as { name?: string; cause?: { code?: string; message?: string } };
    if (err.name === 'TimeoutError') return { answered: false, error: `did not answer within ${timeoutMs}ms (timeout)` };
    // fetch says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND, a TLS error) is its cause.
    const why = err.cause?.message ?? describeUnknown(e);
    return { answered: false, error: `could not be reached: ${why}${err.cause?.code && !why.includes(err.cause.code) ? ` (${err.cause.code})` : ''}` };
  }
};

/** 2xx only: a redirect is not followed (the body would be posted somewhere not configured). */
export function isSuccess(o: PostOutcome): boolean {
  return o.answered && o.status >= 200 && o.status < 300;
}

/** An answer no retry changes (a 4xx other than 408 Request Timeout, 425 Too Early and 429 Too Many Requests). */
export function isPermanent(o: PostOutcome): boolean {
  return o.answered && o.status >= 400 && o.status < 500 && ![408, 425, 429].includes(o.status);
}

/** One line for logs, the notify log and error messages: `answered 500 ("oops")` or `timeout …`. */
export function describeOutcome(o: PostOutcome): string {
  if (!o.answered) return o.error;
  return `answered ${o.status}${o.excerpt ? ` (${JSON.stringify(o.excerpt)})` : ''}`;
}
