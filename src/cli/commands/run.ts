/**
 * `pitlane run <job.ts>`: runs a job on the embedded engine until stopped, optionally
 * restored from a savepoint, with periodic checkpoints and exactly-once output, and
 * reachable by name on the local control channel (status, savepoint, stop).
 * SIGINT/SIGTERM stop it cleanly (final commit point, producer closed).
 */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { ConfigError, describeUnknown } from '../../errors.ts';
import { formatStatus, isJobDefinition, startJob, type JobDefinition } from '../../engine/index.ts';
import { describeJob } from '../../engine/api/job.ts';
import type { JobSnapshot } from '../../engine/snapshot/model.ts';
import { prepareRestore, type PreparedRestore } from '../../engine/runtime/restore-source.ts';
import { recoverCheckpoints, type Delivery, type Recovery } from '../../engine/checkpoint/coordinator.ts';
import { writeSavepoint } from '../../engine/savepoint/write.ts';
import { assertNameFree, startControlServer } from '../../engines/embedded/control/server.ts';
import { defaultJobsDir } from '../../engines/embedded/control/job-directory.ts';
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

export async function loadJob(file: string): Promise<JobDefinition> {
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(resolve(file)).href)) as { default?: unknown };
  } catch (e) {
    throw new ConfigError('RUN_JOB_NOT_LOADED', `Could not load job module ${file}: ${describeUnknown(e)}`, { hint: 'Check the path; the module must be TypeScript or JavaScript that default-exports defineJob({...}).', cause: e });
  }
  if (!isJobDefinition(mod.default)) {
    throw new ConfigError('RUN_NOT_A_JOB', `${file} does not default-export a job.`, { hint: 'End the module with `export default defineJob({ name, version, maxParallelism, build(env) { ... } })`.' });
  }
  return mod.default;
}

function parseParams(list: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of list) {
    const i = p.indexOf('=');
    if (i <= 0) throw new ConfigError('RUN_BAD_PARAM', `--param ${JSON.stringify(p)} is not name=value.`, { hint: 'Write --param input=my-topic.' });
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}

async function saveTo(dir: string, snap: JobSnapshot): Promise<{ path: string; bytes: number; sourceOffsets: JobSnapshot['sourceOffsets'] }> {
  const written = await writeSavepoint(dir, { ...snap, type: 'savepoint' });
  return { path: written.dir, bytes: written.bytes, sourceOffsets: snap.sourceOffsets };
}

