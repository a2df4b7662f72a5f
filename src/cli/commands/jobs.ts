import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { emit, table } from '../output.ts';
import type { CliContext } from '../context.ts';
import { defaultJobsDir, listEntries } from '../../engines/embedded/control/job-directory.ts';
import { defaultStateDir } from '../../orchestrator/state-dir.ts';

type Run = (fn: (ctx: CliContext) => Promise<number | void>) => Promise<void>;

export function registerJobs(program: Command, run: Run): void {
  program
    .command('jobs')
    .description('list the jobs running on this machine: `pitlane run` jobs and the jobs the orchestrator manages (`canary launch`, candidates)')
    .option('--state-dir <dir>', "the orchestrator's state directory, whose managed jobs are listed too (default: $PITLANE_STATE_DIR or ~/.local/state/pitlane/orchestrator)")
    .option('--json', 'print the result as JSON')
    .action((o: { stateDir?: string; json?: boolean }) =>
      run(async () => {
        // `pitlane run` announces its jobs in the jobs directory; the orchestrator's job
        // hosts announce themselves in its state directory (HostSupervisor's `jobs`).
        const managedDir = join(resolve(o.stateDir ?? defaultStateDir()), 'jobs');
        const standalone = listEntries(defaultJobsDir()).map((j) => ({ ...j, kind: 'run' as const }));
        const managed = (resolve(defaultJobsDir()) === managedDir ? [] : listEntries(managedDir)).map((j) => ({ ...j, kind: 'managed' as const }));
        const jobs = [...standalone, ...managed];
        emit({ jobs }, o, () =>
          jobs.length === 0
            ? 'no jobs running'
            : table([
                ['NAME', 'VERSION', 'PID', 'STARTED', 'KIND', 'JOB FILE'],
                ...jobs.map((j) => [j.name, j.version, String(j.pid), j.startedAt, j.kind, j.jobFile ?? '-']),
              ]),
        );
      }),
    );
}
