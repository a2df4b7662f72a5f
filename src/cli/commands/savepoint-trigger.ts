/**
 * `pitlane savepoint trigger`: a savepoint of a running job, recorded in the savepoint
 * history; with --every, one per interval (periodic savepoints) until --count or a
 * signal, each followed by the retention policy.
 *
 * Which job: NAME, a job `pitlane jobs` lists (`pitlane run`, over its control
 * channel); or --spec, the spec's authoritative job on the spec's engine (a job
 * `canary launch` started, or a Flink job), whose `savepoints` keys are the defaults.
 * Periodic savepoints are this process's: nothing else triggers them, so a
 * deployment that wants them runs `pitlane savepoint trigger --spec F` beside it
 * (under a service manager), the smallest design that is honest about who triggers.
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Command } from 'commander';
import { UsageError } from '../usage.ts';
import { StoreError, describeUnknown } from '../../errors.ts';
import { callJob } from '../../engines/embedded/control/client.ts';
import { defaultJobsDir, readEntry } from '../../engines/embedded/control/job-directory.ts';
import type { WrittenSavepoint } from '../../engines/embedded/control/protocol.ts';
import type { SavepointResult } from '../../engines/adapter.ts';
import type { Orchestrator } from '../../orchestrator/create.ts';
import { savepointRecord, type SavepointTrigger } from '../../orchestrator/savepoints/record.ts';
import type { RetentionPolicy } from '../../orchestrator/savepoints/retention.ts';
import { loadDeploymentSpec } from '../../orchestrator/spec/load.ts';
import type { DeploymentSpec } from '../../orchestrator/spec/schema.ts';
import { EXIT } from '../exit-codes.ts';
import { emit } from '../output.ts';
import type { CliContext } from '../context.ts';
import { DEFAULT_SAVEPOINT_BASE, savepointPath } from './savepoint-path.ts';
import { orchestratorOptions, withOrchestrator, type OrchestratorFlags } from './orchestrator-options.ts';
import { countFlag, durationFlag, policyOptions, retentionPolicy, type PolicyFlags } from './savepoint-policy.ts';

type Run = (fn: (ctx: CliContext) => Promise<number | void>) => Promise<void>;

interface TriggerFlags extends OrchestratorFlags, PolicyFlags {
  spec?: string;
  once?: boolean;
  dir?: string;
  every?: string;
  count?: string;
}

export interface Taken {
  readonly job: string;
  readonly path: string;
  readonly details?: Record<string, unknown>;
  readonly completedAt: number;
  readonly engine: 'embedded' | 'flink';
  readonly cluster?: string | undefined;
}

/** Takes one savepoint of the job the flags name; `dir` is where it goes (undefined: the engine's default). */
async function takeOne(orch: Orchestrator, name: string | undefined, spec: DeploymentSpec | undefined, dir: string | undefined): Promise<Taken> {
  if (spec) {
    const a = spec.authoritative;
    const engine = orch.engines.adapter(a.engine, spec);
    const r = await engine.savepoint(a.jobId, { requestId: `cli-savepoint/${a.jobId}/${randomUUID()}`, ...(dir ? { targetDir: dir } : {}) });
    const { location, ...details } = r;
    return { job: a.jobId, path: location, details, completedAt: r.completedAt, engine: engine.engine, cluster: engine.cluster };
  }
  // A standalone job answers `path` (and bytes), a managed one `location` (protocol.ts).
  const r: Partial<WrittenSavepoint & SavepointResult> = await callJob(defaultJobsDir(), name!, 'savepoint', { dir: dir! });
  const { path, location, ...details } = r;
  return { job: name!, path: path ?? location ?? dir!, details, completedAt: r.completedAt ?? Date.now(), engine: 'embedded' };
}

/** Records a savepoint taken; a failure says the savepoint exists and is not in the history. */
export async function recordTaken(orch: Orchestrator, t: Taken, trigger: SavepointTrigger): Promise<void> {
  try {
    await orch.savepoints.record(savepointRecord({ location: t.path, completedAt: t.completedAt }, { engine: t.engine, cluster: t.cluster, job: t.job, trigger }));
  } catch (e) {
    throw new StoreError('SAVEPOINT_NOT_RECORDED', `The savepoint ${t.path} of ${t.job} was taken, but it is not in the savepoint history (${orch.savepoints.description}): ${describeUnknown(e)}`, {
      retriable: true,
      cause: e,
      hint: 'The savepoint is complete and usable; without an entry, `savepoint list` does not show it and retention never disposes of it (`pitlane savepoint dispose PATH` still does).',
      data: { job: t.job, location: t.path },
    });
  }
}

async function retain(orch: Orchestrator, policy: RetentionPolicy | undefined, job: string): Promise<string[]> {
  if (!policy) return [];
  const r = await orch.savepoints.retain(policy, { job });
  for (const f of r.failed) process.stderr.write(`warning: could not dispose of ${f.record.location}: ${f.error}\n`);
  return r.disposed.map((x) => x.location);
}

