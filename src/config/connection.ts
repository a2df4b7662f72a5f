import { z } from 'zod';
import { parseWith } from './validate.ts';

const hostPort = z
  .string()
  .trim()
  .regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port, for example 127.0.0.1:9092');

export const ConnectionSchema = z.object({
  brokers: z.array(hostPort).min(1, 'at least one broker is needed'),
  clientId: z.string().min(1).default('pitlane'),
  ssl: z.boolean().default(false),
  sasl: z
    .object({
      mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
      username: z.string().min(1),
      password: z.string().min(1),
    })
    .optional(),
  schemaRegistry: z
    .object({
      url: z.url(),
      username: z.string().optional(),
      password: z.string().optional(),
    })
    .optional(),
  connectionTimeoutMs: z.number().int().positive().default(3000),
  requestTimeoutMs: z.number().int().positive().default(30000),
  /**
   * How long requests keep being retried while the broker cannot be reached.
   * Absent: a few seconds, so a command against a broker that is down fails
   * fast. Long-running processes (job hosts, shadow supervisors) set it to ride
   * through a broker restart instead of failing.
   */
  outageToleranceMs: z.number().int().positive().optional(),
});

export type ConnectionConfig = z.output<typeof ConnectionSchema>;

export interface ConnectionSources {
  /** From the command line (highest precedence). */
  readonly brokers?: string | undefined;
  readonly registry?: string | undefined;
  /** Usually process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Used when neither flags nor env name brokers: typically the local dev broker. */
  readonly fallbackBrokers?: string | undefined;
  readonly fallbackRegistry?: string | undefined;
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * Where to find Kafka and the schema registry: flags, then environment
 * (KAFKA_BROKERS, SCHEMA_REGISTRY_URL, KAFKA_SSL, KAFKA_SASL_*), then the fallback.
 */
export function resolveConnection(sources: ConnectionSources): ConnectionConfig {
  const env = sources.env ?? {};
  const brokers = sources.brokers ?? env.KAFKA_BROKERS ?? sources.fallbackBrokers ?? '127.0.0.1:9092';
  const registryUrl = sources.registry ?? env.SCHEMA_REGISTRY_URL ?? sources.fallbackRegistry;
  const mechanism = env.KAFKA_SASL_MECHANISM?.toLowerCase();
  const raw = {
    brokers: splitList(brokers),
    clientId: env.KAFKA_CLIENT_ID,
    ssl: env.KAFKA_SSL === undefined ? undefined : ['1', 'true', 'yes'].includes(env.KAFKA_SSL.toLowerCase()),
    sasl: mechanism
      ? { mechanism, username: env.KAFKA_SASL_USERNAME, password: env.KAFKA_SASL_PASSWORD }
      : undefined,
    schemaRegistry: registryUrl
      ? { url: registryUrl, username: env.SCHEMA_REGISTRY_USERNAME, password: env.SCHEMA_REGISTRY_PASSWORD }
      : undefined,
  };
  return parseWith(ConnectionSchema, raw, 'the Kafka connection (flags and KAFKA_* / SCHEMA_REGISTRY_* variables)');
}
