/**
 * The orchestrator's composition root (design.md §2): builds the store, the engine
 * adapter, the analysis port and the cutover from one connection, logger and
 * clock. Every entry point (CLI commands, the shadow supervisor, the benchmark)
 * gets its orchestrator here; nothing reaches for a global.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { ConnectionConfig } from '../config/connection.ts';
import type { KafkaPort } from '../kafka/port.ts';
import { join } from 'node:path';
import { EmbeddedAdapter } from '../engines/embedded/adapter.ts';
import { FlinkAdapter } from '../engines/flink/adapter.ts';
import type { SavepointTool } from '../engines/flink/savepoint-tool.ts';
import type { EngineAdapter, EngineKind } from '../engines/adapter.ts';
import type { EngineSet } from './engines.ts';
import type { DeploymentSpec } from './spec/schema.ts';
import { DeploymentController } from './controller/controller.ts';
import { sleep, systemClock, type Clock } from '../clock.ts';
import { KafkaCutover } from './cutover/kafka-cutover.ts';
import { KafkaDeploymentStore, DEFAULT_STORE_TOPIC } from './store/kafka-store.ts';
import { LocalDeploymentStore } from './store/local-store.ts';
import type { DeploymentStore } from './store/port.ts';
import type { PendingEffect } from './lifecycle/model.ts';
import { SupervisorAnalysis } from './analysis/supervisor.ts';
import { defaultStateDir, deploymentDir } from './state-dir.ts';
import { SavepointHistory } from './savepoints/history.ts';
import { Notifier } from './notify/notifier.ts';
import { httpConfirm } from './notify/confirm.ts';
import { postJson } from './notify/http.ts';
import type { ReportLinks } from './notify/events.ts';

export interface OrchestratorOptions {
  readonly connection: ConnectionConfig;
  readonly kafka: KafkaPort;
  readonly logger: Logger;
  /** `kafka[:TOPIC]` (default) or `dir:PATH`. */
  readonly store?: string | undefined;
  /** Job hosts, savepoints, reports (default $PITLANE_STATE_DIR or ~/.local/state/pitlane/orchestrator). */
  readonly stateDir?: string | undefined;
  readonly clock?: Clock;
  /**
   * Where Flink jobs run: `explicit` (a --flink-rest flag) wins over a spec's
   * `flink.rest`, which wins over `fallback` (FLINK_REST_URL, else the local dev cluster).
   */
  readonly flinkRest?: FlinkRestChoice | undefined;
  /** The Flink preflight's savepoint tool (engines/flink/savepoint-tool.ts); without it a Flink preflight only builds the job graph. */
  readonly flinkSavepointTool?: SavepointTool | undefined;
  /** Set by a shadow supervisor's own process: the deployment it supervises and how to stop its loop. */
  readonly supervising?: { readonly name: string; readonly stop: () => void };
}

export interface FlinkRestChoice {
  readonly explicit?: string | undefined;
  readonly fallback?: string | undefined;
}

export interface Orchestrator {
  readonly controller: DeploymentController;
  readonly store: DeploymentStore;
  /** The embedded engine (job logs, `canary launch` of an embedded job). */
  readonly engine: EmbeddedAdapter;
  /** Every engine, by kind; `engineForJob` (engines.ts) picks a job's. */
  readonly engines: EngineSet;
  readonly analysis: SupervisorAnalysis;
  /** The savepoint history in the store, disposing through the engine that wrote each savepoint. */
  readonly savepoints: SavepointHistory;
  /** Delivers the webhooks' events (notify/); `close` waits for what it has begun. */
  readonly notifier: Notifier;
  readonly stateDir: string;
  readonly storeSpec: string;
  close(): Promise<void>;
}

/** How long a managed job or supervisor keeps retrying an unreachable broker before it fails. */
export const MANAGED_OUTAGE_TOLERANCE_MS = 60_000;

/** The shadow supervisor's process entry (and composition root). */
const SUPERVISOR_MAIN = fileURLToPath(new URL('./supervisor-main.ts', import.meta.url));

export function openStore(spec: string, kafka: KafkaPort): DeploymentStore {
  if (spec === 'kafka') return new KafkaDeploymentStore(kafka, { topic: DEFAULT_STORE_TOPIC });
  if (spec.startsWith('kafka:')) return new KafkaDeploymentStore(kafka, { topic: spec.slice('kafka:'.length) });
  if (spec.startsWith('dir:')) return new LocalDeploymentStore(resolve(spec.slice('dir:'.length)));
  throw new ConfigError('STORE_BAD_SPEC', `--store ${JSON.stringify(spec)} is not kafka[:TOPIC] or dir:PATH.`, { hint: 'Use --store kafka (default: the compacted topic pitlane.deployments) or --store dir:./deployments for offline use.' });
}