export function registerSavepointTrigger(sp: Command, run: Run): void {
  policyOptions(
    orchestratorOptions(
      sp
        .command('trigger')
        .description('take a savepoint of a running job (it keeps running) and record it in the savepoint history; prints the savepoint path. With --every, one per interval until --count or Ctrl-C')
        .argument('[name]', 'the job name as `pitlane jobs` lists it (or --spec)')
        .option('--spec <file>', "the spec's authoritative job, on its engine (a `canary launch`ed or Flink job); its savepoints keys are the defaults")
        .option('--dir <dir>', `the savepoint directory (new); with --every, the directory under which each is made; default: savepoint-<name>-<time> under the job's --savepoint-dir, else under ${DEFAULT_SAVEPOINT_BASE} (with --spec: the engine's own)`)
        .option('--every <duration>', "periodic: take one every interval, e.g. 1h (default with --spec: its savepoints.interval)")
        .option('--count <n>', 'with --every: stop after n savepoints (default: until SIGINT or SIGTERM)')
        .option('--once', "one savepoint, even if the spec names an interval"),
    ),
  ).action((name: string | undefined, o: TriggerFlags) =>
    run((ctx) =>
      withOrchestrator(ctx, o, async (orch) => {
        const spec = o.spec !== undefined ? await loadDeploymentSpec(o.spec) : undefined;
        if ((name === undefined) === (spec === undefined)) throw new UsageError('CLI_TRIGGER_NEEDS_JOB', 'savepoint trigger needs exactly one of a job NAME or --spec FILE.', { hint: 'Name a job `pitlane jobs` lists, or pass the spec whose authoritative job to savepoint.' });
        const job = spec?.authoritative.jobId ?? name!;
        if (o.once && o.every !== undefined) throw new UsageError('CLI_ONCE_OR_EVERY', '--once and --every contradict each other.', { hint: 'Pass one of them.' });
        const everyMs = o.every !== undefined ? durationFlag(o.every, '--every') : o.once ? undefined : spec?.savepoints?.interval;
        if (everyMs !== undefined && everyMs < 1000) throw new UsageError('CLI_BAD_INTERVAL', `--every must be at least 1s, not ${o.every}.`, { hint: 'Periodic savepoints are for minutes and hours (e.g. --every 1h); checkpoints are the frequent ones.' });
        const policy = retentionPolicy(o, spec);
        const base = o.dir !== undefined ? resolve(o.dir) : spec ? undefined : (readEntry(defaultJobsDir(), job)?.savepointDir ?? DEFAULT_SAVEPOINT_BASE);
        // The directory is always named for a job over its channel: a job hosted by the orchestrator has no default of its own.
        const dirAt = (now: number) => (base === undefined ? undefined : everyMs === undefined && o.dir !== undefined ? base : savepointPath(base, job, now));

        if (everyMs === undefined) {
          if (o.count !== undefined) throw new UsageError('CLI_COUNT_NEEDS_EVERY', '--count applies to periodic savepoints only.', { hint: 'Add --every INTERVAL, or remove --count.' });
          const t = await takeOne(orch, name, spec, dirAt(Date.now()));
          await recordTaken(orch, t, 'manual');
          const disposed = await retain(orch, policy, job);
          const result = { job, path: t.path, ...t.details, ...(policy ? { disposed } : {}) };
          emit(result, o, () => result.path);
          if (disposed.length > 0 && !o.json) process.stderr.write(`disposed of ${disposed.length} savepoint(s) past retention: ${disposed.join(', ')}\n`);
          return;
        }
        return periodic(orch, { name, spec, job, everyMs, count: o.count !== undefined ? countFlag(o.count, '--count') : undefined, policy, dirAt, json: o.json === true });
      }),
    ),
  );
}

/**
 * One savepoint per interval at a fixed rate (a slow one delays the next, never
 * doubles it). A failed trigger is reported and the next interval tries again: a job
 * restarting is not a reason to stop. Exit 3 if any failed.
 */
async function periodic(
  orch: Orchestrator,
  p: { name: string | undefined; spec: DeploymentSpec | undefined; job: string; everyMs: number; count: number | undefined; policy: RetentionPolicy | undefined; dirAt: (now: number) => string | undefined; json: boolean },
): Promise<number> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let failures = 0;
  try {
    const start = Date.now();
    for (let i = 0; p.count === undefined || i < p.count; i++) {
      const due = start + i * p.everyMs;
      if (due > Date.now()) await delay(due - Date.now(), undefined, { signal: stop.signal }).catch(() => undefined);
      if (stop.signal.aborted) break;
      try {
        const t = await takeOne(orch, p.name, p.spec, p.dirAt(Date.now()));
        await recordTaken(orch, t, 'periodic');
        const disposed = await retain(orch, p.policy, p.job);
        const line = { job: p.job, path: t.path, takenAt: new Date(t.completedAt).toISOString(), disposed };
        process.stdout.write(p.json ? `${JSON.stringify(line)}\n` : `${line.takenAt}  ${t.path}${disposed.length > 0 ? `  (disposed of ${disposed.length} past retention)` : ''}\n`);
      } catch (e) {
        failures++;
        process.stderr.write(`error: periodic savepoint of ${p.job} failed: ${describeUnknown(e)} (next try in ${Math.round(p.everyMs / 1000)} s)\n`);
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return failures > 0 ? EXIT.ERROR : EXIT.OK;
}
