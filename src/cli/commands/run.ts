/**
 * `pitlane run <job.ts>`: runs a job on the embedded engine until SIGINT/SIGTERM,
 * then stops cleanly (in-flight output flushed, producer closed).
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { ConfigError, describeUnknown } from '../../errors.ts';
import { formatStatus, isJobDefinition, startJob, type JobDefinition } from '../../engine/index.ts';
import type { CliContext } from '../context.ts';

type Run = (fn: (ctx: CliContext) => Promise<number | void>) => Promise<void>;

interface RunFlags {
  parallelism: string;
  param: string[];
  statusInterval?: string;
  dlqTopic?: string;
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

export function registerRun(program: Command, run: Run): void {
  program
    .command('run')
    .description('run a job on the embedded engine until stopped (SIGINT/SIGTERM stop it cleanly)')
    .argument('<job>', 'job module (TypeScript) that default-exports defineJob({...})')
    .option('--parallelism <n>', 'logical subtasks per keyed operator', '1')
    .option('--param <name=value>', 'job parameter (repeatable), read with env.param(name)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--status-interval <seconds>', 'print the job status every N seconds')
    .option('--dlq-topic <topic>', 'dead-letter topic (default: the job\'s, else <name>.dlq)')
    .option('--json', 'status lines as JSON')
    .action((file: string, o: RunFlags) =>
      run(async (ctx) => {
        const parallelism = Number(o.parallelism);
        if (!Number.isInteger(parallelism) || parallelism < 1) throw new ConfigError('RUN_BAD_PARALLELISM', `--parallelism must be a whole number ≥ 1, not ${o.parallelism}.`);
        const job = await loadJob(file);
        const { kafka, registry } = ctx.kafka();
        const running = await startJob(job, { kafka, registry, logger: ctx.logger }, { parallelism, params: parseParams(o.param), ...(o.dlqTopic ? { deadLetterTopic: o.dlqTopic } : {}) });
        const print = () => {
          const s = running.status();
          process.stdout.write(o.json ? `${JSON.stringify(s)}\n` : `${formatStatus(s)}\n`);
        };
        ctx.logger.info({ job: job.name, version: job.version, parallelism }, 'job running');
        process.stderr.write(`running ${job.name} v${job.version} (parallelism ${parallelism}); Ctrl-C stops it\n`);
        const seconds = o.statusInterval === undefined ? undefined : Number(o.statusInterval);
        const timer = seconds && seconds > 0 ? setInterval(print, seconds * 1000) : undefined;
        const stop = () => void running.stop().catch(() => undefined);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        try {
          await running.finished;
        } finally {
          if (timer) clearInterval(timer);
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
        }
        print();
      }),
    );
}
