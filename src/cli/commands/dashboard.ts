/**
 * `pitlane dashboard`: the web dashboard (src/dashboard/) over the same store and
 * state directory as `pitlane canary`, built from the same composition root, so
 * its promote/abort/rollback are the controller calls the CLI makes. Runs until
 * SIGINT/SIGTERM.
 */
import type { Command } from 'commander';
import { UsageError } from '../usage.ts';
import { ConfigError } from '../../errors.ts';
import { createOrchestrator } from '../../orchestrator/create.ts';
import { engineForJob } from '../../orchestrator/engines.ts';
import { noiseReplicaOf, roleOfJob, type Deployment } from '../../orchestrator/lifecycle/model.ts';
import { startDashboard } from '../../dashboard/server.ts';
import type { JobSample } from '../../dashboard/metrics.ts';
import { parseDuration } from '../../config/duration.ts';
import type { CliContext } from '../context.ts';

type Run = (fn: (ctx: CliContext) => Promise<number | void>) => Promise<void>;

interface Options {
  port: string;
  host: string;
  token?: string;
  store?: string;
  stateDir?: string;
  flinkRest?: string;
  poll: string;
}

/** A promise's value, or undefined when it fails or takes longer than `ms`. */
async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)));
  try {
    return await Promise.race([p.catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The jobs of a deployment that run in its phase, by role. */
function jobsOf(d: Deployment): { jobId: string; role: string }[] {
  if (d.phase === 'Promoted') return [{ jobId: d.jobs.live, role: 'live' }];
  const noise = noiseReplicaOf(d);
  return [{ jobId: d.jobs.authoritative, role: 'authoritative' }, { jobId: d.jobs.candidate, role: 'candidate' }, ...(noise ? [{ jobId: noise.jobId, role: 'noise' }] : [])];
}

export function registerDashboard(program: Command, run: Run): void {
  program
    .command('dashboard')
    .description('web dashboard of the deployments: live verdicts, charts per check, report history, manual promote/abort/rollback, /metrics for Prometheus')
    .option('--port <n>', 'port to listen on (0: any free port)', '8047')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--token <token>', 'allow promote, abort and rollback to whoever presents this token (default: $PITLANE_DASHBOARD_TOKEN; none: read-only)')
    .option('--store <where>', 'deployment store: kafka[:TOPIC] or dir:PATH (default: $PITLANE_STORE or kafka:pitlane.deployments)')
    .option('--state-dir <dir>', 'where the deployments\' reports are (default: $PITLANE_STATE_DIR or ~/.local/state/pitlane/orchestrator)')
    .option('--flink-rest <url>', 'the Flink cluster of the deployments\' Flink jobs (default: the spec\'s flink.rest, else $FLINK_REST_URL)')
    .option('--poll <duration>', 'how often the store is read for live updates', '1s')
    .action((o: Options) =>
      run(async (ctx) => {
        const port = Number(o.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('CLI_BAD_PORT', `--port ${o.port} is not a port number.`, { hint: 'Use 0..65535 (0: any free port).' });
        const poll = parseDuration(o.poll);
        if ('error' in poll) throw new UsageError('CLI_BAD_DURATION', `--poll ${poll.error}`, { hint: 'Write e.g. 1s or 500ms.' });
        const token = o.token ?? process.env.PITLANE_DASHBOARD_TOKEN;
        const orch = createOrchestrator({ connection: ctx.connection(), kafka: ctx.kafka().kafka, logger: ctx.logger, store: o.store, stateDir: o.stateDir, flinkRest: ctx.flinkRestChoice(o.flinkRest) });
        const jobs = async (d: Deployment): Promise<JobSample[]> =>
          Promise.all(
            jobsOf(d).map(async ({ jobId, role }) => {
              const kind = d.spec[roleOfJob(d, jobId)].engine;
              const metrics = await within(Promise.resolve().then(() => engineForJob(orch.engines, d, jobId).metrics(jobId)), 2000);
              return { jobId, role, engine: kind, metrics };
            }),
          );
        const dashboard = await startDashboard(
          { store: orch.store, stateDir: orch.stateDir, token: token || undefined, dispatch: (name, event) => orch.controller.dispatch(name, event), jobs, logger: ctx.logger, pollMs: poll.ms },
          { host: o.host, port },
        ).catch(async (e: unknown) => {
          await orch.close();
          if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new ConfigError('DASHBOARD_PORT_IN_USE', `Port ${port} on ${o.host} is in use.`, { hint: 'Pick another with --port (0: any free port).' });
          throw e;
        });
        process.stdout.write(`pitlane dashboard on ${dashboard.url} (store ${orch.store.description}, ${token ? 'promote/abort/rollback with the token' : 'read-only: no token'})\n`);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await dashboard.close();
        await orch.close();
      }),
    );
}
