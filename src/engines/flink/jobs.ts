/**
 * What the cluster says about a pitlane job's runs: which Flink job is its current
 * run, its state in pitlane's words, and why it failed (Flink's root cause, from the
 * exception history). Read-only; the adapter acts on what these return.
 */
import { sleep } from '../../clock.ts';
import { EngineError } from '../../errors.ts';
import type { JobState } from '../adapter.ts';
import { FlinkHttpError, flinkMessage, type FlinkRest } from './rest.ts';

export type FlinkState =
  | 'INITIALIZING' | 'CREATED' | 'RUNNING' | 'FAILING' | 'FAILED' | 'CANCELLING' | 'CANCELED'
  | 'FINISHED' | 'RESTARTING' | 'SUSPENDED' | 'RECONCILING';

export interface FlinkRun {
  readonly jid: string;
  readonly name: string;
  readonly state: FlinkState;
  readonly 'start-time': number;
}

export interface FlinkVertex {
  readonly id: string;
  readonly name: string;
  readonly parallelism: number;
  readonly status: string;
}

export interface FlinkJobDetails extends FlinkRun {
  readonly vertices: readonly FlinkVertex[];
}

const TERMINAL: ReadonlySet<FlinkState> = new Set(['FAILED', 'CANCELED', 'FINISHED', 'SUSPENDED']);

export const isTerminal = (s: FlinkState): boolean => TERMINAL.has(s);

/** Every run of the cluster whose JobID starts with `prefix`, newest first. */
export async function runsOf(rest: FlinkRest, prefix: string): Promise<FlinkRun[]> {
  const { jobs } = await rest.get<{ jobs: FlinkRun[] }>('/jobs/overview');
  return jobs.filter((j) => j.jid.startsWith(prefix)).sort((a, b) => b['start-time'] - a['start-time']);
}

/** The job's details, or undefined when the cluster does not know the JobID. */
export async function details(rest: FlinkRest, jid: string): Promise<FlinkJobDetails | undefined> {
  try {
    return await rest.get<FlinkJobDetails>(`/jobs/${jid}`);
  } catch (e) {
    if (e instanceof FlinkHttpError && e.status === 404) return undefined;
    throw e;
  }
}

/** pitlane's state of a Flink job: RUNNING counts only once every task runs. */
export function stateOf(job: FlinkJobDetails): JobState {
  switch (job.state) {
    case 'RUNNING':
      return job.vertices.every((v) => v.status === 'RUNNING' || v.status === 'FINISHED') ? 'running' : 'starting';
    case 'INITIALIZING':
    case 'CREATED':
    case 'RECONCILING':
      return 'starting';
    case 'RESTARTING':
      // Failed, and restarted by its restart strategy from its latest checkpoint (the JobID stays).
      return 'restarting';
    case 'FAILING':
    case 'FAILED':
    case 'SUSPENDED':
      return 'failed';
    case 'CANCELLING':
      return 'stopping';
    case 'CANCELED':
      return 'cancelled';
    case 'FINISHED':
      return 'finished';
  }
}

interface ExceptionHistory {
  readonly exceptionHistory?: { readonly entries: readonly { readonly stacktrace: string; readonly timestamp?: number; readonly taskName?: string | null }[] };
  /** Flink 1.x only. */
  readonly 'root-exception'?: string | null;
}

/** Flink's latest failure of a job, in one readable line; undefined when it has none. */
export async function rootCause(rest: FlinkRest, jid: string): Promise<string | undefined> {
  const h = await rest.get<ExceptionHistory>(`/jobs/${jid}/exceptions?maxExceptions=1`).catch(() => undefined);
  const latest = h?.exceptionHistory?.entries[0];
  const trace = latest?.stacktrace ?? h?.['root-exception'] ?? undefined;
  if (!trace) return undefined;
  const where = latest?.taskName ? ` (in ${latest.taskName})` : '';
  return `${flinkMessage([trace])}${where}`;
}

/** Flink's latest failure of a job with when it happened (its exception history); undefined when it has none. */
export async function lastFailure(rest: FlinkRest, jid: string): Promise<{ at: number; reason: string } | undefined> {
  const h = await rest.get<ExceptionHistory>(`/jobs/${jid}/exceptions?maxExceptions=1`).catch(() => undefined);
  const latest = h?.exceptionHistory?.entries[0];
  if (!latest?.timestamp) return undefined;
  return { at: latest.timestamp, reason: `${flinkMessage([latest.stacktrace])}${latest.taskName ? ` (in ${latest.taskName})` : ''}` };
}

/** How often Flink has restarted the run (its job metric numRestarts); undefined when unknown. */
export async function restartsOf(rest: FlinkRest, jid: string): Promise<number | undefined> {
  const m = await rest.get<readonly { readonly id: string; readonly value: string }[]>(`/jobs/${jid}/metrics?get=numRestarts`).catch(() => undefined);
  const n = Number(m?.find((x) => x.id === 'numRestarts')?.value);
  return Number.isFinite(n) ? n : undefined;
}

