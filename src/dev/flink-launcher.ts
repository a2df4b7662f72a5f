/**
 * `pitlane dev up --flink`: a Flink session cluster (one JobManager, one TaskManager,
 * separate JVMs) on 127.0.0.1, recorded by pid in the dev dir like the broker, and
 * stopped by those pids. Or, with --flink-rest / FLINK_REST_URL, a cluster the user
 * runs: then nothing is started.
 */
import { DevEnvError } from '../errors.ts';
import { freePort, isAlive, isPortFree, stopPid, tailFile } from '../process/index.ts';
import { sleep } from '../clock.ts';
import { readRecord, removeRecord, stateOf, writeRecord, type ServiceName, type ServiceRecord, type ServiceStart } from './service-state.ts';
import { DEFAULT_FLINK_SETTINGS, FLINK_JARS, FLINK_VERSION, flinkLayout, flinkMarker, type FlinkClusterSettings, type FlinkLayout, type FlinkRole } from './flink-cluster.ts';
import { readMarker } from './maven.ts';
import { ensureFlinkJars, prepareFlink, resourceParams, spawnFlinkRole } from './flink-process.ts';
import { fetchOverview, normaliseRestUrl, type FlinkOverview } from './flink-rest-probe.ts';

export const FLINK_SERVICES = { jobmanager: 'flink-jobmanager', taskmanager: 'flink-taskmanager' } as const satisfies Record<FlinkRole, ServiceName>;

export interface FlinkUpOptions {
  readonly devDir: string;
  readonly cacheDir: string;
  /** REST port; a free one when unset. */
  readonly restPort?: number;
  readonly readyTimeoutMs?: number;
  /** Told each long step as it begins. */
  readonly progress?: (step: string) => void;
}

/** What `dev up` reports per service: the launcher's ServiceStart. */
export type FlinkStart = ServiceStart;


function records(devDir: string): { jm?: ServiceRecord; tm?: ServiceRecord } {
  return { jm: readRecord(devDir, FLINK_SERVICES.jobmanager), tm: readRecord(devDir, FLINK_SERVICES.taskmanager) };
}

/** Stops (by recorded pid) whatever is left of a cluster that is not whole, and forgets it. */
async function clearPartial(devDir: string): Promise<void> {
  for (const role of ['taskmanager', 'jobmanager'] as const) {
    const r = readRecord(devDir, FLINK_SERVICES[role]);
    if (r && stateOf(r) === 'running') await stopPid(r.pid, 10000);
    removeRecord(devDir, FLINK_SERVICES[role]);
  }
}

function exitedError(role: FlinkRole, layout: FlinkLayout): DevEnvError {
  return new DevEnvError('DEV_FLINK_EXITED', `The Flink ${role} exited during start-up. Last lines of ${layout.logFile[role]}:\n${tailFile(layout.logFile[role], 25).join('\n')}`, {
    hint: 'Read the log above; `pitlane dev down --purge` clears the Flink directory.',
  });
}

/** Ready when REST answers and the TaskManager has registered all its slots. */
async function waitForCluster(layout: FlinkLayout, url: string, pids: Record<FlinkRole, number>, slots: number, timeoutMs: number): Promise<FlinkOverview> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    for (const role of ['jobmanager', 'taskmanager'] as const) if (!isAlive(pids[role])) throw exitedError(role, layout);
    const answer = await fetchOverview(url, 2000);
    if (answer.ok && answer.overview.taskmanagers >= 1 && answer.overview.slotsTotal >= slots) return answer.overview;
    last = answer.ok ? `${answer.overview.taskmanagers} TaskManager(s), ${answer.overview.slotsTotal} slot(s)` : answer.error;
    await sleep(250);
  }
  throw new DevEnvError(
    'DEV_FLINK_NOT_READY',
    `The Flink cluster was not ready within ${Math.round(timeoutMs / 1000)} s (last: ${last}); it was stopped. Last lines of ${layout.logFile.jobmanager}:\n${tailFile(layout.logFile.jobmanager, 15).join('\n')}\nLast lines of ${layout.logFile.taskmanager}:\n${tailFile(layout.logFile.taskmanager, 15).join('\n')}`,
    { retriable: true, hint: 'A slow first start can need a longer --timeout; otherwise the logs above say why.' },
  );
}

function recordOf(devDir: string, layout: FlinkLayout, role: FlinkRole, pid: number, settings: FlinkClusterSettings): ServiceRecord {
  return {
    service: FLINK_SERVICES[role],
    pid,
    host: '127.0.0.1',
    port: role === 'jobmanager' ? settings.restPort : 0,
    marker: flinkMarker(devDir, role),
    logFile: layout.logFile[role],
    startedAt: new Date().toISOString(),
    // Both roles name the cluster's REST endpoint: the one address a user talks to.
    url: `http://127.0.0.1:${settings.restPort}`,
    extra: {
      role,
      version: FLINK_VERSION,
      rpcPort: settings.rpcPort,
      slots: settings.slots,
      configDir: layout.configDir,
      checkpoints: layout.checkpoints,
      savepoints: layout.savepoints,
    },
  };
}

