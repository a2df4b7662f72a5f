/**
 * `pitlane run <job.ts>`: runs a job on the embedded engine until stopped, optionally
 * restored from a savepoint, with periodic checkpoints and exactly-once output, and
 * reachable by name on the local control channel (status, savepoint, stop). The job
 * runs in this process in the standalone job host (engines/embedded/host/standalone.ts);
 * this file parses the flags and prints. SIGINT/SIGTERM stop it cleanly (final commit
 * point, producer closed).
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { secondsFlag, UsageError } from '../usage.ts';
import { formatStatus, type DeliveryMode } from '../../engine/index.ts';
import { defaultJobsDir } from '../../engines/embedded/control/job-directory.ts';
import { loadJobModule } from '../../engines/embedded/host/load-job.ts';
import { startStandaloneHost } from '../../engines/embedded/host/standalone.ts';
import type { CliContext } from '../context.ts';
import { parseDuration, parseCount } from './run-options.ts';
import { DEFAULT_SAVEPOINT_BASE, savepointPath } from './savepoint-path.ts';

type Run = (fn: (ctx: CliContext) => Promise<number | void>) => Promise<void>;

interface RunFlags {
  name?: string;
  parallelism?: string;
  param: string[];
  statusInterval?: string;
  dlqTopic?: string;
  fromSavepoint?: string;
  allowNonRestoredState?: boolean;
  newPartitions: string;
  checkpointDir?: string;
  checkpointInterval: string;
  checkpointsRetained: string;
  delivery?: string;
  savepointDir: string;
  json?: boolean;
}

function parseParams(list: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of list) {
    const i = p.indexOf('=');
    if (i <= 0) throw new UsageError('RUN_BAD_PARAM', `--param ${JSON.stringify(p)} is not name=value.`, { hint: 'Write --param input=my-topic.' });
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}

function validated(o: RunFlags): { parallelism?: number; delivery: DeliveryMode | undefined; intervalMs: number; retained: number } {
  const parallelism = o.parallelism === undefined ? undefined : parseCount('--parallelism', o.parallelism);
  if (o.delivery !== undefined && o.delivery !== 'exactly-once' && o.delivery !== 'at-least-once') {
    throw new UsageError('RUN_BAD_DELIVERY', `--delivery must be exactly-once or at-least-once, not "${o.delivery}".`);
  }
  const delivery = o.delivery as DeliveryMode | undefined;
  if (delivery === 'exactly-once' && o.checkpointDir === undefined) {
    throw new UsageError('RUN_EXACTLY_ONCE_NEEDS_CHECKPOINTS', 'Exactly-once output commits at checkpoints, so it needs --checkpoint-dir.', { hint: 'Add --checkpoint-dir DIR (and optionally --checkpoint-interval 10s).' });
  }
  if (o.newPartitions !== 'earliest' && o.newPartitions !== 'latest') throw new UsageError('RUN_BAD_POSITION', `--new-partitions must be earliest or latest, not "${o.newPartitions}".`);
  return { ...(parallelism !== undefined ? { parallelism } : {}), delivery, intervalMs: parseDuration('--checkpoint-interval', o.checkpointInterval), retained: parseCount('--checkpoints-retained', o.checkpointsRetained) };
}

export function registerRun(program: Command, run: Run): void {
  program
    .command('run')
    .description('run a job on the embedded engine until stopped (SIGINT/SIGTERM or `pitlane stop NAME`)')
    .argument('<job>', 'job module (TypeScript) that default-exports defineJob({...})')
    .option('--name <name>', 'name on the control channel (default: the job name); checkpoint groups and transactional ids derive from it')
    .option('--parallelism <n>', 'logical subtasks per keyed operator (default: as saved, else 1)')
    .option('--param <name=value>', 'job parameter (repeatable), read with env.param(name)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--from-savepoint <dir>', 'start from this savepoint: keyed state, timers, source offsets, watermarks')
    .option('--allow-non-restored-state', 'drop saved state the job has no operator or state for, instead of refusing')
    .option('--new-partitions <position>', 'where input partitions new since the savepoint start: earliest or latest', 'earliest')
    .option('--checkpoint-dir <dir>', 'take periodic checkpoints here; restarting the same command resumes from the latest committed one')
    .option('--checkpoint-interval <duration>', 'time between checkpoints, e.g. 10s, 500ms', '10s')
    .option('--checkpoints-retained <n>', 'committed checkpoints to keep', '3')
    .option('--delivery <mode>', 'exactly-once (transactions committed at checkpoints; the default with --checkpoint-dir) or at-least-once')
    .option('--savepoint-dir <dir>', 'where `pitlane savepoint trigger NAME` writes when it names no directory', DEFAULT_SAVEPOINT_BASE)
    .option('--status-interval <seconds>', 'print the job status every N seconds')
    .option('--dlq-topic <topic>', "dead-letter topic (default: the job's, else <name>.dlq)")
    .option('--json', 'status lines as JSON')
    .action((file: string, o: RunFlags) =>
      run(async (ctx) => {
        const flags = validated(o);
        const seconds = o.statusInterval === undefined ? undefined : secondsFlag('--status-interval', o.statusInterval);
        const job = await loadJobModule(file);
        const name = o.name ?? job.name;
        const params = parseParams(o.param);
        const { kafka, registry } = ctx.kafka();
        const { host, job: running, parallelism, delivery } = await startStandaloneHost(
          {
            name,
            job,
            jobFile: resolve(file),
            params,
            parallelism: flags.parallelism,
            origin: o.fromSavepoint === undefined ? undefined : resolve(o.fromSavepoint),
            allowNonRestoredState: o.allowNonRestoredState === true,
            newPartitionStart: o.newPartitions as 'earliest' | 'latest',
            checkpoints: o.checkpointDir === undefined ? undefined : { dir: resolve(o.checkpointDir), intervalMs: flags.intervalMs, retained: flags.retained, delivery: flags.delivery ?? 'exactly-once' },
            deadLetterTopic: o.dlqTopic,
            savepointDir: resolve(o.savepointDir),
            newSavepointDir: () => savepointPath(o.savepointDir, name, Date.now()),
            jobsDir: defaultJobsDir(),
            report: (line) => process.stderr.write(`${line}\n`),
          },
          { kafka, registry, logger: ctx.logger },
        );

        const print = () => {
          const s = running.status();
          process.stdout.write(o.json ? `${JSON.stringify(s)}\n` : `${formatStatus(s)}\n`);
        };
        ctx.logger.info({ job: job.name, name, version: job.version, parallelism, delivery }, 'job running');
        process.stderr.write(`running ${name} (${job.name} v${job.version}, parallelism ${parallelism}, ${delivery}); Ctrl-C or \`pitlane stop ${name}\` stops it\n`);
        const timer = seconds && seconds > 0 ? setInterval(print, seconds * 1000) : undefined;
        const stop = () => void host.close();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        try {
          // Settles once the job has stopped (a signal, `pitlane stop`, or its end) and
          // its control channel has closed; a stop through the channel has answered first.
          await host.finished;
        } finally {
          if (timer) clearInterval(timer);
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
        }
        print();
      }),
    );
}
