import { Command, CommanderError } from 'commander';
import { CliContext, type GlobalOptions } from './context.ts';
import { EXIT } from './exit-codes.ts';
import { endQuietlyWhenStdoutCloses, reportError } from './output.ts';
import { readFileSync } from 'node:fs';
import { registerDev } from './commands/dev.ts';
import { registerTopic } from './commands/topic.ts';
import { registerRun } from './commands/run.ts';
import { registerCompare } from './commands/compare.ts';
import { registerSavepoint } from './commands/savepoint.ts';
import { registerJobs } from './commands/jobs.ts';
import { registerStop } from './commands/stop.ts';
import { registerCanary } from './commands/canary.ts';
import { registerFlink } from './commands/flink.ts';
import { registerDashboard } from './commands/dashboard.ts';
import { registerInit } from './commands/init.ts';
import { registerCutover } from './commands/cutover.ts';

/** Builds the pitlane command tree. Each command file registers its own subcommands. */
export function buildProgram(): Command {
  const program = new Command('pitlane')
    .description('Safe upgrades for stateful Kafka streaming jobs: shadow a candidate, compare outputs, promote.')
    .option('--brokers <list>', 'Kafka bootstrap servers, host:port[,host:port] (default: $KAFKA_BROKERS, else the local dev broker)')
    .option('--registry-url <url>', 'schema registry URL (default: $SCHEMA_REGISTRY_URL, else the local dev registry)')
    .option('--dev-dir <dir>', 'home of the local dev environment (default: $PITLANE_DEV_DIR or ~/.local/state/pitlane/dev)')
    .option('--log-level <level>', 'log level on stderr: silent, error, warn (default), info, debug; or set PITLANE_LOG_LEVEL')
    .version((JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version)
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();

  const run = async (fn: (ctx: CliContext) => Promise<number | void>): Promise<void> => {
    const globals = program.opts<GlobalOptions>();
    const json = process.argv.includes('--json');
    let ctx: CliContext | undefined;
    let code: number = EXIT.OK;
    try {
      ctx = new CliContext(globals);
      code = (await fn(ctx)) ?? EXIT.OK;
    } catch (e) {
      code = reportError(e, json);
    } finally {
      await ctx?.close().catch(() => undefined);
    }
    process.exitCode = code;
  };

  registerInit(program, run);
  registerDev(program, run);
  registerTopic(program, run);
  registerRun(program, run);
  registerCompare(program, run);
  registerSavepoint(program, run);
  registerJobs(program, run);
  registerStop(program, run);
  registerCanary(program, run);
  registerFlink(program, run);
  registerDashboard(program, run);
  registerCutover(program, run);
  return program;
}

export async function main(argv: readonly string[]): Promise<void> {
  const program = buildProgram();
  endQuietlyWhenStdoutCloses();
  try {
    await program.parseAsync([...argv]);
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end here with exit code 0.
      process.exitCode = e.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
      return;
    }
    throw e;
  }
}
