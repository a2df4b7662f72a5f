import type { ConnectionConfig } from '../config/connection.ts';
import type { Logger } from '../logger.ts';
import { KafkaJsPort } from './kafkajs-port.ts';
import { createSchemaRegistry, type SchemaRegistryPort } from './registry.ts';
import type { KafkaPort } from './port.ts';

export type * from './port.ts';
export type { SchemaRegistryPort, CompatibilityVerdict } from './registry.ts';
export { jsonSerde, avroSerde, type Serde, type Format } from './serdes.ts';
export { partitionKey } from './partition-key.ts';

export interface KafkaClients {
  readonly kafka: KafkaPort;
  /** Present when the connection names a schema registry. */
  readonly registry: SchemaRegistryPort | undefined;
}

/** Builds the Kafka port (and registry client) for a composition root. */
export function createKafkaClients(conn: ConnectionConfig, logger: Logger): KafkaClients {
  return {
    kafka: new KafkaJsPort(conn, logger.child({ component: 'kafka' })),
    registry: conn.schemaRegistry ? createSchemaRegistry(conn.schemaRegistry) : undefined,
  };
}

export { createSchemaRegistry };
