import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { UsageError } from '../usage.ts';
import { z } from 'zod';
import { ConfigError, JobDefinitionError } from '../../errors.ts';
import { parseWith } from '../../config/validate.ts';
import { describeJob, isJobDefinition, type JobDescription, inspectSavepoint, readStateLines, type SavepointSummary, planRestore, checkSavedValues, type RestorePlan, verifySavepoint, type FileCheck } from '../../engine/index.ts';
import { EXIT } from '../exit-codes.ts';
import { emit, table } from '../output.ts';
import type { CliContext } from '../context.ts';
import { checkFlinkSavepointCommand } from './savepoint-flink.ts';
import { isFlinkSavepoint } from '../../engines/flink/preflight.ts';
import { registerSavepointTrigger } from './savepoint-trigger.ts';
import { registerSavepointHistory } from './savepoint-history.ts';

type Run = (fn: (ctx: CliContext) => Promise<number | void>) => Promise<void>;

function parallelismOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError('CLI_BAD_NUMBER', `--parallelism must be a whole number of at least 1, not "${value}".`);
  return n;
}

function paramsOption(list: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of list) {
    const i = p.indexOf('=');
    if (i <= 0) throw new UsageError('CLI_BAD_PARAM', `--param must look like name=value, not "${p}".`);
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}

/** A job module's default export, described for restore planning (nothing is started). */
async function describeJobFile(file: string, params: Record<string, string>): Promise<JobDescription> {
  const url = pathToFileURL(resolve(file)).href;
  let mod: { default?: unknown };
  try {
    mod = (await import(url)) as { default?: unknown };
  } catch (e) {
    throw new JobDefinitionError('JOB_LOAD_FAILED', `Could not load job module ${file}: ${e instanceof Error ? e.message : String(e)}.`, { hint: 'Check the path and that the module compiles (`npx tsc --noEmit`).', cause: e });
  }
  if (!isJobDefinition(mod.default)) {
    throw new JobDefinitionError('JOB_NO_DEFAULT_EXPORT', `${file} does not default-export a job.`, { hint: 'End the module with `export default defineJob({ ... })`.' });
  }
  return describeJob(mod.default, params);
}

const schemaObject = z.record(z.string(), z.unknown());
const codecSpecSchema = z.union([z.object({ type: z.literal('avro'), schema: schemaObject }), z.object({ type: z.literal('json'), schema: schemaObject.optional() })]);

const descriptionSchema = z.object({
  name: z.string().min(1),
  version: z.string(),
  maxParallelism: z.number().int().min(1),
  inputTopics: z.array(z.string()),
  operators: z.array(
    z.object({
      uid: z.string().min(1),
      name: z.string(),
      kind: z.enum(['source', 'sink', 'process', 'reduce', 'window']),
      keyFingerprint: z.string().optional(),
      states: z.array(
        z.object({
          name: z.string(),
          kind: z.enum(['value', 'map', 'list', 'reducing', 'aggregating']),
          codec: codecSpecSchema,
          mapKeyCodec: codecSpecSchema.optional(),
        }),
      ),
    }),
  ),
});

async function readDescriptionFile(file: string): Promise<JobDescription> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new ConfigError('JOB_DESCRIPTION_UNREADABLE', `Could not read the job description ${file}: ${e instanceof Error ? e.message : String(e)}.`, { hint: 'Pass a JSON JobDescription (as `pitlane savepoint check --job J --json` prints under "jobDescription").' });
  }
  return parseWith(descriptionSchema, raw, file) as JobDescription;
}

