/**
 * `pitlane dashboard`: a fastify server over the durable store and the
 * deployments' reports. It serves the page (src/dashboard/public/, with uPlot
 * from node_modules: nothing loads from a CDN), the JSON API (api.ts), live
 * updates as server-sent events (/api/events, from the watcher, live.ts) and
 * /metrics for Prometheus (metrics.ts). Everything it shows comes from the
 * store and the report files, so any machine that reaches the store shows the
 * same deployments; only the manual commands change anything.
 */
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import fastifySse from '@fastify/sse';
import { describeUnknown } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Deployment, ManualEvent } from '../orchestrator/lifecycle/model.ts';
import type { DeploymentStore } from '../orchestrator/store/port.ts';
import { registerApi } from './api.ts';
import { StoreWatcher, reportFileIn, type LiveEvent } from './live.ts';
import { renderMetrics, type JobSample } from './metrics.ts';
import { ReportReader } from './reports.ts';

export interface DashboardOptions {
  readonly store: Pick<DeploymentStore, 'description' | 'list' | 'load' | 'history' | 'savepoints'>;
  /** The orchestrator's state directory: where the deployments' reports are. */
  readonly stateDir: string;
  /** Allows promote, abort and rollback to whoever presents it; none: read-only. */
  readonly token?: string | undefined;
  readonly dispatch: (name: string, event: ManualEvent) => Promise<Deployment>;
  /** The metrics of a deployment's running jobs, for /metrics (best effort; absent where no engine answers). */
  readonly jobs?: (d: Deployment) => Promise<JobSample[]>;
  readonly logger: Logger;
  /** How often the store is read for live updates (default 1000 ms). */
  readonly pollMs?: number;
  readonly now?: () => number;
}

export interface Dashboard {
  readonly app: FastifyInstance;
  readonly watcher: StoreWatcher;
  /** The address it listens on (after listen). */
  readonly url: string;
  close(): Promise<void>;
}

const PUBLIC = join(dirname(fileURLToPath(import.meta.url)), 'public');
const UPLOT = join(dirname(createRequire(import.meta.url).resolve('uplot')), '.');

/** Phases whose jobs run: /metrics asks their engines for throughput, lag and state. */
const RUNNING = new Set(['Forking', 'Shadowing', 'Analyzing', 'Passed', 'Failed', 'Inconclusive', 'Promoting', 'Promoted']);

export async function buildDashboard(o: DashboardOptions): Promise<Omit<Dashboard, 'url'>> {
  const now = o.now ?? Date.now;
  const reports = new ReportReader(o.stateDir);
  const watcher = new StoreWatcher({ list: () => o.store.list(), reportFile: (n) => reportFileIn(reports.dir(n)), intervalMs: o.pollMs ?? 1000, logger: o.logger, now });
  const app = Fastify({ loggerInstance: o.logger as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }), forceCloseConnections: true, bodyLimit: 64 * 1024 });
  // The package's types declare an ES default export; at run time it is CommonJS whose export carries `.default` (fastify-plugin).
  await app.register(fastifySse.default, { heartbeatInterval: 15_000 });
  await app.register(fastifyStatic, { root: PUBLIC, prefix: '/', index: ['index.html'] });
  await app.register(fastifyStatic, { root: UPLOT, prefix: '/vendor/uplot/', decorateReply: false, allowedPath: (p) => /^\/?uPlot\.(iife\.min\.js|min\.css)$/.test(p) });
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('content-security-policy', "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:");
    return payload;
  });

  watcher.subscribe((e) => (e.type === 'change' && e.removed.length > 0 ? reports.forget(e.removed) : undefined));
  registerApi(app, { store: o.store, watcher, reports, token: o.token, dispatch: o.dispatch });

  app.get('/api/events', { sse: true }, async (req, reply) => {
    reply.sse.keepAlive();
    const snap = watcher.snapshot();
    await reply.sse.send({ event: 'store', data: { type: 'store', up: snap.up, message: snap.message } });
    const unsubscribe = watcher.subscribe((e: LiveEvent) => {
      if (!reply.sse.isConnected) return;
      reply.sse.send({ event: e.type, data: e }).catch((err: unknown) => req.log.debug({ err: describeUnknown(err) }, 'live update not sent'));
    });
    reply.sse.onClose(() => unsubscribe());
  });

  app.get('/metrics', async (_req, reply) => {
    const snap = watcher.snapshot();
    const deployments = await Promise.all(
      snap.deployments.map(async (deployment) => {
        const report = await reports.latestMetrics(deployment.name);
        const jobs = o.jobs && RUNNING.has(deployment.phase) ? await o.jobs(deployment).catch(() => []) : [];
        return { deployment, report, jobs };
      }),
    );
    const out = await renderMetrics({ deployments, store: { description: o.store.description, up: snap.up, readSeconds: snap.readMs === null ? null : snap.readMs / 1000 } });
    return reply.type(out.contentType).send(out.text);
  });

  app.get('/healthz', async () => ({ ok: true, store: watcher.snapshot().up }));

  return {
    app,
    watcher,
    close: async () => {
      await watcher.stop();
      await app.close();
    },
  };
}

/** Builds the dashboard, reads the store once, and listens. */
export async function startDashboard(o: DashboardOptions, listen: { readonly host: string; readonly port: number }): Promise<Dashboard> {
  const d = await buildDashboard(o);
  await d.watcher.start();
  try {
    const url = await d.app.listen({ host: listen.host, port: listen.port });
    return { ...d, url };
  } catch (e) {
    await d.close();
    throw e;
  }
}
