/**
 * `pitlane flink savepoint | stop | cancel | status NAME`: the operations on a job
 * `pitlane flink run` started (or the orchestrator did), by pitlane's name of it.
 * Savepoint and stop are idempotent by --request-id: a repeat answers the first
 * savepoint and never takes a second.
 */
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { EXIT } from '../exit-codes.ts';
import { emit, table } from '../output.ts';
import { withOrchestrator } from './orchestrator-options.ts';
import { recordTaken } from './savepoint-trigger.ts';

type Run = (fn: (ctx: CliContext) => Promise<number | void>) => Promise<void>;

/** The options every `pitlane flink` command shares. */
export const REST = ['--flink-rest <url>', 'the Flink REST endpoint (default: $FLINK_REST_URL, else the local dev cluster)'] as const;
const STORE = ['--store <where>', 'where the savepoint history is: kafka[:TOPIC] or dir:PATH (default: $PITLANE_STORE or kafka:pitlane.deployments)'] as const;
export const REQUEST = ['--request-id <id>', 'makes the call idempotent: a repeat with the same id acts once (default: a new id)'] as const;

/** The request id of a call: the one given, else a new one (the call then acts once, as any other). */
export const requestIdOf = (given: string | undefined): string => given ?? `cli-${randomUUID()}`;

export function registerFlinkOperations(flink: Command, run: Run): void {
  flink
    .command('savepoint')
    .description('take a savepoint of a running job (it keeps running); prints where it is')
    .argument('<name>', 'pitlane\'s name of the job (`flink run --name`)')
    .option('--dir <dir>', 'where the savepoint goes (default: the cluster\'s execution.checkpointing.savepoint-dir)')
    .option(...REQUEST)
    .option(...REST)
    .option(...STORE)
    .option('--json', 'print the result as JSON')
    .action((name: string, o: { dir?: string; requestId?: string; flinkRest?: string; store?: string; json?: boolean }) =>
      run(async (ctx) => {
        const engine = ctx.flink(o.flinkRest);
        const r = await engine.savepoint(name, { requestId: requestIdOf(o.requestId), ...(o.dir ? { targetDir: o.dir } : {}) });
        await withOrchestrator(ctx, { store: o.store }, (orch) => recordTaken(orch, { job: name, path: r.location, completedAt: r.completedAt, engine: 'flink', cluster: engine.cluster }, 'manual'));
        emit({ job: name, ...r }, o, () => r.location);
      }),
    );

  flink
    .command('stop')
    .description('stop a job with a savepoint (no drain: for a handoff); --drain fires every timer and window first (a decommission)')
    .argument('<name>', 'pitlane\'s name of the job')
    .option('--savepoint-dir <dir>', 'where the savepoint goes (default: the cluster\'s savepoint dir)')
    .option('--drain', 'advance the watermark to +∞ first: every timer and window fires and is written')
    .option(...REQUEST)
    .option(...REST)
    .option(...STORE)
    .option('--json', 'print the result as JSON')
    .action((name: string, o: { savepointDir?: string; drain?: boolean; requestId?: string; flinkRest?: string; store?: string; json?: boolean }) =>
      run(async (ctx) => {
        const engine = ctx.flink(o.flinkRest);
        const r = await engine.stopWithSavepoint(name, { requestId: requestIdOf(o.requestId), drain: o.drain === true, ...(o.savepointDir ? { targetDir: o.savepointDir } : {}) });
        await withOrchestrator(ctx, { store: o.store }, (orch) => recordTaken(orch, { job: name, path: r.location, completedAt: r.completedAt, engine: 'flink', cluster: engine.cluster }, 'stop'));
        emit({ job: name, stopped: true, drained: o.drain === true, ...r }, o, () => `stopped ${name}; savepoint ${r.location}`);
      }),
    );

  flink
    .command('cancel')
    .description('cancel a job without a savepoint (a job that is not running is left as it is)')
    .argument('<name>', 'pitlane\'s name of the job')
    .option(...REST)
    .option('--json', 'print the result as JSON')
    .action((name: string, o: { flinkRest?: string; json?: boolean }) =>
      run(async (ctx) => {
        const engine = ctx.flink(o.flinkRest);
        await engine.cancel(name, { requestId: requestIdOf(undefined) });
        const state = (await engine.status(name)).state;
        emit({ job: name, state }, o, () => `${name}: ${state}`);
      }),
    );

  flink
    .command('status')
    .description('state (with Flink\'s root cause when it failed), committed input positions, records in/out, lag and watermarks; exit 1 when failed')
    .argument('<name>', 'pitlane\'s name of the job')
    .option(...REST)
    .option('--json', 'print the result as JSON')
    .action((name: string, o: { flinkRest?: string; json?: boolean }) =>
      run(async (ctx) => {
        const engine = ctx.flink(o.flinkRest);
        const status = await engine.status(name);
        const live = status.state === 'running' || status.state === 'starting';
        const metrics = live ? await engine.metrics(name).catch(() => undefined) : undefined;
        const watermark = live ? await engine.watermark(name).catch(() => undefined) : undefined;
        const flinkJobId = engine.record(name)?.flinkJobId;
        const result = { ...status, ...(flinkJobId ? { flinkJobId } : {}), ...(metrics ? { metrics } : {}), ...(watermark ? { watermark } : {}) };
        emit(result, o, () => {
          const lines = [`${name}: ${status.state}${status.failure ? ` — ${status.failure}` : ''}`];
          if (metrics) lines.push(`records in ${metrics.recordsIn}, out ${metrics.recordsOut}, lag ${metrics.inputLag}, ${metrics.inRate.toFixed(1)}/s in`);
          if (watermark?.perVertex) lines.push(table([['VERTEX', 'WATERMARK'], ...watermark.perVertex.map((v) => [v.name.slice(0, 60), v.watermark === undefined ? '-' : new Date(v.watermark).toISOString()])]));
          if (status.positions.length > 0) lines.push(table([['TOPIC', 'PARTITION', 'COMMITTED'], ...status.positions.map((p) => [p.topic, String(p.partition), String(p.offset)])]));
          return lines.join('\n');
        });
        return status.state === 'failed' ? EXIT.FAIL : EXIT.OK;
      }),
    );
}
