/**
 * Savepoints over REST: trigger with a trigger id (a repeated trigger id is answered
 * with the first operation), then poll the operation until it completes or fails.
 * A stop with a savepoint is the same operation on /stop. Disposal is Flink's own
 * (`/savepoint-disposal`): the cluster deletes what it wrote, wherever it wrote it.
 */
import { sleep } from '../../clock.ts';
import { EngineError } from '../../errors.ts';
import { flinkMessage, type FlinkRest } from './rest.ts';
import { hintFor, runsOf } from './jobs.ts';

interface Operation {
  readonly status: { readonly id: 'IN_PROGRESS' | 'COMPLETED' };
  readonly operation?: { readonly location?: string; readonly 'failure-cause'?: { readonly 'stack-trace'?: string; readonly class?: string } };
}

export interface SavepointCall {
  readonly jid: string;
  readonly triggerId: string;
  /** Where the savepoint goes; the cluster's execution.checkpointing.savepoint-dir when absent. */
  readonly targetDir?: string;
  /** Stop the job with this savepoint; `drain` first fires every timer and window (a decommission). */
  readonly stop?: { readonly drain: boolean };
  readonly timeoutMs: number;
  /** The operation was triggered before (by a process that died): only wait for it. */
  readonly triggered?: boolean;
}

/**
 * The latest run of a job (JobID prefix) if it was stopped by the operation `triggerId`
 * — a stop made by a caller that was killed before it kept the outcome. Flink keeps a
 * finished operation for rest.async.operation.store-duration (5 minutes by default).
 */
export async function runStoppedBy(rest: FlinkRest, prefix: string, triggerId: string): Promise<string | undefined> {
  const [last] = await runsOf(rest, prefix);
  if (!last) return undefined;
  return rest.get<Operation>(`/jobs/${last.jid}/savepoints/${triggerId}`).then(
    () => last.jid,
    () => undefined,
  );
}

/** Triggers (or finds, by trigger id) the savepoint and waits for its location. */
export async function takeSavepoint(rest: FlinkRest, c: SavepointCall): Promise<string> {
  if (c.triggered) {
    // Waited for below.
  } else if (c.stop) {
    await rest.post(`/jobs/${c.jid}/stop`, { drain: c.stop.drain, triggerId: c.triggerId, ...(c.targetDir ? { targetDirectory: c.targetDir } : {}) });
  } else {
    await rest.post(`/jobs/${c.jid}/savepoints`, { 'cancel-job': false, triggerId: c.triggerId, ...(c.targetDir ? { 'target-directory': c.targetDir } : {}) });
  }
  const what = c.stop ? 'stop with savepoint' : 'savepoint';
  const deadline = Date.now() + c.timeoutMs;
  for (let i = 0; ; i++) {
    const op = await rest.get<Operation>(`/jobs/${c.jid}/savepoints/${c.triggerId}`);
    if (op.status.id === 'COMPLETED') {
      const location = op.operation?.location;
      if (location) return location;
      const trace = op.operation?.['failure-cause']?.['stack-trace'] ?? op.operation?.['failure-cause']?.class ?? 'no cause given';
      const cause = flinkMessage([trace]);
      throw new EngineError('FLINK_SAVEPOINT_FAILED', `The ${what} of Flink job ${c.jid} failed: ${cause}`, {
        retriable: !/not found|not running|FlinkJobNotFound/i.test(cause),
        hint: /not running|FlinkJobNotFound|not found/i.test(cause) ? 'The job is not running: see `pitlane flink status`.' : hintFor(cause),
        data: { flinkJobId: c.jid, triggerId: c.triggerId },
      });
    }
    if (Date.now() > deadline) {
      throw new EngineError('FLINK_SAVEPOINT_TIMEOUT', `The ${what} of Flink job ${c.jid} had not completed after ${Math.round(c.timeoutMs / 1000)} s; it may still complete (trigger ${c.triggerId}).`, {
        retriable: true,
        hint: 'Repeat the same request (same request id) to wait for it again; a job whose checkpoints are slow (backpressure, large state) needs a longer timeout.',
        data: { flinkJobId: c.jid, triggerId: c.triggerId },
      });
    }
    await sleep(Math.min(1000, 100 + 50 * i));
  }
}

interface DisposalOperation {
  readonly status: { readonly id: 'IN_PROGRESS' | 'COMPLETED' };
  readonly operation?: { readonly 'failure-cause'?: { readonly 'stack-trace'?: string; readonly class?: string } };
}

/** Disposes of a savepoint through the cluster and waits for it; one that is already gone is a no-op. */
export async function disposeFlinkSavepoint(rest: FlinkRest, location: string, timeoutMs: number): Promise<void> {
  const { 'request-id': id } = await rest.post<{ readonly 'request-id': string }>('/savepoint-disposal', { 'savepoint-path': location });
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; ; i++) {
    const op = await rest.get<DisposalOperation>(`/savepoint-disposal/${id}`);
    if (op.status.id === 'COMPLETED') {
      const failure = op.operation?.['failure-cause'];
      if (!failure) return;
      const cause = flinkMessage([failure['stack-trace'] ?? failure.class ?? 'no cause given']);
      if (/FileNotFoundException|Cannot find checkpoint or savepoint/i.test(cause)) return;
      throw new EngineError('FLINK_DISPOSE_FAILED', `Flink could not dispose of the savepoint ${location}: ${cause}`, { hint: hintFor(cause), data: { location } });
    }
    if (Date.now() > deadline) {
      throw new EngineError('FLINK_DISPOSE_TIMEOUT', `Flink had not disposed of the savepoint ${location} after ${Math.round(timeoutMs / 1000)} s.`, { retriable: true, hint: 'Dispose of it again: a savepoint that is already gone is a no-op.', data: { location } });
    }
    await sleep(Math.min(1000, 100 + 50 * i));
  }
}
