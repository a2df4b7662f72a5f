/**
 * `pitlane canary …`: the orchestrator's manual commands (docs/orchestrator.md).
 * Each builds its orchestrator from the CLI context (createOrchestrator) and
 * works on the durable store, so any pitlane process sees the same deployments.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { intFlag, UsageError } from '../usage.ts';
import { ConfigError } from '../../errors.ts';
import { loadDeploymentSpec } from '../../orchestrator/spec/load.ts';
import { compareConfigOf } from '../../orchestrator/analysis/compare-config.ts';
import type { Orchestrator } from '../../orchestrator/create.ts';
import { checkSpecJobs, engineForJob } from '../../orchestrator/engines.ts';
import { deploymentDir } from '../../orchestrator/state-dir.ts';
import { describeDeployment, failureSummary, stallOf } from '../../orchestrator/view.ts';
import { noiseReplicaOf, type Deployment } from '../../orchestrator/lifecycle/model.ts';
import { ensureNoiseTopic } from '../../orchestrator/analysis/noise-topic.ts';
import { EXIT } from '../exit-codes.ts';
import { emit, table } from '../output.ts';
import type { CliContext } from '../context.ts';
import { orchestratorOptions, withOrchestrator, type OrchestratorFlags } from './orchestrator-options.ts';
import { recordTaken } from './savepoint-trigger.ts';
import { registerGate, reportSummary } from './canary-gate.ts';

type Run = (fn: (ctx: CliContext) => Promise<number | void>) => Promise<void>;

type Common = OrchestratorFlags;

const common = orchestratorOptions;

async function mustLoad(orch: Orchestrator, name: string): Promise<Deployment> {
  const d = await orch.store.load(name);
  if (!d) throw new ConfigError('DEPLOYMENT_NOT_FOUND', `No deployment named ${name} in ${orch.store.description}.`, { hint: 'List them with `pitlane canary list` (same --store).' });
  return d;
}


/** Who runs a manual command, recorded with it in the deployment's history. */
function cliUser(): string {
  try {
    return `${userInfo().username} via cli`;
  } catch {
    return 'cli';
  }
}

