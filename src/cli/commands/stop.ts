/**
 * `pitlane stop <name> [--savepoint-dir D] [--drain]`: stops a running job through its
 * control channel. With --drain the job first advances every source's watermark to
 * +∞, so every event-time timer and window fires and its output is written (like
 * Flink's --drain); then the final commit point; then the savepoint; then it exits.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { PitlaneError } from '../../errors.ts';
import { callJob } from '../../engines/embedded/control/client.ts';
import { defaultJobsDir } from '../../engines/embedded/control/job-directory.ts';
import { emit } from '../output.ts';
import type { CliContext } from '../context.ts';
import { withOrchestrator } from './orchestrator-options.ts';
import { recordTaken } from './savepoint-trigger.ts';

type Run = (fn: (ctx: CliContext) => Promise<number | void>) => Promise<void>;

/** What a job answers to `stop`: `pitlane run` names the savepoint `path`, a job the orchestrator hosts `savepoint.location`. */
interface StopAnswer {
  readonly path?: string;
  readonly sourceOffsets?: unknown;
  readonly savepoint?: { readonly location?: string; readonly sourceOffsets?: unknown };
  readonly metrics?: unknown;
}

export function registerStop(program: Command, run: Run): void {
  program
    .command('stop')
    .description('stop a running job by name, optionally with a savepoint (and --drain to fire every pending window first)')
    .argument('<name>', 'the job name as `pitlane jobs` lists it')
    .option('--savepoint-dir <dir>', 'write a savepoint to this (new) directory after the last output is committed')
    .option('--drain', 'advance the watermark to +∞ first: every timer and window fires and is written')
    .option('--store <where>', 'where the savepoint history is: kafka[:TOPIC] or dir:PATH (default: $PITLANE_STORE or kafka:pitlane.deployments)')
    .option('--json', 'print the result as JSON')
    .action((name: string, o: { savepointDir?: string; drain?: boolean; store?: string; json?: boolean }) =>
      run(async (ctx) => {
        // `dir` too: jobs hosted by the canary orchestrator name the savepoint directory so.
        const dir = o.savepointDir ? resolve(o.savepointDir) : undefined;
        const answer = (await callJob(defaultJobsDir(), name, 'stop', { ...(dir ? { savepointDir: dir, dir } : {}), drain: o.drain === true })) as StopAnswer;
        const path = answer.path ?? answer.savepoint?.location;
        if (dir && !path) {
          throw new PitlaneError('STOP_NO_SAVEPOINT', `Job "${name}" stopped, but wrote no savepoint to ${dir}: it was already stopping (Ctrl-C, or another stop) when this request came.`, {
            hint: 'Restart it from its latest checkpoint (the same `pitlane run` command) and stop it again with --savepoint-dir.',
          });
        }
        if (path) await withOrchestrator(ctx, { store: o.store }, (orch) => recordTaken(orch, { job: name, path, completedAt: Date.now(), engine: 'embedded' }, 'stop'));
        const sourceOffsets = answer.sourceOffsets ?? answer.savepoint?.sourceOffsets;
        const result = {
          job: name,
          stopped: true,
          drained: o.drain === true,
          savepoint: path ?? null,
          ...(sourceOffsets !== undefined ? { sourceOffsets } : {}),
          ...(answer.metrics !== undefined ? { metrics: answer.metrics } : {}),
        };
        emit(result, o, () => (path ? `stopped ${name}; savepoint ${path}` : `stopped ${name}`));
      }),
    );
}
