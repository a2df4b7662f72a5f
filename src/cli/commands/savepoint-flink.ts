/**
 * `pitlane savepoint check` of a Flink savepoint (a directory with `_metadata`): the
 * Flink preflight (src/engines/flink/preflight.ts) against a candidate given by its
 * jar, entry class and program arguments, with the same exit codes as an embedded
 * savepoint's check (0 compatible, 1 incompatible, 3 error).
 */
import { UsageError } from '../usage.ts';
import { DEFAULT_FLINK_ARGS, programArgs } from '../../engines/flink/args.ts';
import { checkFlinkSavepoint, localSavepointPath } from '../../engines/flink/preflight.ts';
import type { FlinkRestorePlan } from '../../engines/flink/savepoint-plan.ts';
import type { SavepointFacts } from '../../engines/flink/savepoint-tool.ts';
import type { CliContext } from '../context.ts';
import { EXIT } from '../exit-codes.ts';
import { emit } from '../output.ts';

export interface FlinkCheckFlags {
  /** pitlane savepoints' options: refused for a Flink savepoint rather than ignored. */
  readonly job?: string;
  readonly description?: string;
  readonly jar?: string;
  readonly entryClass?: string;
  readonly arg: string[];
  readonly args?: string;
  readonly input: string[];
  readonly parallelism?: number;
  readonly allowNonRestoredState?: boolean;
  readonly json?: boolean;
}

function human(dir: string, entryClass: string, facts: SavepointFacts, plan: FlinkRestorePlan): string {
  const what = `${dir} into ${entryClass}${facts.candidate.jobName ? ` ("${facts.candidate.jobName}")` : ''}`;
  const lines = [plan.compatible ? `compatible: ${what}` : `incompatible: ${plan.problems.length} problem(s) restoring ${what}`];
  for (const p of plan.problems) lines.push(`  ✗ [${p.code}] ${p.message}`, `      fix: ${p.fix}`);
  for (const n of plan.notes) lines.push(`  note: ${n}`);
  lines.push('  the candidate\'s own restore (in the shadow, while the running job goes on) is the final proof');
  return lines.join('\n');
}

/** The program arguments as the adapter would fill them for a start (placeholders resolved). */
function filledArgs(ctx: CliContext, o: FlinkCheckFlags): string[] {
  const given = [...(o.args?.split(/\s+/).filter((a) => a !== '') ?? []), ...o.arg];
  let brokers: string;
  try {
    brokers = ctx.connection().brokers.join(',');
  } catch {
    // Only the job graph is built: no broker is contacted.
    brokers = '127.0.0.1:9092';
  }
  return programArgs(given.length > 0 ? given : DEFAULT_FLINK_ARGS, {
    bootstrapServers: brokers,
    inputs: o.input.length > 0 ? o.input : ['pitlane-preflight'],
    sinkTopic: 'pitlane-preflight',
    identity: 'pitlane-preflight',
    startingOffsets: 'earliest',
    commitIntervalMs: 1000,
  });
}

export async function checkFlinkSavepointCommand(ctx: CliContext, dir: string, o: FlinkCheckFlags): Promise<number> {
  if (o.job !== undefined || o.description !== undefined) {
    throw new UsageError('CLI_CHECK_FLINK_NEEDS_JAR', `${dir} is a Flink savepoint: --job and --description are for pitlane's own savepoints.`, {
      hint: 'Name the new version by its jar: --jar target/job.jar --entry-class com.example.Job [--arg ARG ...]',
    });
  }
  if (o.jar === undefined || o.entryClass === undefined) {
    throw new UsageError('CLI_CHECK_NEEDS_JAR', `${dir} is a Flink savepoint: savepoint check needs the candidate's --jar and --entry-class.`, {
      hint: 'Name the new version: --jar target/job.jar --entry-class com.example.Job [--arg ARG ...] [--parallelism N]',
    });
  }
  const local = localSavepointPath(dir)!;
  const { facts, plan } = await checkFlinkSavepoint(ctx.savepointTool(), {
    savepoint: local,
    jar: o.jar,
    entryClass: o.entryClass,
    args: filledArgs(ctx, o),
    ...(o.parallelism !== undefined ? { parallelism: o.parallelism } : {}),
    allowNonRestoredState: o.allowNonRestoredState === true,
  });
  emit({ engine: 'flink', ...plan, savepoint: facts.savepoint, candidate: facts.candidate, compatibility: facts.compatibility }, o, () => human(dir, o.entryClass!, facts, plan));
  return plan.compatible ? EXIT.OK : EXIT.FAIL;
}
