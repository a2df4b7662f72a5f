import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DevEnvError, describeUnknown } from '../errors.ts';
import { resolveConnection } from '../config/connection.ts';
import { KafkaJsPort } from '../kafka/kafkajs-port.ts';
import { silentLogger, type Logger } from '../logger.ts';
import { brokerLayout, ensureKafkaJars, prepareBroker, spawnBroker, KAFKA_JARS, KAFKA_VERSION } from './kafka-broker.ts';
import { readMarker } from './maven.ts';
import { isAlive, isPortFree, stopPid, tailFile } from '../process/index.ts';
import { readRecord, removeRecord, stateOf, writeRecord, type ServiceName, type ServiceRecord, type ServiceStart, type ServiceState } from './service-state.ts';
import { cacheRoot } from './paths.ts';
import { registryService, REGISTRY_NAME } from './registry-service.ts';
import { sleep } from '../clock.ts';
import { devUpFlink, FLINK_SERVICES } from './flink-launcher.ts';
import { flinkLayout } from './flink-cluster.ts';

export interface DevUpOptions {
  readonly devDir: string;
  readonly port?: number;
  readonly controllerPort?: number;
  /** Also start the Confluent-compatible schema registry. */
  readonly registry?: boolean;
  readonly registryPort?: number;
  /** Also start the local Flink session cluster (src/dev/flink-launcher.ts). */
  readonly flink?: boolean;
  /** Flink's REST port; a free one when unset. */
  readonly flinkRestPort?: number;
  readonly readyTimeoutMs?: number;
  readonly cacheDir?: string;
  readonly logger?: Logger;
  /** Told each long step as it begins (resolving jars, building, starting, waiting), for a person to follow. */
  readonly progress?: (step: string) => void;
}

export type { ServiceStart } from './service-state.ts';

export interface ServiceStatus {
  readonly service: ServiceName;
  readonly state: ServiceState;
  readonly pid?: number;
  readonly url?: string;
  readonly logFile?: string;
  readonly uptimeSeconds?: number;
}


async function waitForBroker(record: ServiceRecord, timeoutMs: number): Promise<void> {
  const conn = resolveConnection({ brokers: record.url, env: {} });
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (!isAlive(record.pid)) {
      throw new DevEnvError('DEV_KAFKA_EXITED', `The Kafka broker exited during start-up. Last lines of ${record.logFile}:\n${tailFile(record.logFile, 25).join('\n')}`, {
        hint: 'Read the log above; a stale data dir can be cleared with `pitlane dev down --purge`.',
      });
    }
    // A fresh client per attempt: a client whose first connection failed is closed, not reused.
    const port = new KafkaJsPort(conn, silentLogger());
    try {
      await port.ping();
      // Ready means a consumer group can be used: the first group lookup creates the
      // offsets topic, whose coordinator then loads (seconds on a busy machine).
      await port.describeGroup('pitlane-dev-ready');
      return;
    } catch (e) {
      last = describeUnknown(e);
    } finally {
      await port.close();
    }
    await sleep(250);
  }
  await stopPid(record.pid, 5000);
  throw new DevEnvError('DEV_KAFKA_NOT_READY', `The Kafka broker did not answer metadata and consumer group requests within ${Math.round(timeoutMs / 1000)} s (last error: ${last}). It was stopped. Last lines of ${record.logFile}:\n${tailFile(record.logFile, 25).join('\n')}`, {
    retriable: true,
    hint: 'A slow first start can need a longer --timeout; otherwise the log above says why.',
  });
}

async function requireFreePort(port: number, what: string): Promise<void> {
  if (!(await isPortFree(port))) {
    throw new DevEnvError('DEV_PORT_IN_USE', `Port ${port} on 127.0.0.1 (${what}) is already taken by another process.`, {
      hint: `Stop whatever listens there (\`ss -ltnp 'sport = :${port}'\` shows it) or choose another port with --${what === 'Kafka' ? 'port' : what === 'KRaft controller' ? 'controller-port' : 'registry-port'}.`,
    });
  }
}

async function upKafka(opts: DevUpOptions): Promise<ServiceStart> {
  const existing = readRecord(opts.devDir, 'kafka');
  if (existing && stateOf(existing) === 'running') {
    return { service: 'kafka', alreadyRunning: true, pid: existing.pid, url: existing.url, logFile: existing.logFile, resolveMs: 0, downloaded: false, readyMs: 0 };
  }
  const port = opts.port ?? 9092;
  const controllerPort = opts.controllerPort ?? port + 1;
  const cache = opts.cacheDir ?? cacheRoot();
  if (readMarker(cache, KAFKA_JARS.name) === undefined) opts.progress?.(`kafka: resolving Kafka ${KAFKA_VERSION}'s jars from Maven Central into ${cache} (first time only)…`);
  const jars = await ensureKafkaJars(cache);
  await requireFreePort(port, 'Kafka');
  await requireFreePort(controllerPort, 'KRaft controller');
  const layout = brokerLayout(opts.devDir);
  prepareBroker(layout, jars, port, controllerPort);
  const t0 = Date.now();
  opts.progress?.(`kafka: starting the broker on 127.0.0.1:${port}, waiting until it answers…`);
  const pid = spawnBroker(layout, jars);
  const record: ServiceRecord = {
    service: 'kafka',
    pid,
    host: '127.0.0.1',
    port,
    marker: layout.configFile,
    logFile: layout.logFile,
    startedAt: new Date().toISOString(),
    url: `127.0.0.1:${port}`,
    extra: { controllerPort, version: KAFKA_VERSION, dataDir: layout.logDirs },
  };
  writeRecord(opts.devDir, record);
  try {
    await waitForBroker(record, opts.readyTimeoutMs ?? 60000);
  } catch (e) {
    removeRecord(opts.devDir, 'kafka');
    throw e;
  }
  return { service: 'kafka', alreadyRunning: false, pid, url: record.url, logFile: record.logFile, resolveMs: jars.ms, downloaded: jars.downloaded, readyMs: Date.now() - t0 };
}

