// Where a cold pit stop went, read from the job hosts' own logs (handoff benchmark).
import { existsSync, readFileSync } from 'node:fs';
import type { Deployment } from '../../src/orchestrator/lifecycle/model.ts';
import type { Ctx } from './context.ts';

/** The log lines of a job host (JSON lines), by message. */
function hostLog(c: Ctx, jobId: string, msg: string): Record<string, number> | undefined {
  const f = c.orch.engine.logFile(jobId);
  if (!existsSync(f)) return undefined;
  for (const line of readFileSync(f, 'utf8').split('\n').reverse()) {
    if (!line.includes(`"msg":"${msg}"`)) continue;
    try {
      return JSON.parse(line) as Record<string, number>;
    } catch {
      continue;
    }
  }
  return undefined;
}

/**
 * Where a cold pit stop went, from the hosts' logs. Inside the pit stop: the old
 * job's halt (settle and commit; then processing ends and the delta of the keys
 * changed since the base is encoded and written), the hand-over to the standby, its
 * start (read the delta; apply it and start the sources), and its first output (first
 * batch processed and sent, then committed). Outside it, before: the tracked base
 * savepoint of the old job and its restore into the standby; after: the old job's
 * full savepoint (kept for rollback). A run that fell back to the full savepoint has
 * `deltaApplied: 0` and the old breakdown's fields.
 */
export function coldBreakdown(c: Ctx, d: Deployment): Record<string, number> | undefined {
  const steps = d.promotion?.steps ?? [];
  const step = steps.find((s) => s.type === 'coldHandoff')?.result;
  const restore = steps.find((s) => s.type === 'restoreStandby')?.result;
  const prepared = steps.find((s) => s.type === 'prepareStandby')?.result;
  const halt = hostLog(c, d.jobs.authoritative, 'delta written');
  const old = hostLog(c, d.jobs.authoritative, 'job stopped');
  const run = hostLog(c, `${d.name}.promoted`, 'job host running');
  const first = hostLog(c, `${d.name}.promoted`, 'first output committed');
  const ahead = hostLog(c, `${d.name}.promoted`, 'base restored ahead');
  if (!step?.lastOutputAt || !old || !run || !first) return undefined;
  const outside = {
    baseSavepointAndPreRestore: (restore?.at ?? 0) - (prepared?.at ?? 0),
    preRestore: ahead?.restoreMs ?? Number.NaN,
    baseToStop: step.stoppedAt !== undefined && restore?.savepoint ? step.stoppedAt - restore.savepoint.completedAt : Number.NaN,
    deltaKeys: step.delta?.keys ?? 0,
    deltaApplied: step.delta?.applied ? 1 : 0,
    fullSavepointAfter: old.snapshotMs! + old.writeMs!,
    standby: step.standby ? 1 : 0,
  };
  if (halt && step.delta?.applied) {
    const deltaWritten = halt.haltedAt! + halt.settleMs! + halt.deltaMs!;
    return {
      lastOutputToHalt: halt.haltedAt! - step.lastOutputAt,
      settleAndCommit: halt.settleMs!,
      deltaWrite: halt.deltaMs!,
      handOver: run.activatedAt! - deltaWritten,
      readDelta: run.readMs!,
      applyAndStart: run.startJobMs!,
      firstOutputSent: first.sentAt! - (run.activatedAt! + run.readMs! + run.startJobMs!),
      commit: first.visibleAt! - first.sentAt!,
      ...outside,
    };
  }
  const stopBegan = old.stoppedAt! - old.settleMs! - old.snapshotMs! - old.writeMs!;
  return {
    lastOutputToHalt: stopBegan - step.lastOutputAt,
    settleAndCommit: old.settleMs!,
    snapshot: old.snapshotMs!,
    savepointWrite: old.writeMs!,
    handOver: run.activatedAt! - old.stoppedAt!,
    readDelta: run.readMs!,
    applyAndStart: run.startJobMs!,
    firstOutputSent: first.sentAt! - (run.activatedAt! + run.readMs! + run.startJobMs!),
    commit: first.visibleAt! - first.sentAt!,
    ...outside,
  };
}
