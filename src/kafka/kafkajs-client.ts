/**
 * The kafkajs client a KafkaJsPort is built on, and what its parts (admin,
 * producers, readers: kafkajs-admin.ts, kafkajs-producers.ts, kafkajs-port.ts)
 * share: the client, its connection settings, one way to turn a kafkajs failure
 * into a KafkaError, and the port's open/closed state.
 */
import './kafkajs-grouping.ts'; // first: before kafkajs' producer loads
import { logLevel, type Kafka, type KafkaConfig, type LogEntry } from 'kafkajs';
import type { Logger } from '../logger.ts';
import type { ConnectionConfig } from '../config/connection.ts';
import { KafkaError } from '../errors.ts';

const KAFKAJS_LEVEL: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

export function kafkaJsConfig(conn: ConnectionConfig, logger: Logger): KafkaConfig {
  return {
    clientId: conn.clientId,
    brokers: [...conn.brokers],
    ssl: conn.ssl,
    ...(conn.sasl
      ? { sasl: { mechanism: conn.sasl.mechanism, username: conn.sasl.username, password: conn.sasl.password } as KafkaConfig['sasl'] }
      : {}),
    connectionTimeout: conn.connectionTimeoutMs,
    requestTimeout: conn.requestTimeoutMs,
    retry: retryPolicy(conn.outageToleranceMs),
    // kafkajs logs through pino; its chatty INFO lines (group joins) are debug for us.
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      // Per-request errors are retried by kafkajs and, if they persist, surface as
      // the exception of the call; logging each one as an error would only alarm.
      // So is each failed connect to a seed broker: an absent broker is one clear error, not six lines first.
      const transient = entry.namespace === 'Connection' || /Limiting retries|Failed to connect to seed broker/.test(entry.log.message);
      const level = transient ? 'debug' : (KAFKAJS_LEVEL[entry.level] ?? 'debug');
      const { message, ...rest } = entry.log;
      logger[level]({ kafkajs: entry.namespace, ...rest }, message);
    },
  };
}

/**
 * kafkajs' retry policy. By default about 3 s of retries (100 ms doubling to
 * 2 s, 5 times). With an outage tolerance, retries go on at up to 2 s apart
 * until the tolerance is spent, so a broker restart delays requests instead of
 * failing them.
 */
export function retryPolicy(outageToleranceMs: number | undefined): NonNullable<KafkaConfig['retry']> {
  const base = { retries: 5, initialRetryTime: 100, maxRetryTime: 2000 };
  if (outageToleranceMs === undefined) return base;
  // The first five retries take ~3 s together; each further one waits up to maxRetryTime.
  return { ...base, retries: base.retries + Math.max(0, Math.ceil((outageToleranceMs - 3000) / base.maxRetryTime)) };
}

/** What the parts of one KafkaJsPort share. */
export interface KafkaJsContext {
  readonly kafka: Kafka;
  readonly conn: ConnectionConfig;
  readonly logger: Logger;
  /** A kafkajs failure as a KafkaError naming what was being done (kafka-errors.ts). */
  fail(e: unknown, action: string): KafkaError;
  /** True once the port is closed: it then refuses further calls. */
  isClosed(): boolean;
}

/**
 * A closed port refuses further calls: reconnecting silently would open
 * connections nobody closes (a process that never exits).
 */
export function closedError(): KafkaError {
  return new KafkaError('KAFKA_CLIENT_CLOSED', 'This Kafka client was already closed.', {
    hint: 'This is a bug in the caller: use the client before closing it, or create a new one.',
  });
}

export function assertOpen(ctx: KafkaJsContext): void {
  if (ctx.isClosed()) throw closedError();
}