async function upRegistry(opts: DevUpOptions, kafkaUrl: string): Promise<ServiceStart> {
  const existing = readRecord(opts.devDir, 'registry');
  if (existing && stateOf(existing) === 'running') {
    return { service: 'registry', alreadyRunning: true, pid: existing.pid, url: existing.url, logFile: existing.logFile, resolveMs: 0, downloaded: false, readyMs: 0 };
  }
  const port = opts.registryPort ?? 8081;
  await requireFreePort(port, 'schema registry');
  const svc = registryService();
  const cache = opts.cacheDir ?? cacheRoot();
  if (!existsSync(join(cache, REGISTRY_NAME, '.built'))) opts.progress?.(`registry: building ${REGISTRY_NAME} with Maven from Maven Central into ${cache} (first time only; 15 to 45 s)…`);
  const built = await svc.ensureBuilt(cache);
  opts.progress?.(`registry: starting on 127.0.0.1:${port}, waiting until it answers…`);
  const t0 = Date.now();
  const record = svc.start({ devDir: opts.devDir, port, kafkaUrl, artifact: built.artifact });
  writeRecord(opts.devDir, record);
  try {
    await svc.waitReady(record, opts.readyTimeoutMs ?? 120000);
  } catch (e) {
    await stopPid(record.pid, 5000);
    removeRecord(opts.devDir, 'registry');
    throw e;
  }
  return { service: 'registry', alreadyRunning: false, pid: record.pid, url: record.url, logFile: record.logFile, resolveMs: built.ms, downloaded: built.downloaded, readyMs: Date.now() - t0 };
}

/** Starts the local broker (and registry, Flink when asked); a running one is reused, never doubled. */
export async function devUp(opts: DevUpOptions): Promise<ServiceStart[]> {
  const kafka = await upKafka(opts);
  const started = opts.registry ? [kafka, await upRegistry(opts, kafka.url)] : [kafka];
  if (!opts.flink) return started;
  const flink = await devUpFlink({ devDir: opts.devDir, cacheDir: opts.cacheDir ?? cacheRoot(), ...(opts.progress ? { progress: opts.progress } : {}), ...(opts.flinkRestPort ? { restPort: opts.flinkRestPort } : {}), ...(opts.readyTimeoutMs ? { readyTimeoutMs: Math.max(opts.readyTimeoutMs, 120000) } : {}) });
  return [...started, ...flink];
}

export interface ServiceStop {
  readonly service: ServiceName;
  readonly result: 'stopped' | 'killed' | 'not-running';
  readonly pid?: number;
}

/** Stops exactly the pids this launcher recorded, Flink and registry first; `purge` also deletes data. */
export async function devDown(devDir: string, options: { purge?: boolean } = {}): Promise<ServiceStop[]> {
  const out: ServiceStop[] = [];
  for (const service of [FLINK_SERVICES.taskmanager, FLINK_SERVICES.jobmanager, 'registry', 'kafka'] as const) {
    const record = readRecord(devDir, service);
    if (!record) {
      out.push({ service, result: 'not-running' });
      continue;
    }
    const result = stateOf(record) === 'running' ? await stopPid(record.pid) : 'not-running';
    removeRecord(devDir, service);
    out.push({ service, result, pid: record.pid });
  }
  if (options.purge) rmSync(devDir, { recursive: true, force: true });
  return out;
}

export function devStatus(devDir: string): ServiceStatus[] {
  return (['kafka', 'registry', FLINK_SERVICES.jobmanager, FLINK_SERVICES.taskmanager] as const).map((service) => {
    const record = readRecord(devDir, service);
    const state = stateOf(record);
    if (!record) return { service, state };
    return {
      service,
      state,
      pid: record.pid,
      url: record.url,
      logFile: record.logFile,
      ...(state === 'running' ? { uptimeSeconds: Math.round((Date.now() - Date.parse(record.startedAt)) / 1000) } : {}),
    };
  });
}

export function devLogs(devDir: string, service: ServiceName, lines: number): string[] {
  const record = readRecord(devDir, service);
  const file =
    record?.logFile ??
    (service === 'kafka'
      ? brokerLayout(devDir).logFile
      : service === 'registry'
        ? registryService().logFile(devDir)
        : flinkLayout(devDir).logFile[service === FLINK_SERVICES.jobmanager ? 'jobmanager' : 'taskmanager']);
  return tailFile(file, lines);
}

/** The running local services' addresses, for commands that default to the dev broker. */
export function devEndpoints(devDir: string): { brokers?: string; registry?: string } {
  const kafka = readRecord(devDir, 'kafka');
  const registry = readRecord(devDir, 'registry');
  return {
    ...(kafka && stateOf(kafka) === 'running' ? { brokers: kafka.url } : {}),
    ...(registry && stateOf(registry) === 'running' ? { registry: registry.url } : {}),
  };
}