/** Starts the cluster, or reuses a running one (never two clusters for one dev dir). */
export async function devUpFlink(opts: FlinkUpOptions): Promise<FlinkStart[]> {
  const { jm, tm } = records(opts.devDir);
  if (jm && tm && stateOf(jm) === 'running' && stateOf(tm) === 'running') {
    return [jm, tm].map((r) => ({ service: r.service, alreadyRunning: true, pid: r.pid, url: r.url, logFile: r.logFile, resolveMs: 0, downloaded: false, readyMs: 0 }));
  }
  await clearPartial(opts.devDir);
  if (readMarker(opts.cacheDir, FLINK_JARS.name) === undefined) opts.progress?.(`flink: resolving Flink ${FLINK_VERSION}'s jars from Maven Central into ${opts.cacheDir} (first time only; minutes)…`);
  const jars = await ensureFlinkJars(opts.cacheDir);
  const restPort = opts.restPort ?? (await freePort());
  if (!(await isPortFree(restPort))) {
    throw new DevEnvError('DEV_PORT_IN_USE', `Port ${restPort} on 127.0.0.1 (Flink REST) is already taken by another process.`, {
      hint: `Stop whatever listens there (\`ss -ltnp 'sport = :${restPort}'\` shows it) or choose another port with --flink-rest-port.`,
    });
  }
  const settings: FlinkClusterSettings = { ...DEFAULT_FLINK_SETTINGS, restPort, rpcPort: await freePort() };
  const layout = flinkLayout(opts.devDir);
  prepareFlink(layout, settings);
  opts.progress?.(`flink: starting the JobManager and a TaskManager (REST on 127.0.0.1:${restPort}), waiting until the cluster answers…`);
  const t0 = Date.now();
  const [jmParams, tmParams] = await Promise.all([resourceParams(layout, 'jobmanager', jars), resourceParams(layout, 'taskmanager', jars)]);
  const pids = { jobmanager: 0, taskmanager: 0 };
  try {
    for (const role of ['jobmanager', 'taskmanager'] as const) {
      pids[role] = spawnFlinkRole(opts.devDir, layout, role, jars, role === 'jobmanager' ? jmParams : tmParams);
      writeRecord(opts.devDir, recordOf(opts.devDir, layout, role, pids[role], settings));
    }
    await waitForCluster(layout, `http://127.0.0.1:${restPort}`, pids, settings.slots, opts.readyTimeoutMs ?? 120000);
  } catch (e) {
    // Nothing is left running after a failed start.
    for (const role of ['taskmanager', 'jobmanager'] as const) if (pids[role] > 0) await stopPid(pids[role], 5000);
    await clearPartial(opts.devDir);
    throw e;
  }
  const readyMs = Date.now() - t0;
  return (['jobmanager', 'taskmanager'] as const).map((role) => ({
    service: FLINK_SERVICES[role],
    alreadyRunning: false,
    pid: pids[role],
    url: `http://127.0.0.1:${restPort}`,
    logFile: layout.logFile[role],
    resolveMs: jars.ms,
    downloaded: jars.downloaded,
    readyMs,
  }));
}

/**
 * The Flink REST URL to use: an explicit one (flag), else FLINK_REST_URL, else the
 * local cluster of this dev dir when it runs; undefined when there is none.
 */
export function resolveFlinkRestUrl(devDir: string, explicit?: string, env: NodeJS.ProcessEnv = process.env): { url: string; source: 'flag' | 'environment' | 'local' } | undefined {
  if (explicit) return { url: normaliseRestUrl(explicit), source: 'flag' };
  if (env.FLINK_REST_URL) return { url: normaliseRestUrl(env.FLINK_REST_URL), source: 'environment' };
  const jm = readRecord(devDir, FLINK_SERVICES.jobmanager);
  return jm && stateOf(jm) === 'running' ? { url: jm.url, source: 'local' } : undefined;
}

export interface ExternalFlink {
  readonly url: string;
  readonly reachable: boolean;
  readonly overview?: FlinkOverview;
  readonly error?: string;
}

/** Probes a cluster pitlane did not start (it is never started or stopped by pitlane). */
export async function probeExternalFlink(url: string): Promise<ExternalFlink> {
  const u = normaliseRestUrl(url);
  const answer = await fetchOverview(u, 5000);
  return answer.ok ? { url: u, reachable: true, overview: answer.overview } : { url: u, reachable: false, error: answer.error };
}

/** Like probeExternalFlink, but an unreachable cluster is an error (for `dev up --flink-rest`). */
export async function requireExternalFlink(url: string): Promise<ExternalFlink> {
  const ext = await probeExternalFlink(url);
  if (!ext.reachable) {
    throw new DevEnvError('DEV_FLINK_UNREACHABLE', `The Flink cluster at ${ext.url} did not answer GET /overview (${ext.error}).`, {
      retriable: true,
      hint: 'Check the URL (--flink-rest or FLINK_REST_URL) and that its JobManager runs; or drop them to start a local cluster with `pitlane dev up --flink`.',
    });
  }
  return ext;
}
