import { resolveConnection, type ConnectionConfig } from '../config/connection.ts';
import { createLogger, parseLogLevel, LOG_LEVELS, type Logger } from '../logger.ts';
import { isPitlaneError } from '../errors.ts';
import { UsageError } from './usage.ts';
import { createKafkaClients, type KafkaClients } from '../kafka/index.ts';
import { devEndpoints } from '../dev/launcher.ts';
import { defaultDevDir } from '../dev/paths.ts';
import { resolveFlinkRestUrl } from '../dev/flink-launcher.ts';
import { flinkSavepointTool } from '../dev/flink-savepoint-tool.ts';
import type { SavepointTool } from '../engines/flink/savepoint-tool.ts';
import type { FlinkAdapter } from '../engines/flink/adapter.ts';
import { createFlinkAdapter, flinkNotConfigured } from '../orchestrator/create.ts';
import { defaultStateDir } from '../orchestrator/state-dir.ts';

export interface GlobalOptions {
  readonly brokers?: string;
  readonly registryUrl?: string;
  readonly logLevel?: string;
  readonly devDir?: string;
}

/**
 * The CLI's log level: --log-level, else PITLANE_LOG_LEVEL (for `npx`, whose npm may
 * take --log-level as its own), else warn. A value that is not a level is a usage error.
 */
export function logLevelOf(flag: string | undefined, env: string | undefined): ReturnType<typeof parseLogLevel> {
  try {
    if (flag !== undefined) return parseLogLevel(flag, '--log-level');
    if (env) return parseLogLevel(env, 'PITLANE_LOG_LEVEL');
  } catch (e) {
    if (isPitlaneError(e)) throw new UsageError('CLI_BAD_LOG_LEVEL', e.message, { hint: `Use one of ${LOG_LEVELS.join(', ')}.` });
    throw e;
  }
  return 'warn';
}

/**
 * The CLI's composition root: builds logger, connection and Kafka clients once per
 * command and hands them in. Without --brokers or KAFKA_BROKERS, commands use the
 * local dev broker when `pitlane dev up` runs one.
 */
export class CliContext {
  readonly logger: Logger;
  readonly devDir: string;
  private clients: KafkaClients | undefined;
  private conn: ConnectionConfig | undefined;

  constructor(private readonly options: GlobalOptions) {
    this.logger = createLogger({ level: logLevelOf(options.logLevel, process.env.PITLANE_LOG_LEVEL) });
    this.devDir = options.devDir ?? defaultDevDir();
  }

  connection(): ConnectionConfig {
    if (!this.conn) {
      const dev = devEndpoints(this.devDir);
      this.conn = resolveConnection({
        brokers: this.options.brokers,
        registry: this.options.registryUrl,
        env: process.env,
        fallbackBrokers: dev.brokers,
        fallbackRegistry: dev.registry,
      });
    }
    return this.conn;
  }

  kafka(): KafkaClients {
    this.clients ??= createKafkaClients(this.connection(), this.logger);
    return this.clients;
  }

  /**
   * The Flink adapter for the cluster at `--flink-rest`, else $FLINK_REST_URL, else the
   * local cluster `pitlane dev up --flink` runs; an error saying how to get one when
   * there is none.
   */
  flink(explicitRestUrl?: string): FlinkAdapter {
    const rest = resolveFlinkRestUrl(this.devDir, explicitRestUrl);
    if (!rest) throw flinkNotConfigured('No Flink cluster is named and no local one runs.', 'Start the local one with `pitlane dev up --flink`, or name yours with --flink-rest URL or FLINK_REST_URL.');
    return createFlinkAdapter(rest.url, { stateDir: defaultStateDir(), connection: this.connection(), kafka: this.kafka().kafka, logger: this.logger, savepointTool: this.savepointTool() });
  }

  /**
   * The Flink preflight's savepoint tool: its jar (built with the Flink jobs) and the
   * Flink jars of the local cluster's version, from the cache; built or resolved on first use.
   */
  savepointTool(): SavepointTool {
    return () => flinkSavepointTool();
  }

  /** The orchestrator's choice of Flink cluster: the flag, else (after a spec's flink.rest) FLINK_REST_URL or the local one. */
  flinkRestChoice(explicit?: string): { explicit?: string; fallback?: string } {
    const fallback = resolveFlinkRestUrl(this.devDir)?.url;
    return { ...(explicit ? { explicit } : {}), ...(fallback ? { fallback } : {}) };
  }

  async close(): Promise<void> {
    await this.clients?.kafka.close();
  }
}