export function registerCanary(program: Command, run: Run): void {
  const canary = program.command('canary').description('shadow a candidate beside the authoritative job, gate it, promote it or roll it back');

  common(canary.command('start').description('create a deployment from a spec and fork the candidate from a savepoint of the running job').argument('<spec>', 'deployment spec (YAML)')).action((file: string, o: Common) =>
    run((ctx) =>
      withOrchestrator(ctx, o, async (orch) => {
        const spec = await loadDeploymentSpec(file);
        await compareConfigOf(spec, `${file} (analysis)`); // checks (and custom checks' modules) are validated before anything is forked
        orch.controller.plan(spec); // and the promotion against what the engines can do
        await checkSpecJobs(orch.engines, spec, file); // and every job file loads
        const kafka = ctx.kafka().kafka;
        // Managed jobs retry an unreachable topic for a while (they ride through broker
        // restarts), so a missing canary topic is caught here, before anything is forked.
        if (!(await kafka.listTopics()).includes(spec.candidate.canary)) {
          throw new ConfigError('CANARY_TOPIC_NOT_FOUND', `The canary topic ${spec.candidate.canary} (candidate.canary in ${file}) does not exist.`, {
            hint: `Create it like the authoritative output: \`pitlane topic create ${spec.candidate.canary} --partitions ${await kafka.partitionCount(spec.authoritative.output).catch(() => 'N')}\`.`,
          });
        }
        if (spec.analysis.noiseTopic !== undefined) await ensureNoiseTopic(kafka, spec.analysis.noiseTopic, spec.authoritative.output, ctx.logger);
        await orch.controller.create(spec);
        const d = await orch.controller.dispatch(spec.name, { type: 'start' });
        emit(d, o, () => `${describeDeployment(d)}\n${d.phase === 'Aborted' ? '\nnothing was stopped: the authoritative job keeps running.' : `\nfollow it: pitlane canary status ${d.name}   gate: pitlane canary gate ${d.name} --wait`}`);
        return d.phase === 'Aborted' ? EXIT.FAIL : EXIT.OK;
      }),
    ),
  );

  common(canary.command('status').description('phase, verdict so far, jobs, pit stop').argument('<name>')).action((name: string, o: Common) =>
    run((ctx) =>
      withOrchestrator(ctx, o, async (orch) => {
        const d = await mustLoad(orch, name);
        const noise = noiseReplicaOf(d);
        const jobs = await Promise.all([...new Set([d.jobs.authoritative, d.jobs.candidate, d.jobs.live, ...(noise ? [noise.jobId] : [])])].map(async (j) => {
          const engine = engineForJob(orch.engines, d, j);
          return { ...(await engine.status(j)), metrics: await engine.metrics(j).catch(() => undefined) };
        }));
        const report = reportSummary(orch, name);
        const supervisor = orch.analysis.pidOf(name);
        const stall = stallOf(d, { supervisorRunning: supervisor !== undefined, authoritative: jobs.find((j) => j.jobId === d.jobs.authoritative) });
        const notifications = (await orch.store.notifications(name)).filter((n) => n.generation === d.generation).sort((x, y) => x.eventAt - y.eventAt || x.hook - y.hook);
        emit({ deployment: d, jobs, report, supervisor: supervisor ?? null, stall: stall ?? null, notifications }, o, () =>
          [
            describeDeployment(d),
            '',
            table([['JOB', 'STATE', 'SINK', 'IN', 'OUT', 'LAG', 'RESTARTS'], ...jobs.map((j) => [j.jobId, j.state, j.sinkTopic || '-', String(j.metrics?.recordsIn ?? '-'), String(j.metrics?.recordsOut ?? '-'), String(j.metrics?.inputLag ?? '-'), String(j.restarts ?? 0)])]),
            report ? `\nanalysis: ${report.verdict} after ${report.windows} window(s), ${report.a} vs ${report.b} records${report.noise !== undefined ? ` (noise replica: ${report.noise})` : ''} — ${report.reason}` : '',
            supervisor ? `shadow supervisor: pid ${supervisor}` : '',
            ...jobs.filter((j) => j.state === 'failed' && j.failure).map((j) => `✗ ${j.jobId} failed: ${failureSummary(j.failure!)}`),
            ...jobs.filter((j) => j.state !== 'failed' && j.lastFailure).map((j) => `↻ ${j.jobId} restarted ${j.restarts} time(s); last failure ${new Date(j.lastFailure!.at).toISOString()}: ${j.lastFailure!.reason.split('\n')[0]}`),
            stall ? `✗ ${stall.reason}\n  → ${stall.hint}` : '',
            ...notifications.map((n) => `webhook ${n.event} → ${n.url}: ${n.state} after ${n.attempts} attempt(s)${n.last?.error ? ` — ${n.last.error}` : ''}`),
          ].filter((l) => l !== '').join('\n'),
        );
      }),
    ),
  );

  common(canary.command('list').description('all deployments in the store')).action((o: Common) =>
    run((ctx) =>
      withOrchestrator(ctx, o, async (orch) => {
        const all = await orch.store.list();
        emit({ deployments: all }, o, () => (all.length === 0 ? 'no deployments' : table([['NAME', 'PHASE', 'REVISION', 'VERDICT', 'ACTIVE TOPIC'], ...all.map((d) => [d.name, d.phase, String(d.revision), d.verdict?.status ?? '-', d.activeTopic])])));
      }),
    ),
  );

  registerGate(canary, run);

  common(canary.command('promote').description('promote a passed candidate (cutover or savepoint handoff, as the spec says)').argument('<name>').option('--override-verdict <reason>', 'promote a Failed or Inconclusive candidate anyway; the reason is recorded').option('--skip-confirm <reason>', "promote without asking the spec's promotion.confirm hook; the reason is recorded")).action(
    (name: string, o: Common & { overrideVerdict?: string; skipConfirm?: string }) =>
      run((ctx) =>
        withOrchestrator(ctx, o, async (orch) => {
          const d = await orch.controller.dispatch(name, { type: 'promote', ...(o.overrideVerdict ? { override: { reason: o.overrideVerdict } } : {}), ...(o.skipConfirm !== undefined ? { skipConfirm: { reason: o.skipConfirm } } : {}), by: cliUser() });
          emit(d, o, () => describeDeployment(d));
        }),
      ),
  );

  common(canary.command('abort').description('stop the candidate (its savepoint and report are kept); the authoritative job is not touched').argument('<name>').requiredOption('--reason <text>', 'why')).action(
    (name: string, o: Common & { reason: string }) =>
      run((ctx) =>
        withOrchestrator(ctx, o, async (orch) => {
          const d = await orch.controller.dispatch(name, { type: 'abort', reason: o.reason, by: cliUser() });
          emit(d, o, () => describeDeployment(d));
        }),
      ),
  );

  common(canary.command('rollback').description('return to the previous version from the savepoint kept at promotion').argument('<name>').option('--reason <text>', 'why')).action(
    (name: string, o: Common & { reason?: string }) =>
      run((ctx) =>
        withOrchestrator(ctx, o, async (orch) => {
          const d = await orch.controller.dispatch(name, { type: 'rollback', ...(o.reason ? { reason: o.reason } : {}), by: cliUser() });
          emit(d, o, () => describeDeployment(d));
        }),
      ),
  );

  common(canary.command('resume').description('continue pending steps after a crash or a failed step; restarts the shadow supervisor').argument('<name>')).action((name: string, o: Common) =>
    run((ctx) =>
      withOrchestrator(ctx, o, async (orch) => {
        let d = await orch.controller.resume(name);
        // A supervisor killed while shadowing is started again (a no-op if it runs).
        if (['Shadowing', 'Analyzing', 'Passed', 'Inconclusive'].includes(d.phase)) await orch.analysis.start(d);
        d = await mustLoad(orch, name);
        emit(d, o, () => describeDeployment(d));
      }),
    ),
  );

  common(canary.command('launch').description("start a spec's authoritative job as a managed job (its own process; survives the CLI)").argument('<spec>').option('--parallelism <n>', 'parallelism of the job', '1').option('--from <pos>', 'earliest or latest input position', 'earliest')).action(
    (file: string, o: Common & { parallelism: string; from: string }) =>
      run((ctx) =>
        withOrchestrator(ctx, o, async (orch) => {
          const parallelism = intFlag('--parallelism', o.parallelism);
          if (o.from !== 'earliest' && o.from !== 'latest') throw new UsageError('CLI_BAD_FROM', `--from ${o.from} is not earliest or latest.`);
          const spec = await loadDeploymentSpec(file);
          await compareConfigOf(spec, `${file} (analysis)`); // a spec whose checks will not load is refused before its job starts
          await checkSpecJobs(orch.engines, spec, file);
          const a = spec.authoritative;
          const jobId = a.jobId;
          // On the engine the spec names: a Flink job is submitted to the cluster, an embedded one gets its own process.
          const engine = orch.engines.adapter(a.engine, spec);
          await engine.start({ requestId: `launch/${jobId}/${Date.now()}`, jobId, job: a.job, ...(a.flink ? { flink: a.flink } : {}), parallelism, inputs: spec.inputs, from: { input: o.from }, sinkTopic: a.output, identity: `pitlane.${spec.name}.${jobId}`, delivery: spec.delivery, recovery: spec.recovery });
          const s = await engine.status(jobId);
          const where = a.engine === 'embedded' ? `log ${orch.engine.logFile(jobId)}` : `on Flink: \`pitlane flink status ${jobId}\``;
          emit({ ...s, engine: a.engine }, o, () => `${jobId} ${s.state}: ${a.job} → ${a.output} (${where})`);
        }),
      ),
  );

  common(canary.command('stop-job').description('stop a managed job (with --savepoint, a final savepoint first)').argument('<jobId>').option('--savepoint', 'take a final savepoint')).action(
    (jobId: string, o: Common & { savepoint?: boolean }) =>
      run((ctx) =>
        withOrchestrator(ctx, o, async (orch) => {
          const requestId = `stop/${jobId}/${Date.now()}`;
          if (o.savepoint) {
            const sp = await orch.engine.stopWithSavepoint(jobId, { requestId });
            await recordTaken(orch, { job: jobId, path: sp.location, completedAt: sp.completedAt, engine: 'embedded' }, 'stop');
            emit(sp, o, () => `${jobId} stopped; savepoint ${sp.location}`);
          } else {
            await orch.engine.cancel(jobId, { requestId });
            emit({ jobId, stopped: true }, o, () => `${jobId} stopped`);
          }
        }),
      ),
  );

  common(canary.command('report').description('the live comparison report').argument('<name>').option('--format <f>', 'table, json or html', 'table')).action((name: string, o: Common & { format: string }) =>
    run((ctx) =>
      withOrchestrator(ctx, o, async (orch) => {
        await mustLoad(orch, name);
        const ext = o.json ? 'json' : ({ table: 'txt', json: 'json', html: 'html' } as Record<string, string>)[o.format];
        if (!ext) throw new UsageError('CLI_BAD_FORMAT', `--format ${o.format} is not table, json or html.`);
        const f = join(deploymentDir(orch.stateDir, name), `report.${ext}`);
        if (!existsSync(f)) throw new ConfigError('REPORT_NOT_YET', `${name} has no report yet (${f}).`, { hint: 'The first one is written about a second after shadowing starts.' });
        process.stdout.write(`${readFileSync(f, 'utf8')}\n`);
      }),
    ),
  );
}
