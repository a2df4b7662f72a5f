/**
 * `pitlane savepoint list` and `pitlane savepoint dispose`: the savepoint history in
 * the durable store (every pitlane process sees the same), with what deployments
 * still need; dispose of one, or of those past a retention policy — never of one a
 * deployment needs.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../usage.ts';
import { disposeSavepoint } from '../../engine/index.ts';
import type { Orchestrator } from '../../orchestrator/create.ts';
import { pinnedError, type HistoryFilter, type ListedSavepoint } from '../../orchestrator/savepoints/history.ts';
import type { RetentionDecision } from '../../orchestrator/savepoints/retention.ts';
import { loadDeploymentSpec } from '../../orchestrator/spec/load.ts';
import { EXIT } from '../exit-codes.ts';
import { emit, table } from '../output.ts';
import type { CliContext } from '../context.ts';
import { orchestratorOptions, withOrchestrator, type OrchestratorFlags } from './orchestrator-options.ts';
import { policyOptions, retentionPolicy, type PolicyFlags } from './savepoint-policy.ts';

type Run = (fn: (ctx: CliContext) => Promise<number | void>) => Promise<void>;

interface ScopeFlags extends OrchestratorFlags {
  job?: string;
  deployment?: string;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

function humanList(list: readonly ListedSavepoint[]): string {
  if (list.length === 0) return 'no savepoints in the history';
  return table([
    ['ID', 'JOB', 'DEPLOYMENT', 'ENGINE', 'TRIGGER', 'TAKEN', 'NEEDED BY', 'LOCATION'],
    ...list.map((r) => [r.id, r.job, r.deployment ?? '-', r.engine, r.trigger, iso(r.takenAt), r.pin ? `${r.pin.deployment} (${r.pin.reason})` : '-', r.location]),
  ]);
}

const decision = (d: RetentionDecision) => ({ id: d.record.id, job: d.record.job, location: d.record.location, trigger: d.record.trigger, takenAt: d.record.takenAt, reason: d.reason, ...(d.pin ? { pin: d.pin } : {}) });

/** Disposes of one savepoint: through the history when it is recorded, else its directory (refused if a deployment needs it). */
async function disposeOne(orch: Orchestrator, ref: string, o: { json?: boolean }): Promise<void> {
  const absolute = resolve(ref);
  const recorded = await orch.savepoints.find(ref, absolute);
  if (recorded) {
    await orch.savepoints.dispose(recorded);
    emit({ disposed: recorded.location, id: recorded.id, job: recorded.job, trigger: recorded.trigger }, o, () => `disposed ${recorded.location} (${recorded.job}, ${recorded.trigger}); removed from the history`);
    return;
  }
  // Not in the history (taken before it existed, or by hand): a deployment may still need it.
  const unrecorded = { id: '', location: absolute, engine: 'embedded' as const, job: '?', trigger: 'manual' as const, takenAt: 0 };
  const pin = await orch.savepoints.pinOf([ref, absolute]);
  if (pin) throw pinnedError(unrecorded, pin);
  const r = await disposeSavepoint(absolute);
  emit({ disposed: r.dir, files: r.files }, o, () => `disposed ${r.dir} (${r.files} files)`);
}

export function registerSavepointHistory(sp: Command, run: Run): void {
  orchestratorOptions(
    sp
      .command('list')
      .description('the savepoint history: every savepoint pitlane took (trigger, periodic, fork, handoff), newest first, with the deployment that still needs it')
      .option('--job <name>', 'only the savepoints of this job')
      .option('--deployment <name>', 'only the savepoints this deployment took'),
  ).action((o: ScopeFlags) =>
    run((ctx) =>
      withOrchestrator(ctx, o, async (orch) => {
        const list = await orch.savepoints.list({ job: o.job, deployment: o.deployment });
        emit({ store: orch.store.description, savepoints: list }, o, () => humanList(list));
      }),
    ),
  );

  policyOptions(
    orchestratorOptions(
      sp
        .command('dispose')
        .description('dispose of a savepoint (its files, then its history entry), or with --past-retention of every savepoint past a policy; never of one a deployment still needs (rollback, fork source)')
        .argument('[savepoint]', 'a savepoint directory or URI, or its id in `savepoint list`')
        .option('--past-retention', 'dispose of the savepoints past --keep-last / --max-age (or the --spec savepoints keys)')
        .option('--spec <file>', "with --past-retention: the spec whose savepoints keys are the policy (and whose authoritative job is the default --job)")
        .option('--job <name>', 'with --past-retention: only this job\'s savepoints')
        .option('--deployment <name>', 'with --past-retention: only the savepoints this deployment took')
        .option('--dry-run', 'with --past-retention: say what would be disposed of, dispose of nothing'),
    ),
  ).action((ref: string | undefined, o: ScopeFlags & PolicyFlags & { pastRetention?: boolean; spec?: string; dryRun?: boolean }) =>
    run((ctx) =>
      withOrchestrator(ctx, o, async (orch) => {
        if (!o.pastRetention) {
          if (ref === undefined) throw new UsageError('CLI_DISPOSE_NEEDS_SAVEPOINT', 'savepoint dispose needs a savepoint (directory, URI or id), or --past-retention.', { hint: '`pitlane savepoint list` shows the savepoints and their ids.' });
          return disposeOne(orch, ref, o);
        }
        if (ref !== undefined) throw new UsageError('CLI_DISPOSE_ONE_OR_RETENTION', 'savepoint dispose takes a savepoint or --past-retention, not both.', { hint: 'Narrow --past-retention with --job or --deployment instead.' });
        const spec = o.spec !== undefined ? await loadDeploymentSpec(o.spec) : undefined;
        const policy = retentionPolicy(o, spec);
        if (!policy) throw new UsageError('CLI_NO_RETENTION', '--past-retention needs a policy: --keep-last N, --max-age DURATION, or a --spec with savepoints.keepLast / maxAge.', { hint: 'e.g. pitlane savepoint dispose --past-retention --keep-last 5 --max-age 7d' });
        const filter: HistoryFilter = { job: o.job ?? (o.deployment === undefined ? spec?.authoritative.jobId : undefined), deployment: o.deployment };
        const r = await orch.savepoints.retain(policy, filter, { dryRun: o.dryRun === true });
        const verb = o.dryRun ? 'would dispose of' : 'disposed of';
        const done = o.dryRun ? r.dispose.map((d) => d.record) : r.disposed;
        emit({ policy, dryRun: o.dryRun === true, disposed: r.dispose.filter((d) => done.includes(d.record)).map(decision), kept: r.keep.map(decision), failed: r.failed.map((f) => ({ location: f.record.location, error: f.error })) }, o, () =>
          [
            ...r.dispose.filter((d) => done.includes(d.record)).map((d) => `${verb} ${d.record.location} (${d.record.job}): ${d.reason}`),
            ...r.keep.filter((k) => k.pin).map((k) => `kept ${k.record.location} (${k.record.job}): ${k.reason}`),
            ...r.failed.map((f) => `✗ could not dispose of ${f.record.location}: ${f.error}`),
            `${verb} ${done.length}, kept ${r.keep.length} (${r.keep.filter((k) => k.pin).length} needed by a deployment)${r.failed.length > 0 ? `, ${r.failed.length} failed` : ''}`,
          ].join('\n'),
        );
        return r.failed.length > 0 ? EXIT.ERROR : EXIT.OK;
      }),
    ),
  );
}

