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
import { EmbeddedAdapter } from '../engines/embedded/adapter.ts';
import { DeploymentController } from './controller/controller.ts';
import { systemClock, type Clock } from '../clock.ts';
import { KafkaCutover } from './cutover/kafka-cutover.ts';
import { KafkaDeploymentStore, DEFAULT_STORE_TOPIC } from './store/kafka-store.ts';
import { LocalDeploymentStore } from './store/local-store.ts';
import type { DeploymentStore } from './store/port.ts';
import type { PendingEffect } from './lifecycle/model.ts';
import { SupervisorAnalysis } from './analysis/supervisor.ts';
import { defaultStateDir } from './state-dir.ts';

export interface OrchestratorOptions {
  readonly connection: ConnectionConfig;
  readonly kafka: KafkaPort;
  readonly logger: Logger;
  /** `kafka[:TOPIC]` (default) or `dir:PATH`. */
  readonly store?: string | undefined;
  /** Job hosts, savepoints, reports (default $PITLANE_STATE_DIR or ~/.local/state/pitlane/orchestrator). */
  readonly stateDir?: string | undefined;
  readonly clock?: Clock;
  /** Set by a shadow supervisor's own process: the deployment it supervises and how to stop its loop. */
  readonly supervising?: { readonly name: string; readonly stop: () => void };
}

export interface Orchestrator {
  readonly controller: DeploymentController;
  readonly store: DeploymentStore;
  readonly engine: EmbeddedAdapter;
  readonly analysis: SupervisorAnalysis;
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
  const analysis = new SupervisorAnalysis({ stateDir, storeSpec, connection: managed, logger: o.logger, entry: SUPERVISOR_MAIN, self: o.supervising });
  const cutover = new KafkaCutover(o.kafka, clock, o.logger);
  // PITLANE_CRASH_AFTER_EFFECT=<effect type>: kill -9 this process right after
  // performing that effect, before recording it (the crash tests' seam).
  const crashAfter = process.env.PITLANE_CRASH_AFTER_EFFECT;
  const afterEffect = crashAfter ? (p: PendingEffect) => (p.effect.type === crashAfter ? process.kill(process.pid, 'SIGKILL') : undefined) : undefined;
  const controller = new DeploymentController({ store, engine, clock, logger: o.logger, analysis, cutover, ...(afterEffect ? { afterEffect } : {}) });
  return { controller, store, engine, analysis, stateDir, storeSpec, close: () => store.close() };
}