function humanSummary(s: SavepointSummary, keyGroups: boolean): string {
  const lines = [
    `savepoint   ${s.dir}`,
    `job         ${s.job.name} ${s.job.version}   (${s.type}, format v${s.formatVersion}, created ${s.createdAt})`,
    `key groups  maxParallelism ${s.maxParallelism}`,
    `checksums   ${s.checksumsOk ? 'ok' : `FAILED for ${s.badFiles.length} file(s)`}`,
    ...s.badFiles.map((f) => `  ✗ ${f.path}: ${f.problem ?? ''}`),
    '',
    table([['UID', 'NAME', 'KIND', 'PARALLELISM', 'KEYS', 'TIMERS', 'BYTES', 'FILES'], ...s.operators.map((o) => [o.uid, o.name, o.kind, String(o.parallelism), String(o.keys), String(o.timers), String(o.bytes), String(o.files)])]),
  ];
  const states = s.operators.flatMap((o) => o.states.map((st) => [o.uid, st.name, st.kind, st.codec, String(st.entries)]));
  if (states.length > 0) lines.push('', table([['UID', 'STATE', 'KIND', 'CODEC', 'ENTRIES'], ...states]));
  if (keyGroups) {
    for (const o of s.operators.filter((x) => x.keyGroups.length > 0)) {
      lines.push('', `${o.uid}: keys per key group`, table([['KEY GROUP', 'KEYS', 'ENTRIES', 'TIMERS', 'BYTES'], ...o.keyGroups.map((k) => [String(k.keyGroup), String(k.keys), String(k.entries), String(k.timers), String(k.bytes)])]));
    }
  } else if (s.operators.some((o) => o.keyGroups.length > 0)) {
    const counts = s.operators.flatMap((o) => o.keyGroups.map((k) => k.keys));
    lines.push('', `keys per key group: min ${Math.min(...counts)}, max ${Math.max(...counts)} over ${counts.length} non-empty key groups (--key-groups for each)`);
  }
  lines.push('', table([['TOPIC', 'PARTITION', 'NEXT OFFSET'], ...s.sourceOffsets.map((o) => [o.topic, String(o.partition), String(o.offset)])]));
  return lines.join('\n');
}

function humanDamaged(dir: string, files: readonly FileCheck[]): string {
  return [
    `damaged: ${files.length} file(s) of ${dir} fail their checks; a restore from it would fail or restore wrong state`,
    ...files.map((f) => `  ✗ ${f.path}: ${f.problem ?? 'damaged'}`),
    '      fix: restore from another savepoint or checkpoint (`pitlane savepoint inspect` shows each file); take a new savepoint of the running job',
  ].join('\n');
}

function humanPlan(p: RestorePlan): string {
  const lines: string[] = [];
  if (p.compatible) lines.push(`compatible: ${p.savepointJob.name} ${p.savepointJob.version} → ${p.job.name} ${p.job.version}`);
  else lines.push(`incompatible: ${p.problems.length} problem(s) restoring ${p.savepointJob.name} ${p.savepointJob.version} into ${p.job.name} ${p.job.version}`);
  for (const pr of p.problems) lines.push(`  ✗ [${pr.code}] ${pr.message}`, `      fix: ${pr.fix}`);
  for (const d of p.dropped) lines.push(`  dropped: ${d.uid}${d.state ? `/${d.state}` : ''} (${d.reason})`);
  for (const e of p.startsEmpty) lines.push(`  starts empty: ${e.uid}${e.state ? `/${e.state}` : ''} (${e.reason})`);
  for (const m of p.migrations) lines.push(`  schema evolves: ${m.uid}/${m.state} (${m.to.type === 'json' ? 'JSON values read by the new schema: new fields get their defaults, removed fields are dropped' : 'read by Avro resolution'})`);
  for (const u of p.unchecked) lines.push(`  unchecked: ${u.uid}/${u.state} (${u.reason})`);
  for (const v of p.valuesChecked ?? []) lines.push(`  saved values checked: ${v.uid}/${v.state} (${v.reason})`);
  for (const a of p.assignments) {
    if (a.savedParallelism !== a.parallelism) lines.push(`  rescale: ${a.uid} ${a.savedParallelism} → ${a.parallelism} subtasks`);
  }
  for (const t of p.droppedSources) lines.push(`  no longer read: topic ${t}`);
  for (const s of p.sources.filter((x) => x.from !== 'savepoint')) lines.push(`  new input: ${s.topic}${s.partition !== undefined ? `/${s.partition}` : ' (all partitions)'} starts at ${s.from}`);
  return lines.join('\n');
}

async function writeLine(line: string): Promise<void> {
  if (!process.stdout.write(`${line}\n`)) await new Promise<void>((r) => process.stdout.once('drain', () => r()));
}

