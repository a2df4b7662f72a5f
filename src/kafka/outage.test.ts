import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KafkaError } from '../errors.ts';
import { isCoordinatorNotReady, isOutage } from './kafka-errors.ts';
import { retryPolicy } from './kafkajs-client.ts';

const err = (o: Record<string, unknown>) => Object.assign(new Error(String(o.message ?? '')), o);

test('isOutage: the broker being away is waited for; fencing and bad requests are not', () => {
  const cases: [string, unknown, boolean][] = [
    ['connection refused', err({ name: 'KafkaJSConnectionError', message: 'Connection error: connect ECONNREFUSED 127.0.0.1:9092' }), true],
    ['coordinator lookup failed', err({ name: 'KafkaJSGroupCoordinatorNotFound', message: 'Failed to find group coordinator' }), true],
    ['retries exhausted on a connection error', err({ name: 'KafkaJSNumberOfRetriesExceeded', message: 'x', cause: err({ name: 'KafkaJSConnectionError', message: 'Connection error' }) }), true],
    ['coordinator loading after a restart', err({ name: 'KafkaJSProtocolError', type: 'COORDINATOR_LOAD_IN_PROGRESS', message: 'loading' }), true],
    ['the port says unreachable', new KafkaError('KAFKA_UNREACHABLE', 'Cannot reach Kafka', { retriable: true }), true],
    ['fenced by a newer producer', err({ name: 'KafkaJSProtocolError', type: 'INVALID_PRODUCER_EPOCH', message: 'fenced' }), false],
    ['fenced, wrapped in a connection-looking cause', err({ name: 'KafkaJSNumberOfRetriesExceeded', message: 'x', cause: err({ type: 'PRODUCER_FENCED', message: 'Connection error' }) }), false],
    ['the port says fenced', new KafkaError('KAFKA_PRODUCER_FENCED', 'Another producer took over'), false],
    ['a bad request', err({ name: 'KafkaJSProtocolError', type: 'INVALID_RECORD', message: 'bad' }), false],
    ['not an error at all', 'boom', false],
  ];
  for (const [label, e, want] of cases) assert.equal(isOutage(e), want, label);
});

test('isCoordinatorNotReady: a broker that answers while its group coordinator loads, wrapped or not; never a broker that is away', () => {
  const cases: [string, unknown, boolean][] = [
    ['coordinator loading', err({ name: 'KafkaJSProtocolError', type: 'COORDINATOR_LOAD_IN_PROGRESS', message: 'The coordinator is loading' }), true],
    ['retries exhausted on it', err({ name: 'KafkaJSNumberOfRetriesExceeded', message: 'x', cause: err({ name: 'KafkaJSProtocolError', type: 'COORDINATOR_NOT_AVAILABLE', message: 'y' }) }), true],
    ['coordinator lookup failed', err({ name: 'KafkaJSGroupCoordinatorNotFound', message: 'Failed to find group coordinator' }), true],
    ['connection refused', err({ name: 'KafkaJSConnectionError', message: 'Connection error: connect ECONNREFUSED 127.0.0.1:9092' }), false],
    ['a bad request', err({ name: 'KafkaJSProtocolError', type: 'INVALID_RECORD', message: 'bad' }), false],
  ];
  for (const [label, e, want] of cases) assert.equal(isCoordinatorNotReady(e), want, label);
});

test('retryPolicy: a few seconds by default, the outage tolerance when one is given', () => {
  assert.deepEqual(retryPolicy(undefined), { retries: 5, initialRetryTime: 100, maxRetryTime: 2000 });
  const p = retryPolicy(60_000);
  // Five doubling retries (~3 s), then one per maxRetryTime until the tolerance is spent.
  const worst = 100 + 200 + 400 + 800 + 1600 + (p.retries! - 5) * p.maxRetryTime!;
  assert.ok(worst >= 60_000 && worst < 64_000, `${worst} ms of retries`);
});