function validated(o: RunFlags): { parallelism?: number; delivery: Delivery | undefined; intervalMs: number; retained: number } {
  const parallelism = o.parallelism === undefined ? undefined : parseCount('--parallelism', o.parallelism);
  if (o.delivery !== undefined && o.delivery !== 'exactly-once' && o.delivery !== 'at-least-once') {
    throw new ConfigError('RUN_BAD_DELIVERY', `--delivery must be exactly-once or at-least-once, not "${o.delivery}".`);
  }
  const delivery = o.delivery as Delivery | undefined;
  if (delivery === 'exactly-once' && o.checkpointDir === undefined) {
    throw new ConfigError('RUN_EXACTLY_ONCE_NEEDS_CHECKPOINTS', 'Exactly-once output commits at checkpoints, so it needs --checkpoint-dir.', { hint: 'Add --checkpoint-dir DIR (and optionally --checkpoint-interval 10s).' });
  }
  if (o.newPartitions !== 'earliest' && o.newPartitions !== 'latest') throw new ConfigError('RUN_BAD_POSITION', `--new-partitions must be earliest or latest, not "${o.newPartitions}".`);
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
        const job = await loadJob(file);
        const name = o.name ?? job.name;
        const params = parseParams(o.param);
        const { kafka, registry } = ctx.kafka();
        const description = describeJob(job, params);
        const origin = o.fromSavepoint === undefined ? undefined : resolve(o.fromSavepoint);
        const jobsDir = defaultJobsDir();
        // Before anything opens the transactional id pitlane.<name>: that would fence a job running under this name.
        assertNameFree(jobsDir, name);

        let recovery: Recovery | undefined;
        if (o.checkpointDir !== undefined) {
          recovery = await recoverCheckpoints(
            kafka,
            {
              name,
              dir: resolve(o.checkpointDir),
              intervalMs: flags.intervalMs,
              retained: flags.retained,
              delivery: flags.delivery ?? 'exactly-once',
              ...(description.inputTopics[0] !== undefined ? { anchorTopic: description.inputTopics[0] } : {}),
              ...(origin ? { origin } : {}),
            },
            ctx.logger,
          );
        }
        let prepared: PreparedRestore | undefined;
        try {
          // The lineage's latest committed checkpoint wins over the savepoint it started from (as after a failover).
          const from = recovery?.restoreFrom?.path ?? origin;
          if (from !== undefined) {
            prepared = await prepareRestore(job, kafka, {
              dir: from,
              params,
              ...(flags.parallelism !== undefined ? { parallelism: flags.parallelism } : {}),
              allowNonRestoredState: o.allowNonRestoredState === true,
              newPartitionStart: o.newPartitions as 'earliest' | 'latest',
            });
            for (const d of prepared.plan.dropped) process.stderr.write(`dropped state: ${d.uid}${d.state ? `/${d.state}` : ''} (${d.reason})\n`);
            for (const e of prepared.plan.startsEmpty) process.stderr.write(`starts empty: ${e.uid}${e.state ? `/${e.state}` : ''} (${e.reason})\n`);
            process.stderr.write(`restoring ${name} from ${from}\n`);
          }
        } catch (e) {
          await recovery?.output.abort();
          throw e;
        }
        const parallelism = flags.parallelism ?? prepared?.parallelism ?? 1;
        const running = await startJob(job, { kafka, registry, logger: ctx.logger }, {
          parallelism,
          params,
          ...(o.dlqTopic ? { deadLetterTopic: o.dlqTopic } : {}),
          ...(prepared ? { restore: prepared.snapshot } : {}),
          ...(recovery ? { output: recovery.output, commitHooks: recovery.hooks, checkpointIntervalMs: flags.intervalMs } : {}),
        }).catch(async (e: unknown) => {
          await recovery?.output.abort();
          throw e;
        });

        let stopRequest: Promise<unknown> | undefined;
        // The socket is bound before the directory entry is written, so the directory must exist first.
        await mkdir(jobsDir, { recursive: true });
        const control = await startControlServer({
          dir: jobsDir,
          name,
          version: job.version,
          jobFile: resolve(file),
          savepointDir: resolve(o.savepointDir),
          handlers: {
            status: () => Promise.resolve(running.status()),
            savepoint: async (body) => saveTo(typeof body.dir === 'string' ? resolve(body.dir) : savepointPath(o.savepointDir, name, Date.now()), await running.snapshot('savepoint')),
            stop: (body) => {
              const named = body.savepointDir ?? body.dir;
              const dir = typeof named === 'string' ? resolve(named) : undefined;
              stopRequest ??= (async () => {
                const last = await running.stop({ drain: body.drain === true, snapshot: dir !== undefined });
                return dir && last ? await saveTo(dir, last) : { stopped: name };
              })();
              return stopRequest;
            },
          },
        }).catch(async (e: unknown) => {
          await running.stop().catch(() => undefined);
          throw e;
        });

        const print = () => {
          const s = running.status();
          process.stdout.write(o.json ? `${JSON.stringify(s)}\n` : `${formatStatus(s)}\n`);
        };
        ctx.logger.info({ job: job.name, name, version: job.version, parallelism, delivery: recovery?.output.mode ?? 'at-least-once' }, 'job running');
        process.stderr.write(`running ${name} (${job.name} v${job.version}, parallelism ${parallelism}, ${recovery?.output.mode ?? 'at-least-once'}); Ctrl-C or \`pitlane stop ${name}\` stops it\n`);
        const seconds = o.statusInterval === undefined ? undefined : Number(o.statusInterval);
        const timer = seconds && seconds > 0 ? setInterval(print, seconds * 1000) : undefined;
        const stop = () => void running.stop().catch(() => undefined);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        try {
          await running.finished;
          // A stop through the control channel answers (with its savepoint) before the channel closes.
          await stopRequest?.catch(() => undefined);
        } finally {
          if (timer) clearInterval(timer);
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          await control.close();
        }
        print();
      }),
    );
}
