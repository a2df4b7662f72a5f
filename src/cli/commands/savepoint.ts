import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { z } from 'zod';
import { ConfigError, JobDefinitionError } from '../../errors.ts';
import { parseWith } from '../../config/validate.ts';
import { describeJob, isJobDefinition, type JobDescription, disposeSavepoint, inspectSavepoint, readStateLines, type SavepointSummary, planRestore, type RestorePlan, verifySavepoint, type FileCheck } from '../../engine/index.ts';
import { callJob } from '../../engines/embedded/control/client.ts';
import { defaultJobsDir, readEntry } from '../../engines/embedded/control/job-directory.ts';
import type { WrittenSavepoint } from '../../engines/embedded/control/protocol.ts';
import type { SavepointResult } from '../../engines/adapter.ts';
import { EXIT } from '../exit-codes.ts';
import { emit, table } from '../output.ts';
import type { CliContext } from '../context.ts';
import { DEFAULT_SAVEPOINT_BASE, savepointPath } from './savepoint-path.ts';

type Run = (fn: (ctx: CliContext) => Promise<number | void>) => Promise<void>;

function parallelismOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError('CLI_BAD_NUMBER', `--parallelism must be a whole number of at least 1, not "${value}".`);
  return n;
}

function paramsOption(list: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of list) {
    const i = p.indexOf('=');
    if (i <= 0) throw new ConfigError('CLI_BAD_PARAM', `--param must look like name=value, not "${p}".`);
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
          codec: z.union([z.object({ type: z.literal('avro'), schema: z.record(z.string(), z.unknown()) }), z.object({ type: z.literal('json') })]),
          mapKeyCodec: z.union([z.object({ type: z.literal('avro'), schema: z.record(z.string(), z.unknown()) }), z.object({ type: z.literal('json') })]).optional(),
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
    throw new ConfigError('CLI_BAD_DESCRIPTION', `Could not read the job description ${file}: ${e instanceof Error ? e.message : String(e)}.`, { hint: 'Pass a JSON JobDescription (as `pitlane savepoint check --job J --json` prints under "jobDescription").' });
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
  for (const m of p.migrations) lines.push(`  schema evolves: ${m.uid}/${m.state} (read by Avro resolution)`);
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
  const sp = program.command('savepoint').description('trigger savepoints of running jobs; inspect, check, read and dispose of savepoints (files only; nothing is started)');

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
    .description('preflight: plan restoring the savepoint into a job version; prints every problem or "compatible" (exit 0 compatible, 1 incompatible, 3 error)')
    .argument('<dir>', 'savepoint directory')
    .option('--job <file>', 'the job module (default-exports defineJob) to restore into')
    .option('--description <file>', 'a JSON JobDescription instead of --job')
    .option('--param <name=value>', 'job parameter for --job (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--parallelism <n>', 'parallelism of the restored job (default: as saved)')
    .option('--allow-non-restored-state', 'drop state the new job has no place for, instead of refusing')
    .option('--new-partitions <position>', 'where partitions new since the savepoint start: earliest or latest', 'earliest')
    .option('--json', 'print the plan as JSON')
    .action((dir: string, o: { job?: string; description?: string; param: string[]; parallelism?: string; allowNonRestoredState?: boolean; newPartitions: string; json?: boolean }) =>
      run(async () => {
        if ((o.job === undefined) === (o.description === undefined)) throw new ConfigError('CLI_CHECK_NEEDS_JOB', 'savepoint check needs exactly one of --job <file> or --description <file>.', { hint: 'Pass the new version of the job: --job examples/fraud/v2.ts' });
        if (o.newPartitions !== 'earliest' && o.newPartitions !== 'latest') throw new ConfigError('CLI_BAD_POSITION', `--new-partitions must be earliest or latest, not "${o.newPartitions}".`);
        // Every byte is read and checked (size, framing, sha256) before the plan: a damaged
        // savepoint is found now, not by the restore after the old job has stopped.
        const verified = await verifySavepoint(dir);
        const damaged = verified.files.filter((f) => !f.ok);
        const job = o.job !== undefined ? await describeJobFile(o.job, paramsOption(o.param)) : await readDescriptionFile(o.description!);
        const parallelism = parallelismOption(o.parallelism);
        const plan = planRestore(verified.metadata, job, { allowNonRestoredState: o.allowNonRestoredState === true, newPartitionStart: o.newPartitions, ...(parallelism !== undefined ? { parallelism } : {}) });
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

  sp.command('trigger')
    .description('take a savepoint of a running job (it keeps running); prints the savepoint path')
    .argument('<name>', 'the job name as `pitlane jobs` lists it')
    .option('--dir <dir>', `the savepoint directory (new); default: savepoint-<name>-<time> under the job's --savepoint-dir, else under ./${DEFAULT_SAVEPOINT_BASE}`)
    .option('--json', 'print the result as JSON')
    .action((name: string, o: { dir?: string; json?: boolean }) =>
      run(async () => {
        const jobsDir = defaultJobsDir();
        // The directory is always named here: a job hosted by the orchestrator has no default of its own.
        const dir = o.dir !== undefined ? resolve(o.dir) : savepointPath(readEntry(jobsDir, name)?.savepointDir ?? DEFAULT_SAVEPOINT_BASE, name, Date.now());
        // A standalone job answers `path` (and bytes), a managed one `location` (protocol.ts).
        const r: Partial<WrittenSavepoint & SavepointResult> = await callJob(jobsDir, name, 'savepoint', { dir });
        const { path, location, ...details } = r;
        const result = { job: name, path: path ?? location ?? dir, ...details };
        emit(result, o, () => result.path);
      }),
    );

  sp.command('dispose')
    .description('delete a savepoint directory (refuses anything that is not a savepoint, or holds foreign files)')
    .argument('<dir>', 'savepoint directory')
    .option('--json', 'print the result as JSON')
    .action((dir: string, o: { json?: boolean }) =>
      run(async () => {
        const r = await disposeSavepoint(dir);
        emit({ disposed: r.dir, files: r.files }, o, () => `disposed ${r.dir} (${r.files} files)`);
      }),
    );
}
