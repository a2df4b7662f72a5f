import { resolveConnection, type ConnectionConfig } from '../config/connection.ts';
import { createLogger, type Logger } from '../logger.ts';
import { createKafkaClients, type KafkaClients } from '../kafka/index.ts';
import { devEndpoints } from '../dev/launcher.ts';
import { defaultDevDir } from '../dev/paths.ts';

export interface GlobalOptions {
  readonly brokers?: string;
  readonly registryUrl?: string;
  readonly logLevel?: string;
  readonly devDir?: string;
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
    this.logger = createLogger({ level: (options.logLevel as 'info' | undefined) ?? (process.env.PITLANE_LOG_LEVEL as 'info' | undefined) ?? 'warn' });
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

  async close(): Promise<void> {
    await this.clients?.kafka.close();
  }
}
