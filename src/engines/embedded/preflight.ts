/**
 * The embedded engine's preflight: runs the restore plan of a job module against
 * a savepoint (taken while the old job keeps running), so an incompatible upgrade
 * is found before anything is stopped.
 */
import { PitlaneError, RestoreIncompatibleError } from '../../errors.ts';
import { readSavepointMetadata, describeJob, planRestore } from '../../engine/index.ts';
import type { PreflightJob, PreflightReport } from '../adapter.ts';
import { loadJobModule } from './host/load-job.ts';

export async function preflightRestore(savepoint: string, job: PreflightJob): Promise<PreflightReport> {
  const meta = await readSavepointMetadata(savepoint);
  const def = await loadJobModule(job.job);
  let plan;
  try {
    plan = planRestore(meta, describeJob(def, { ...(job.inputs ? { input: job.inputs.join(',') } : {}), ...(job.sinkTopic ? { output: job.sinkTopic } : {}) }), { allowNonRestoredState: job.allowNonRestoredState === true, ...(job.parallelism !== undefined ? { parallelism: job.parallelism } : {}) });
  } catch (e) {
    if (e instanceof RestoreIncompatibleError || e instanceof PitlaneError) return { compatible: false, refusals: [e.message], notes: [] };
    throw e;
  }
  const notes = [
    ...plan.migrations.map((m) => `${m.uid}/${m.state}: state schema migrates (${JSON.stringify(m.from).slice(0, 60)} → ${JSON.stringify(m.to).slice(0, 60)})`),
    ...plan.startsEmpty.map((n) => `${n.uid}${n.state ? `/${n.state}` : ''}: starts empty (${n.reason})`),
    ...plan.dropped.map((n) => `${n.uid}${n.state ? `/${n.state}` : ''}: dropped (${n.reason})`),
    ...plan.assignments.filter((a) => a.parallelism !== a.savedParallelism).map((a) => `${a.uid}: rescaled ${a.savedParallelism} → ${a.parallelism}`),
  ];
  return { compatible: plan.compatible, refusals: plan.problems.map((p) => `${p.message} Fix: ${p.fix}`), notes };
}
