/**
 * `pitlane flink …`: drive jobs on a Flink cluster through the Flink engine adapter,
 * the same calls the orchestrator makes — run a jar (optionally from a savepoint,
 * rescaled), take a savepoint, stop with one, cancel, status, list — each mutating
 * call idempotent by its --request-id. `flink jars` builds the example jobs.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../usage.ts';
import { ConfigError } from '../../errors.ts';
import { buildFlinkJobs, FLINK_ENTRY_CLASSES } from '../../dev/flink-jobs-build.ts';
import { isTerminal, runsOf } from '../../engines/flink/jobs.ts';
import { flinkJobId, jobPrefix } from '../../engines/flink/ids.ts';
import type { CliContext } from '../context.ts';
import { emit, table } from '../output.ts';
import { parseCount, parseDuration } from './run-options.ts';
import { REQUEST, REST, registerFlinkOperations, requestIdOf } from './flink-operations.ts';

type Run = (fn: (ctx: CliContext) => Promise<number | void>) => Promise<void>;

const collect = (v: string, acc: string[]): string[] => [...acc, v];

interface RunFlags {
  entryClass: string;
  name?: string;
  parallelism?: string;
  input: string[];
  output: string;
  identity?: string;
  fromSavepoint?: string;
  allowNonRestoredState?: boolean;
  start: string;
  arg: string[];
  commitInterval: string;
  requestId?: string;
  flinkRest?: string;
  json?: boolean;
}

function startPosition(text: string): 'earliest' | 'latest' | { timestamp: number } {
  if (text === 'earliest' || text === 'latest') return text;
  const ts = /^timestamp:(\d+)$/.exec(text);
  if (ts) return { timestamp: Number(ts[1]) };
  throw new UsageError('CLI_BAD_POSITION', `--start must be earliest, latest or timestamp:MS, not "${text}".`);
}

export function registerFlink(program: Command, run: Run): void {
  const flink = program.command('flink').description('run and operate jobs on a Flink cluster (the local one from `pitlane dev up --flink`, or --flink-rest / FLINK_REST_URL)');

  flink
    .command('run')
    .description('submit a job jar and wait until every task runs; repeated with the same --request-id it submits once')
    .argument('<jar>', 'the job jar (shaded, with its dependencies)')
    .requiredOption('--entry-class <class>', 'the main class to run')
    .option('--name <name>', 'pitlane\'s name of the job: later commands use it, and each run of it is found by it (default: the entry class\'s simple name)')
    .option('--parallelism <n>', 'the job\'s parallelism (a restore from a savepoint rescales to it)')
    .option('--input <topic>', 'input topic (repeatable): {inputs}', collect, [] as string[])
    .requiredOption('--output <topic>', 'the topic the job writes: {sinkTopic}')
    .option('--identity <id>', 'consumer group and transactional id prefix: {identity} (default: the name)')
    .option('--from-savepoint <path>', 'restore from this savepoint (state, source positions, timers)')
    .option('--allow-non-restored-state', 'drop saved state the job has no operator for, instead of refusing')
    .option('--start <position>', 'without a savepoint, where the inputs start: earliest, latest or timestamp:MS', 'earliest')
    .option('--arg <value>', 'program argument (repeatable; placeholders {inputs} {sinkTopic} {identity} {bootstrapServers} {startingOffsets} {commitIntervalMs}); default: pitlane\'s job contract', collect, [] as string[])
    .option('--commit-interval <duration>', 'checkpoint interval: exactly-once output becomes visible at each (e.g. 1s, 500ms)', '1s')
    .option(...REQUEST)
    .option(...REST)
    .option('--json', 'print the result as JSON')
    .action((jar: string, o: RunFlags) =>
      run(async (ctx) => {
        if (o.input.length === 0) throw new UsageError('CLI_NO_INPUT', 'flink run needs at least one --input topic.', { hint: 'Add --input TOPIC (repeatable).' });
        const name = o.name ?? o.entryClass.split('.').at(-1)!;
        const parallelism = o.parallelism === undefined ? undefined : parseCount('--parallelism', o.parallelism);
        const from = o.fromSavepoint !== undefined ? { savepoint: o.fromSavepoint, allowNonRestoredState: o.allowNonRestoredState === true } : { input: startPosition(o.start) };
        const requestId = requestIdOf(o.requestId);
        const engine = ctx.flink(o.flinkRest);
        // The port treats a start of a name that runs as a no-op; at the command line that
        // would hide that the jar given did not run, so say it instead.
        const live = (await runsOf(engine.rest, jobPrefix(name))).find((j) => !isTerminal(j.state));
        if (live && live.jid !== flinkJobId(name, requestId)) {
          throw new ConfigError('FLINK_NAME_IN_USE', `A job named ${name} already runs on Flink (job ${live.jid}, ${live.name}, ${live.state}).`, {
            hint: `Stop it first (\`pitlane flink stop ${name}\`, then --from-savepoint to carry its state over), or give this one another --name.`,
          });
        }
        await engine.start({
          requestId,
          jobId: name,
          job: resolve(jar),
          flink: { entryClass: o.entryClass, ...(o.arg.length > 0 ? { args: o.arg } : {}) },
          ...(parallelism ? { parallelism } : {}),
          inputs: o.input,
          from,
          sinkTopic: o.output,
          identity: o.identity ?? name,
          delivery: { mode: 'exactly-once', commitIntervalMs: parseDuration('--commit-interval', o.commitInterval) },
        });
        const rec = engine.record(name);
        const result = { job: name, flinkJobId: rec?.flinkJobId, requestId, state: (await engine.status(name)).state, restUrl: engine.rest.url };
        emit(result, o, () => `running ${name} on Flink as job ${result.flinkJobId} (${engine.rest.url}/#/job/running/${result.flinkJobId}/overview)`);
      }),
    );

  flink
    .command('list')
    .description('the jobs on the cluster, newest first')
    .option(...REST)
    .option('--json', 'print the result as JSON')
    .action((o: { flinkRest?: string; json?: boolean }) =>
      run(async (ctx) => {
        const engine = ctx.flink(o.flinkRest);
        const jobs = (await runsOf(engine.rest, '')).map((j) => ({ flinkJobId: j.jid, name: j.name, state: j.state, startedAt: new Date(j['start-time']).toISOString() }));
        emit({ jobs }, o, () => (jobs.length === 0 ? 'no jobs on the cluster' : table([['FLINK JOB ID', 'NAME', 'STATE', 'STARTED'], ...jobs.map((j) => [j.flinkJobId, j.name, j.state, j.startedAt])])));
      }),
    );

  flink
    .command('jars')
    .description('build the example Flink jobs (flink/, cached by content) and print their jars and entry classes')
    .option('--json', 'print the result as JSON')
    .action((o: { json?: boolean }) =>
      run(async () => {
        const built = await buildFlinkJobs();
        const jobs = Object.entries(FLINK_ENTRY_CLASSES).map(([job, e]) => ({ job, entryClass: e.entryClass, jar: built.jars[e.jar] }));
        emit({ jobs, built: built.built }, o, () => table([['JOB', 'ENTRY CLASS', 'JAR'], ...jobs.map((j) => [j.job, j.entryClass, j.jar])]));
      }),
    );

  registerFlinkOperations(flink, run);
}
