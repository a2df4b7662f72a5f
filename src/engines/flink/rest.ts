/**
 * Flink's REST API over Node's own fetch: one place that knows the base URL, how
 * long an unreachable or restarting cluster is waited for, and how Flink's error
 * answers ({"errors": [...]}, often a Java stack trace) become an EngineError that
 * says what happened and what to do. Every call the adapter makes goes through it.
 */
import { EngineError, describeUnknown } from '../../errors.ts';
import { sleep } from '../../clock.ts';

export interface FlinkRestOptions {
  /** The JobManager's REST endpoint, e.g. http://127.0.0.1:8081. */
  readonly url: string;
  /** How long an unreachable cluster, or one answering 503 (restarting, leader election), is retried. */
  readonly outageToleranceMs?: number;
  /** The limit of one HTTP call. */
  readonly callTimeoutMs?: number;
}

export const DEFAULT_OUTAGE_TOLERANCE_MS = 30_000;

/** One REST answer that was not 2xx: its status and Flink's own message. */
export class FlinkHttpError extends EngineError {
  constructor(
    readonly status: number,
    readonly path: string,
    readonly flinkMessage: string,
  ) {
    super(`FLINK_HTTP_${status}`, `Flink answered ${status} to ${path}: ${flinkMessage}`, {
      hint: status >= 500 ? 'See the JobManager log (`pitlane dev logs flink-jobmanager`, or your cluster\'s) for the whole stack trace.' : 'The request was refused as sent; the message says which part.',
      data: { status, path },
    });
  }
}

/**
 * The readable part of a Flink error answer: Flink puts the exception and its whole
 * stack trace in one string. The deepest "Caused by:" is usually what a person needs
 * (a missing class, a state that cannot be restored); the first line says where.
 */
export function flinkMessage(errors: readonly string[]): string {
  const text = errors.join('\n');
  const causes = [...text.matchAll(/Caused by: ([^\n]+)/g)].map((m) => m[1]!.trim());
  const first = text.split('\n').find((l) => l.trim() !== '' && !/^\s*at /.test(l))?.trim() ?? '';
  const deepest = causes.at(-1);
  const line = deepest && !first.includes(deepest) ? `${first} — caused by ${deepest}` : first;
  return line.length > 1500 ? `${line.slice(0, 1500)}…` : line;
}

function unreachable(url: string, toleranceMs: number, cause: unknown): EngineError {
  return new EngineError('FLINK_UNREACHABLE', `The Flink cluster at ${url} did not answer for ${Math.round(toleranceMs / 1000)} s (${describeUnknown(cause)}).`, {
    retriable: true,
    hint: 'Start the local one with `pitlane dev up --flink`, or point pitlane at yours with --flink-rest URL / FLINK_REST_URL; check that its JobManager runs.',
    cause,
  });
}

export class FlinkRest {
  readonly url: string;
  private readonly toleranceMs: number;
  private readonly callTimeoutMs: number;

  constructor(o: FlinkRestOptions) {
    this.url = o.url.replace(/\/+$/, '');
    this.toleranceMs = o.outageToleranceMs ?? DEFAULT_OUTAGE_TOLERANCE_MS;
    this.callTimeoutMs = o.callTimeoutMs ?? 60_000;
  }

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  patch<T>(path: string): Promise<T> {
    return this.call<T>('PATCH', path);
  }

  delete<T>(path: string): Promise<T> {
    return this.call<T>('DELETE', path);
  }

  /** A multipart upload (POST /jars/upload). */
  upload<T>(path: string, form: FormData): Promise<T> {
    return this.call<T>('POST', path, form);
  }

  /**
   * One call, retried while the cluster cannot be reached or answers 503 (the
   * JobManager is starting or electing a leader), up to the outage tolerance.
   * Every mutating call the adapter makes carries its own id (job id, trigger id),
   * so a retry after a lost answer cannot act twice.
   */
  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const deadline = Date.now() + this.toleranceMs;
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        const init: RequestInit = { method, signal: AbortSignal.timeout(this.callTimeoutMs) };
        if (body instanceof FormData) init.body = body;
        else if (body !== undefined) {
          init.body = JSON.stringify(body);
          init.headers = { 'Content-Type': 'application/json' };
        }
        res = await fetch(`${this.url}${path}`, init);
      } catch (e) {
        const cause = e instanceof Error && e.cause !== undefined ? e.cause : e;
        if (Date.now() >= deadline) throw unreachable(this.url, this.toleranceMs, cause);
        await sleep(Math.min(2000, 100 * 2 ** attempt));
        continue;
      }
      const text = await res.text();
      if (res.ok) return (text === '' ? {} : JSON.parse(text)) as T;
      if (res.status === 503 && Date.now() < deadline) {
        await sleep(Math.min(2000, 100 * 2 ** attempt));
        continue;
      }
      let errors: string[] = [text];
      try {
        const parsed = JSON.parse(text) as { errors?: unknown };
        if (Array.isArray(parsed.errors)) errors = parsed.errors.map(String);
      } catch {
        /* not JSON: the text itself */
      }
      throw new FlinkHttpError(res.status, `${method} ${path}`, flinkMessage(errors));
    }
  }
}
