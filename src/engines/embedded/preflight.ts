/**
 * The embedded engine's preflight: runs the restore plan of a job module against
 * a savepoint (taken while the old job keeps running), so an incompatible upgrade
 * is found before anything is stopped.
 */
import { PitlaneError, RestoreIncompatibleError } from '../../errors.ts';
import { verifySavepoint, describeJob, planRestore, checkSavedValues } from '../../engine/index.ts';
import type { PreflightJob, PreflightReport } from '../adapter.ts';
import { loadJobModule } from './host/load-job.ts';

export async function preflightRestore(savepoint: string, job: PreflightJob): Promise<PreflightReport> {
  // Every data file is read and checked first: a damaged savepoint is refused here,
  // while the old job still runs, not by the restore of a cold handoff after it stopped.
  const verified = await verifySavepoint(savepoint);
  const damaged = verified.files.filter((f) => !f.ok).map((f) => `savepoint file ${f.path} (operator ${f.uid}) is damaged: ${f.problem ?? 'its check failed'}. Fix: take a new savepoint of the running job.`);
  if (damaged.length > 0) return { compatible: false, refusals: damaged, notes: [] };
  const meta = verified.metadata;
  const def = await loadJobModule(job.job);
  let plan;
  try {
    const description = describeJob(def, { ...(job.inputs ? { input: job.inputs.join(',') } : {}), ...(job.sinkTopic ? { output: job.sinkTopic } : {}) });
    plan = planRestore(meta, description, { allowNonRestoredState: job.allowNonRestoredState === true, ...(job.parallelism !== undefined ? { parallelism: job.parallelism } : {}) });
    // JSON state the savepoint has no schema for, but the new job has: its saved values are checked one by one.
    plan = await checkSavedValues(savepoint, plan, description);
  } catch (e) {
    if (e instanceof RestoreIncompatibleError || e instanceof PitlaneError) return { compatible: false, refusals: [e.message], notes: [] };
    throw e;
  }
  const notes = [
    ...plan.migrations.map((m) => `${m.uid}/${m.state}: state schema migrates (${JSON.stringify(m.from).slice(0, 60)} → ${JSON.stringify(m.to).slice(0, 60)})`),
    ...plan.unchecked.map((n) => `${n.uid}/${n.state}: unchecked (${n.reason})`),
    ...(plan.valuesChecked ?? []).map((n) => `${n.uid}/${n.state}: saved values checked (${n.reason})`),
    ...plan.startsEmpty.map((n) => `${n.uid}${n.state ? `/${n.state}` : ''}: starts empty (${n.reason})`),
    ...plan.dropped.map((n) => `${n.uid}${n.state ? `/${n.state}` : ''}: dropped (${n.reason})`),
    ...plan.assignments.filter((a) => a.parallelism !== a.savedParallelism).map((a) => `${a.uid}: rescaled ${a.savedParallelism} → ${a.parallelism}`),
  ];
  return { compatible: plan.compatible, refusals: plan.problems.map((p) => `${p.message} Fix: ${p.fix}`), notes };
}
