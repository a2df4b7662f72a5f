/**
 * Process entry and composition root of a shadow supervisor:
 * `node --import tsx supervisor-main.ts CONFIG.json`. Started detached by
 * SupervisorAnalysis; SIGTERM stops it cleanly. It resumes pending steps first,
 * so a supervisor restarted after a crash continues.
 *
 * It builds its own orchestrator (create.ts) and hands the shadow loop only the
 * narrow ports it uses (analysis/ports.ts): the store to read the deployment, the
 * engine for job status, the controller to apply events.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createKafkaClients } from '../kafka/index.ts';
import { createLogger } from '../logger.ts';
import { describeUnknown } from '../errors.ts';
import { systemClock } from '../clock.ts';
import { createOrchestrator } from './create.ts';
import { engineForJob } from './engines.ts';
import { deploymentDir } from './state-dir.ts';
import type { SupervisorConfig } from './analysis/supervisor.ts';
import type { ShadowPorts } from './analysis/ports.ts';
import { runShadow } from './analysis/shadow.ts';

const config = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as SupervisorConfig;
const logger = createLogger({ level: 'info' }).child({ supervisor: config.name });
const { kafka, registry } = createKafkaClients(config.connection, logger);
const abort = new AbortController();
const orch = createOrchestrator({ connection: config.connection, kafka, logger, store: config.storeSpec, stateDir: config.stateDir, flinkRest: config.flinkRest, supervising: { name: config.name, stop: () => abort.abort() } });
// Each job's status comes from the engine that runs it (its role's, engines.ts).
const jobs: ShadowPorts['jobs'] = {
  status: async (jobId) => {
    const d = await orch.store.load(config.name);
    return (d ? engineForJob(orch.engines, d, jobId) : orch.engine).status(jobId);
  },
};
const ports: ShadowPorts = { deployments: orch.store, jobs, lifecycle: orch.controller, reportDir: deploymentDir(config.stateDir, config.name) };
/**
 * A signal ends the analysis loop; if a Kafka call holds it (a broker that went
 * away is retried for the outage tolerance), the process exits after 5 s anyway —
 * the supervisor keeps nothing a later resume needs, as a kill -9 shows.
 */
const stop = () => {
  abort.abort();
  setTimeout(() => process.exit(), 5000).unref();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
try {
  const d = await orch.controller.resume(config.name);
  logger.info({ phase: d.phase }, 'supervisor running');
  await runShadow(ports, config.name, { kafka, registry, logger, clock: systemClock }, abort.signal);
} catch (e) {
  logger.error({ err: describeUnknown(e) }, 'supervisor failed');
  process.exitCode = 1;
} finally {
  const pidFile = join(deploymentDir(config.stateDir, config.name), 'supervisor.pid');
  if (existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() === String(process.pid)) rmSync(pidFile, { force: true });
  await orch.close().catch(() => undefined);
  await kafka.close().catch(() => undefined);
  process.exit();
}
