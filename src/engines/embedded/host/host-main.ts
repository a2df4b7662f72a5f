/**
 * Process entry of a managed job host (managed.ts): `node --import tsx src/engines/embedded/host/host-main.ts CONFIG.json`.
 * The embedded adapter spawns it detached, so it outlives the orchestrator.
 */
import { readFileSync } from 'node:fs';
import { createKafkaClients } from '../../../kafka/index.ts';
import { createLogger } from '../../../logger.ts';
import { loadJobModule } from './load-job.ts';
import { describeUnknown } from '../../../errors.ts';
import { startManagedHost } from './managed.ts';
import type { HostConfig } from './config.ts';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: host-main.ts CONFIG.json\n');
  process.exit(64);
}
const config = JSON.parse(readFileSync(file, 'utf8')) as HostConfig;
const logger = createLogger({ level: (config.logLevel as 'info' | undefined) ?? 'info' });
const { kafka, registry } = createKafkaClients(config.connection, logger);
try {
  const host = await startManagedHost(config, { kafka, registry, logger, loadJob: loadJobModule });
  const stop = () => void host.close();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  await host.finished.catch((e: unknown) => {
    logger.error({ err: describeUnknown(e) }, 'job failed');
    process.exitCode = 1;
  });
} catch (e) {
  logger.error({ err: describeUnknown(e) }, 'job host failed to start');
  process.exitCode = 1;
} finally {
  await kafka.close().catch(() => undefined);
  // Nothing else may keep a stopped job's process alive.
  process.exit();
}
