/**
 * Savepoints over REST: trigger with a trigger id (a repeated trigger id is answered
 * with the first operation), then poll the operation until it completes or fails.
 * A stop with a savepoint is the same operation on /stop.
 */
import { sleep } from '../../clock.ts';
import { EngineError } from '../../errors.ts';
import { flinkMessage, type FlinkRest } from './rest.ts';
import { hintFor } from './jobs.ts';

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
}

/** Triggers (or finds, by trigger id) the savepoint and waits for its location. */
export async function takeSavepoint(rest: FlinkRest, c: SavepointCall): Promise<string> {
  if (c.stop) {
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
