import { KafkaError, describeUnknown } from '../errors.ts';

interface KafkaJsLikeError {
  name?: string;
  type?: string;
  message?: string;
  retriable?: boolean;
  cause?: unknown;
  originalError?: unknown;
}

function chain(e: unknown): KafkaJsLikeError[] {
  const out: KafkaJsLikeError[] = [];
  let cur: unknown = e;
  for (let i = 0; i < 6 && cur && typeof cur === 'object'; i++) {
    const k = cur as KafkaJsLikeError;
    out.push(k);
    cur = k.originalError ?? k.cause;
  }
  return out;
}

/** kafkajs gathers the broker's answer per topic (`Topic creation errors`) in `errors`: each topic's reason. */
function perTopic(e: unknown): string {
  const list = (e as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(list) || list.length === 0) return '';
  const reasons = list.map((x: { topic?: unknown; type?: unknown; message?: unknown }) => `${typeof x.topic === 'string' ? `${x.topic}: ` : ''}${String(x.message ?? x.type ?? x)}${typeof x.type === 'string' ? ` (${x.type})` : ''}`);
  return ` — ${reasons.join('; ')}`;
}

/**
 * Turns a kafkajs error into a KafkaError that says what happened and what to do.
 * `action` describes what pitlane was doing ("create topic orders").
 */
export function toKafkaError(e: unknown, action: string, brokers: readonly string[]): KafkaError {
  if (e instanceof KafkaError) return e;
  const errs = chain(e);
  const has = (pred: (x: KafkaJsLikeError) => boolean) => errs.some(pred);
  const detail = describeUnknown(e) + perTopic(e);
  const where = brokers.join(',');
  if (
    has((x) => x.name === 'KafkaJSConnectionError' || x.name === 'KafkaJSBrokerNotFound') ||
    /ECONNREFUSED|Connection error|connect ETIMEDOUT|Closed connection/i.test(detail)
  ) {
    return new KafkaError('KAFKA_UNREACHABLE', `Cannot reach Kafka at ${where} while trying to ${action}: ${detail}`, {
      retriable: true,
      cause: e,
      hint: 'Is the broker running? Start a local one with `pitlane dev up`, or point pitlane at yours with --brokers or KAFKA_BROKERS.',
    });
  }
  if (has((x) => x.type === 'UNKNOWN_TOPIC_OR_PARTITION') || /does not host this topic-partition|not present in metadata/i.test(detail)) {
    return new KafkaError('KAFKA_TOPIC_NOT_FOUND', `Kafka has no such topic while trying to ${action}: ${detail}`, {
      cause: e,
      hint: 'Check the topic name, or create it first (the local broker does not auto-create topics).',
    });
  }
  if (has((x) => x.type === 'TOPIC_ALREADY_EXISTS')) {
    return new KafkaError('KAFKA_TOPIC_EXISTS', `Topic already exists while trying to ${action}`, { cause: e });
  }
  if (has((x) => x.type === 'NON_EMPTY_GROUP' || x.type === 'UNKNOWN_MEMBER_ID' || x.type === 'REBALANCE_IN_PROGRESS')) {
    return new KafkaError('KAFKA_GROUP_ACTIVE', `The consumer group still has active members while trying to ${action}`, {
      retriable: true,
      cause: e,
      hint: 'Stop the group\'s consumers first; Kafka only lets offsets change on an empty group.',
    });
  }
  if (has((x) => x.type === 'INVALID_PRODUCER_EPOCH' || x.type === 'PRODUCER_FENCED')) {
    return new KafkaError('KAFKA_PRODUCER_FENCED', `Another producer with the same transactional id took over while trying to ${action}`, {
      cause: e,
      hint: 'Only one instance of a job may run with a given transactional id; stop the other one.',
    });
  }
  const retriable = errs.some((x) => x.retriable === true);
  return new KafkaError('KAFKA_ERROR', `Kafka failed while trying to ${action}: ${detail}`, { retriable, cause: e });
}

const FENCED = /INVALID_PRODUCER_EPOCH|PRODUCER_FENCED|TRANSACTIONAL_ID_AUTHORIZATION_FAILED|INVALID_TXN_STATE/;
const OUTAGE_NAMES = new Set(['KafkaJSConnectionError', 'KafkaJSConnectionClosedError', 'KafkaJSGroupCoordinatorNotFound', 'KafkaJSBrokerNotFound', 'KafkaJSRequestTimeoutError', 'KafkaJSNumberOfRetriesExceeded']);

type ChainLink = { name?: string; type?: string; code?: string; message?: string };

/** An error and the errors it wraps (kafkajs' `originalError`, a `cause`), outermost first. */
function causeChain(e: unknown): ChainLink[] {
  const chain: ChainLink[] = [];
  let cur: unknown = e;
  for (let i = 0; i < 8 && cur && typeof cur === 'object'; i++) {
    const x = cur as ChainLink & { cause?: unknown; originalError?: unknown };
    chain.push(x);
    cur = x.originalError ?? x.cause;
  }
  return chain;
}

const COORDINATOR_NOT_READY = new Set(['NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE', 'COORDINATOR_LOAD_IN_PROGRESS', 'GROUP_COORDINATOR_NOT_AVAILABLE', 'NOT_COORDINATOR_FOR_GROUP', 'GROUP_LOAD_IN_PROGRESS']);
const OUTAGE_TYPES = new Set([...COORDINATOR_NOT_READY, 'LEADER_NOT_AVAILABLE', 'NOT_LEADER_FOR_PARTITION', 'REQUEST_TIMED_OUT', 'NETWORK_EXCEPTION']);

/**
 * Is this a broker that answers but whose group coordinator is not ready yet — the
 * offsets topic still being created or loaded, as on a broker that has just started?
 * Always worth waiting for, unlike a broker that does not answer.
 */
export function isCoordinatorNotReady(e: unknown): boolean {
  return causeChain(e).some((x) => COORDINATOR_NOT_READY.has(x.type ?? '') || x.name === 'KafkaJSGroupCoordinatorNotFound');
}

/**
 * Is this the broker being away (worth waiting for), rather than this producer
 * being fenced or a request being wrong? Fencing always wins: a newer writer
 * with the same id must never be overridden.
 */
export function isOutage(e: unknown): boolean {
  const chain = causeChain(e);
  const text = chain.map((x) => `${x.name ?? ''} ${x.type ?? ''} ${x.message ?? ''}`).join(' ');
  if (FENCED.test(text) || chain.some((x) => x.code === 'KAFKA_PRODUCER_FENCED')) return false;
  return chain.some((x) => OUTAGE_NAMES.has(x.name ?? '') || OUTAGE_TYPES.has(x.type ?? '') || x.code === 'KAFKA_UNREACHABLE' || x.code === 'ECONNREFUSED') || /ECONNREFUSED|Connection error|Closed connection|find group coordinator/i.test(text);
}