/** The fix a person needs for a failure Flink describes, when there is a well-known one. */
export function hintFor(cause: string): string {
  if (/allowNonRestoredState|Cannot map checkpoint\/savepoint state/i.test(cause)) {
    return 'The savepoint holds state for an operator the new job does not have (a removed operator, or a changed uid). Give the operator its old uid back, or drop that state: allowNonRestoredState: true in the spec, --allow-non-restored-state on the command line.';
  }
  if (/ClassNotFoundException|Could not find class|entry class/i.test(cause)) return 'Check the entry class name against the jar (`jar tf JAR | grep Class`).';
  if (/UnknownTopicOrPartition|does not exist|Topic .* not present/i.test(cause)) return 'Create the input topic first (`pitlane topic create`), or fix its name in the job arguments.';
  if (/savepoint|checkpoint/i.test(cause) && /(FileNotFound|does not exist|Cannot access)/i.test(cause)) return 'The savepoint path does not exist on the cluster\'s file system; name one the JobManager can read.';
  if (/Failed to create savepoint directory|Permission denied|Read-only file system/i.test(cause)) return 'The JobManager and TaskManagers must be able to write the savepoint directory; name one on a file system they share (or leave it out for the cluster\'s execution.checkpointing.savepoint-dir).';
  return 'See the JobManager and TaskManager logs for the whole stack trace (`pitlane dev logs flink-jobmanager`).';
}

/**
 * Flink names an operator it cannot map by its id (a hash of the uid). The runs the
 * cluster still lists know which vertex had that id: say its name beside the hash,
 * so a person sees which operator of the old job lost its place.
 */
export async function nameOperators(rest: FlinkRest, cause: string): Promise<string> {
  const ids = [...new Set([...cause.matchAll(/operator ([0-9a-f]{32})/g)].map((m) => m[1]!))];
  if (ids.length === 0) return cause;
  const names = new Map<string, string>();
  const { jobs } = await rest.get<{ jobs: FlinkRun[] }>('/jobs/overview').catch(() => ({ jobs: [] as FlinkRun[] }));
  for (const run of jobs.sort((a, b) => b['start-time'] - a['start-time']).slice(0, 30)) {
    if (ids.every((id) => names.has(id))) break;
    const job = await details(rest, run.jid).catch(() => undefined);
    for (const v of job?.vertices ?? []) if (ids.includes(v.id) && !names.has(v.id)) names.set(v.id, `"${v.name}" of ${run.name} (${run.jid})`);
  }
  return cause.replace(/operator ([0-9a-f]{32})/g, (whole, id: string) => (names.has(id) ? `${whole} — the vertex ${names.get(id)} —` : whole));
}

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly intervalMs?: number;
}

/**
 * Waits until every task of the run is RUNNING. A run that fails, or records a
 * failure and restarts, before it ever ran is reported with Flink's cause (the
 * caller cancels it: nothing is left running after a failed start).
 */
export async function waitRunning(rest: FlinkRest, jid: string, what: string, o: WaitOptions): Promise<FlinkJobDetails> {
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    const job = await details(rest, jid);
    if (job) {
      const state = stateOf(job);
      if (state === 'running' || state === 'finished') return job;
      if (state === 'failed' || state === 'cancelled' || job.state === 'RESTARTING') {
        const cause = await nameOperators(rest, (await rootCause(rest, jid)) ?? `the job is ${job.state}`);
        throw new EngineError('FLINK_JOB_FAILED', `${what} did not start on Flink (job ${jid} is ${job.state}): ${cause}`, { hint: hintFor(cause), data: { flinkJobId: jid, state: job.state } });
      }
    }
    if (Date.now() > deadline) {
      throw new EngineError('FLINK_START_TIMEOUT', `${what} was submitted to Flink as job ${jid} but its tasks were not all running after ${Math.round(o.timeoutMs / 1000)} s (${job?.state ?? 'not listed'}).`, {
        retriable: true,
        hint: 'The cluster may lack free task slots for this parallelism: see `pitlane dev status` (slots) or the Flink web UI; lower the parallelism or add TaskManagers.',
        data: { flinkJobId: jid },
      });
    }
    await sleep(o.intervalMs ?? 250);
  }
}

/**
 * The run's state as the dispatcher has it now (GET /jobs/:jid/status), or undefined
 * when the cluster does not know the JobID. The job's details (GET /jobs/:jid) come
 * from the REST endpoint's cache of execution graphs, refreshed every
 * `web.refresh-interval` (3 s by default): a run that has just ended still shows
 * RUNNING there for up to that long.
 */
export async function currentState(rest: FlinkRest, jid: string): Promise<FlinkState | undefined> {
  try {
    return (await rest.get<{ status: FlinkState }>(`/jobs/${jid}/status`)).status;
  } catch (e) {
    // An unknown JobID is a 500 there (FlinkJobNotFoundException), and a Flink before 1.17 has no such call: the details say.
    if (e instanceof FlinkHttpError) return (await details(rest, jid))?.state;
    throw e;
  }
}

/** Waits until the run is in a terminal state; returns it. */
export async function waitTerminal(rest: FlinkRest, jid: string, o: WaitOptions): Promise<FlinkState> {
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    const state = await currentState(rest, jid);
    if (!state || isTerminal(state)) return state ?? 'CANCELED';
    if (Date.now() > deadline) throw new EngineError('FLINK_STOP_TIMEOUT', `Flink job ${jid} was still ${state} after ${Math.round(o.timeoutMs / 1000)} s.`, { retriable: true, hint: 'Look at the job in the Flink web UI; cancel it with `pitlane flink cancel`.' });
    await sleep(o.intervalMs ?? 250);
  }
}
