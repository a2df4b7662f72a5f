import type { Command } from 'commander';
import { emit, table } from '../output.ts';
import type { CliContext } from '../context.ts';
import { defaultJobsDir, listEntries } from '../../engines/embedded/control/job-directory.ts';

type Run = (fn: (ctx: CliContext) => Promise<number | void>) => Promise<void>;

export function registerJobs(program: Command, run: Run): void {
  program
    .command('jobs')
    .description('list the jobs running on this machine (each reachable by name through its control socket)')
    .option('--json', 'print the result as JSON')
    .action((o: { json?: boolean }) =>
      run(async () => {
        const jobs = listEntries(defaultJobsDir());
        emit({ jobs }, o, () =>
          jobs.length === 0
            ? 'no jobs running'
            : table([
                ['NAME', 'VERSION', 'PID', 'STARTED', 'JOB FILE'],
                ...jobs.map((j) => [j.name, j.version, String(j.pid), j.startedAt, j.jobFile ?? '-']),
              ]),
        );
      }),
    );
}