export function createOrchestrator(o: OrchestratorOptions): Orchestrator {
  const clock = o.clock ?? systemClock;
  const stateDir = resolve(o.stateDir ?? defaultStateDir());
  const storeSpec = o.store ?? process.env.PITLANE_STORE ?? 'kafka';
  const store = openStore(storeSpec, o.kafka);
  // Job hosts and shadow supervisors outlive this process and must ride through a
  // broker restart; the connection they are given says so (commands still fail fast).
  const managed = { ...o.connection, outageToleranceMs: o.connection.outageToleranceMs ?? MANAGED_OUTAGE_TOLERANCE_MS };
  const engine = new EmbeddedAdapter({ stateDir, connection: managed, logger: o.logger });
  const engines = engineSet(engine, { ...o, connection: managed }, stateDir);
  const analysis = new SupervisorAnalysis({ stateDir, storeSpec, connection: managed, logger: o.logger, entry: SUPERVISOR_MAIN, self: o.supervising, flinkRest: o.flinkRest });
  const cutover = new KafkaCutover(o.kafka, clock, o.logger);
  // PITLANE_CRASH_AFTER_EFFECT=<effect type>: kill -9 this process right after
  // performing that effect, before recording it (the crash tests' seam).
  const crashAfter = process.env.PITLANE_CRASH_AFTER_EFFECT;
  const afterEffect = crashAfter ? (p: PendingEffect) => (p.effect.type === crashAfter ? process.kill(process.pid, 'SIGKILL') : undefined) : undefined;
  // A Flink savepoint is disposed of by the cluster that wrote it, whatever cluster this command names.
  const savepoints = new SavepointHistory(
    store,
    (r) => (r.engine === 'flink' && r.cluster ? createFlinkAdapter(r.cluster, { ...o, connection: managed, stateDir }) : engines.adapter(r.engine)).disposeSavepoint(r.location),
    clock,
    o.logger,
  );
  const reportLinks = (name: string) => reportLinksOf(stateDir, name);
  const notifier = new Notifier({ store, post: postJson, clock, sleep, logger: o.logger, reportLinks });
  const confirm = httpConfirm(postJson, reportLinks);
  const controller = new DeploymentController({ store, engines, clock, logger: o.logger, analysis, cutover, savepoints, notifier, confirm, ...(afterEffect ? { afterEffect } : {}) });
  // A command ends once the webhooks it owes are delivered or out of attempts (each bounded by its spec).
  const close = async () => {
    await notifier.flush();
    await store.close();
  };
  return { controller, store, engine, engines, analysis, savepoints, notifier, stateDir, storeSpec, close };
}

/** Where a webhook's receiver finds the report: its files, and the dashboard's page when PITLANE_DASHBOARD_URL names one. */
function reportLinksOf(stateDir: string, name: string): ReportLinks {
  const dir = deploymentDir(stateDir, name);
  const dashboard = process.env.PITLANE_DASHBOARD_URL;
  return { json: join(dir, 'report.json'), html: join(dir, 'report.html'), ...(dashboard ? { dashboard: `${dashboard.replace(/\/+$/, '')}/#/d/${encodeURIComponent(name)}` } : {}) };
}

/**
 * The embedded adapter, and a Flink adapter per REST endpoint, made when a job
 * first needs it: an orchestrator that never touches a Flink job needs no cluster.
 */
function engineSet(embedded: EmbeddedAdapter, o: OrchestratorOptions, stateDir: string): EngineSet {
  const flinks = new Map<string, FlinkAdapter>();
  return {
    adapter(kind: EngineKind, spec?: Pick<DeploymentSpec, 'flink'>): EngineAdapter {
      if (kind === 'embedded') return embedded;
      const url = o.flinkRest?.explicit ?? spec?.flink?.rest ?? o.flinkRest?.fallback;
      if (!url) throw flinkNotConfigured('This deployment runs a job on Flink, but no Flink cluster is named and no local one runs.', 'Name the JobManager\'s REST endpoint in the spec (flink: { rest: URL }), with --flink-rest URL or FLINK_REST_URL; or start the local one with `pitlane dev up --flink`.');
      let flink = flinks.get(url);
      if (!flink) {
        flink = createFlinkAdapter(url, { ...o, stateDir, savepointTool: o.flinkSavepointTool });
        flinks.set(url, flink);
      }
      return flink;
    },
  };
}

/** The Flink adapter for a cluster: its files under `<stateDir>/flink`, the jobs' Kafka as pitlane's own. */
export function createFlinkAdapter(restUrl: string, o: { readonly stateDir: string; readonly connection: ConnectionConfig; readonly kafka: KafkaPort; readonly logger: Logger; readonly savepointTool?: SavepointTool | undefined }): FlinkAdapter {
  return new FlinkAdapter({ restUrl, stateDir: join(o.stateDir, 'flink'), bootstrapServers: o.connection.brokers.join(','), kafka: o.kafka, logger: o.logger, outageToleranceMs: o.connection.outageToleranceMs, savepointTool: o.savepointTool });
}

/** No Flink cluster to drive a Flink job on: `hint` says where this caller takes one from. */
export function flinkNotConfigured(message: string, hint: string): ConfigError {
  return new ConfigError('FLINK_NOT_CONFIGURED', message, { hint });
}
