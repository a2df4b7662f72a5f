// Where a Flink pit stop went (handoff benchmark), for pitlane's cold handoff and for the
// upgrade by hand alike, read from the cluster's own records of both runs over REST — the
// same instrument on both sides: the old run's stop-with-savepoint (its checkpoint
// history), when it FINISHED; the new run's INITIALIZING (Flink received the job graph),
// its tasks' DEPLOYING, INITIALIZING (state restore) and RUNNING (per subtask); and the
// output's commit markers (the caller's last and first output). Every time is ms after
// the stop was triggered.

interface Checkpoint {
  readonly id: number;
  readonly is_savepoint: boolean;
  readonly trigger_timestamp: number;
  readonly end_to_end_duration: number;
}

interface SubtaskTimes {
  readonly subtasks: readonly { readonly timestamps: Readonly<Record<string, number>> }[];
}

async function get<T>(rest: string, path: string): Promise<T> {
  const res = await fetch(`${rest}${path}`);
  if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

/** The tasks of a run: when the first was deploying and restoring, and when the last was running. */
async function taskTimes(rest: string, jid: string): Promise<{ deploying: number; initializing: number; running: number }> {
  const job = await get<{ vertices: { id: string }[] }>(rest, `/jobs/${jid}`);
  const all = (await Promise.all(job.vertices.map((v) => get<SubtaskTimes>(rest, `/jobs/${jid}/vertices/${v.id}/subtasktimes`)))).flatMap((v) => v.subtasks.map((s) => s.timestamps));
  const at = (state: string, pick: (xs: number[]) => number) => pick(all.map((t) => t[state] ?? Number.NaN).filter((x) => x > 0));
  return { deploying: at('DEPLOYING', (xs) => Math.min(...xs)), initializing: at('INITIALIZING', (xs) => Math.min(...xs)), running: at('RUNNING', (xs) => Math.max(...xs)) };
}

export interface FlinkBreakdown {
  /** The stop-with-savepoint's savepoint complete (Flink's checkpoint statistics). */
  readonly savepointDone: number;
  /** The old run's last output visible (its final transaction committed). */
  readonly lastOutput: number;
  /** The old run FINISHED. */
  readonly oldFinished: number;
  /** The new job's start asked of pitlane's adapter (its stop done), when known. */
  readonly startAsked: number;
  /** The run request sent (by pitlane's adapter, or by hand), when known. */
  readonly submitSent: number;
  /** Flink received the new job graph (the run's INITIALIZING; the JobManager ran the jar's main before). */
  readonly newSubmitted: number;
  /** Its first task deploying (slots allocated). */
  readonly tasksDeploying: number;
  /** Its first task restoring state (INITIALIZING). */
  readonly tasksRestoring: number;
  /** Its last task RUNNING. */
  readonly allRunning: number;
  /** Its first output visible (the first commit after its start). */
  readonly firstOutput: number;
  /** firstOutput − lastOutput: the pit stop. */
  readonly pitStop: number;
}

/** Where the pit stop from `oldJid` to `newJid` went; `submitSentAt` is the client's own record of its run request. */
export async function flinkBreakdown(rest: string, o: { oldJid: string; newJid: string; lastOutputAt: number; firstOutputAt: number; startAskedAt?: number; submitSentAt?: number }): Promise<FlinkBreakdown> {
  const history = (await get<{ history: Checkpoint[] }>(rest, `/jobs/${o.oldJid}/checkpoints`)).history.filter((c) => c.is_savepoint).sort((a, b) => b.id - a.id);
  const stop = history[0];
  if (!stop) throw new Error(`no savepoint in the checkpoint history of ${o.oldJid}`);
  const t0 = stop.trigger_timestamp;
  const old = await get<{ timestamps: Record<string, number> }>(rest, `/jobs/${o.oldJid}`);
  const next = await get<{ timestamps: Record<string, number> }>(rest, `/jobs/${o.newJid}`);
  const tasks = await taskTimes(rest, o.newJid);
  return {
    savepointDone: stop.end_to_end_duration,
    lastOutput: o.lastOutputAt - t0,
    oldFinished: (old.timestamps.FINISHED ?? Number.NaN) - t0,
    startAsked: (o.startAskedAt ?? Number.NaN) - t0,
    submitSent: (o.submitSentAt ?? Number.NaN) - t0,
    newSubmitted: (next.timestamps.INITIALIZING ?? Number.NaN) - t0,
    tasksDeploying: tasks.deploying - t0,
    tasksRestoring: tasks.initializing - t0,
    allRunning: tasks.running - t0,
    firstOutput: o.firstOutputAt - t0,
    pitStop: o.firstOutputAt - o.lastOutputAt,
  };
}

/** One line: each moment after the stop's trigger, in order. */
export function breakdownLine(b: FlinkBreakdown): string {
  const f = (x: number) => (Number.isFinite(x) ? `${Math.round(x)}` : '-');
  return [
    `savepoint ${f(b.savepointDone)}`,
    `last output ${f(b.lastOutput)}`,
    `v1 FINISHED ${f(b.oldFinished)}`,
    `start asked ${f(b.startAsked)}`,
    `run sent ${f(b.submitSent)}`,
    `job received ${f(b.newSubmitted)}`,
    `deploying ${f(b.tasksDeploying)}`,
    `restoring ${f(b.tasksRestoring)}`,
    `all RUNNING ${f(b.allRunning)}`,
    `first output ${f(b.firstOutput)}`,
  ].join(' → ') + ` ms after the stop was triggered (pit stop ${f(b.pitStop)} ms)`;
}
