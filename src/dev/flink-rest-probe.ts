/**
 * The one REST call the dev launcher makes of a Flink cluster: GET /overview, to see
 * that the JobManager answers and how many TaskManagers and slots it has. (The engine
 * adapter drives jobs; this only tells whether a cluster is there.)
 */
import { describeUnknown } from '../errors.ts';

export interface FlinkOverview {
  readonly taskmanagers: number;
  readonly slotsTotal: number;
  readonly slotsAvailable: number;
  readonly jobsRunning: number;
  readonly version: string;
}

export type OverviewAnswer = { readonly ok: true; readonly overview: FlinkOverview } | { readonly ok: false; readonly error: string };

/** Normalises a REST URL: no trailing slash; a bare host:port gets http://. */
export function normaliseRestUrl(url: string): string {
  const withScheme = /^[a-z]+:\/\//i.test(url) ? url : `http://${url}`;
  return withScheme.replace(/\/+$/, '');
}

export async function fetchOverview(restUrl: string, timeoutMs = 3000): Promise<OverviewAnswer> {
  try {
    const res = await fetch(`${normaliseRestUrl(restUrl)}/overview`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return { ok: false, error: `HTTP ${res.status}` };
    const o = (await res.json()) as Record<string, unknown>;
    const num = (k: string) => (typeof o[k] === 'number' ? (o[k] as number) : 0);
    return {
      ok: true,
      overview: {
        taskmanagers: num('taskmanagers'),
        slotsTotal: num('slots-total'),
        slotsAvailable: num('slots-available'),
        jobsRunning: num('jobs-running'),
        version: typeof o['flink-version'] === 'string' ? (o['flink-version'] as string) : 'unknown',
      },
    };
  } catch (e) {
    // fetch says only "fetch failed"; the reason (ECONNREFUSED, a timeout) is its cause.
    const cause = e instanceof Error && e.cause !== undefined ? ` (${describeUnknown(e.cause)})` : '';
    return { ok: false, error: `${describeUnknown(e)}${cause}` };
  }
}