export function registerSavepoint(program: Command, run: Run): void {
  const sp = program.command('savepoint').description('trigger savepoints of running jobs (once or periodically); list the savepoint history, dispose of savepoints (one, or past retention); inspect, check and read savepoint files');

  sp.command('inspect')
    .description('operators, states, keys per key group, sizes, offsets, format version, and whether every checksum holds (exit 1 if not)')
    .argument('<dir>', 'savepoint directory')
    .option('--key-groups', 'list every key group')
    .option('--json', 'print the result as JSON')
    .action((dir: string, o: { keyGroups?: boolean; json?: boolean }) =>
      run(async () => {
        const summary = await inspectSavepoint(dir);
        emit(summary, o, () => humanSummary(summary, o.keyGroups === true));
        return summary.checksumsOk ? EXIT.OK : EXIT.FAIL;
      }),
    );

  sp.command('check')
    .description('preflight: plan restoring the savepoint (pitlane\'s, or Flink\'s: a directory with _metadata) into a job version; prints every problem or "compatible" (exit 0 compatible, 1 incompatible, 3 error)')
    .argument('<dir>', 'savepoint directory')
    .option('--job <file>', 'the job module (default-exports defineJob) to restore into')
    .option('--jar <file>', 'Flink savepoint: the candidate\'s job jar')
    .option('--entry-class <class>', 'Flink savepoint: the candidate\'s main class')
    .option('--arg <value>', 'Flink savepoint: program argument (repeatable; placeholders as `flink run --arg`); default: pitlane\'s job contract', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--args <list>', 'Flink savepoint: program arguments in one string, split at whitespace (before any --arg)')
    .option('--input <topic>', 'Flink savepoint: input topic for {inputs} (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--description <file>', 'a JSON JobDescription instead of --job')
    .option('--param <name=value>', 'job parameter for --job (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--parallelism <n>', 'parallelism of the restored job (default: as saved)')
    .option('--allow-non-restored-state', 'drop state the new job has no place for, instead of refusing')
    .option('--new-partitions <position>', 'where partitions new since the savepoint start: earliest or latest', 'earliest')
    .option('--json', 'print the plan as JSON')
    .action((dir: string, o: { job?: string; description?: string; param: string[]; parallelism?: string; allowNonRestoredState?: boolean; newPartitions: string; json?: boolean; jar?: string; entryClass?: string; arg: string[]; args?: string; input: string[] }) =>
      run(async (ctx) => {
        if (isFlinkSavepoint(dir)) {
          const { parallelism: p, ...flags } = o;
          const parallelism = parallelismOption(p);
          return checkFlinkSavepointCommand(ctx, dir, { ...flags, ...(parallelism !== undefined ? { parallelism } : {}) });
        }
        if ((o.job === undefined) === (o.description === undefined)) throw new UsageError('CLI_CHECK_NEEDS_JOB', 'savepoint check needs exactly one of --job <file> or --description <file>.', { hint: 'Pass the new version of the job: --job examples/fraud/v2.ts' });
        if (o.newPartitions !== 'earliest' && o.newPartitions !== 'latest') throw new UsageError('CLI_BAD_POSITION', `--new-partitions must be earliest or latest, not "${o.newPartitions}".`);
        // Every byte is read and checked (size, framing, sha256) before the plan: a damaged
        // savepoint is found now, not by the restore after the old job has stopped.
        const verified = await verifySavepoint(dir);
        const damaged = verified.files.filter((f) => !f.ok);
        const job = o.job !== undefined ? await describeJobFile(o.job, paramsOption(o.param)) : await readDescriptionFile(o.description!);
        const parallelism = parallelismOption(o.parallelism);
        const planned = planRestore(verified.metadata, job, { allowNonRestoredState: o.allowNonRestoredState === true, newPartitionStart: o.newPartitions, ...(parallelism !== undefined ? { parallelism } : {}) });
        const plan = damaged.length === 0 ? await checkSavedValues(dir, planned, job) : planned;
        const compatible = plan.compatible && damaged.length === 0;
        emit({ ...plan, compatible, damaged, jobDescription: job }, o, () => (damaged.length > 0 ? `${humanDamaged(dir, damaged)}\n${humanPlan(plan).replace(/^compatible: /, 'the plan alone would be compatible: ')}` : humanPlan(plan)));
        return compatible ? EXIT.OK : EXIT.FAIL;
      }),
    );

  sp.command('read')
    .description('dump one keyed state as NDJSON: {"keyGroup", "key", ["mapKey"], "value"} per entry, decoded with its codec')
    .argument('<dir>', 'savepoint directory')
    .requiredOption('--uid <uid>', 'operator uid')
    .requiredOption('--state <name>', 'state name')
    .action((dir: string, o: { uid: string; state: string }) =>
      run(async () => {
        for await (const line of readStateLines(dir, o.uid, o.state)) await writeLine(line);
      }),
    );

  registerSavepointTrigger(sp, run);
  registerSavepointHistory(sp, run);
}
