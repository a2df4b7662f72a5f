// The processes a handoff run starts besides its broker: one detached job host per
// job (v1, the candidate, the standby or promoted job, the restarted peer) and one
// shadow supervisor per deployment. At a run's normal end each is cancelled or
// stopped through the orchestrator; when the bench is interrupted they are stopped
// here by their pids, found where the orchestrator records them.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isOurProcess, stopPid } from '../../src/process/index.ts';
import { listEntries } from '../../src/engines/embedded/control/job-directory.ts';
import type { Orchestrator } from '../../src/orchestrator/create.ts';

/** Stops every job host and shadow supervisor of `orch` by pid (SIGTERM, then SIGKILL); the run's directory `work` is deleted as the process exits. */
export async function stopHandoffProcesses(orch: Orchestrator, work: string): Promise<void> {
  const hosts = listEntries(orch.engine.jobsDir).filter((e) => isOurProcess(e.pid, 'host-main')).map((e) => e.pid);
  const deployments = join(orch.stateDir, 'deployments');
  const names = existsSync(deployments) ? readdirSync(deployments) : [];
  const supervisors = names.map((n) => orch.analysis.pidOf(n)).filter((pid): pid is number => pid !== undefined && isOurProcess(pid, 'supervisor-main'));
  await Promise.all([...hosts, ...supervisors].map((pid) => stopPid(pid, 5000)));
  // The bench's own code may write into `work` until the process exits (the store): delete it then.
  process.once('exit', () => rmSync(work, { recursive: true, force: true }));
}
