import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toKafkaError } from './kafka-errors.ts';

test('toKafkaError maps kafkajs failures to codes with hints', async (t) => {
  const cases = [
    { name: 'connection refused', err: Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:1'), { name: 'KafkaJSConnectionError' }), code: 'KAFKA_UNREACHABLE', retriable: true, hint: /pitlane dev up/ },
    { name: 'retries exhausted around a connection error', err: Object.assign(new Error('retries'), { name: 'KafkaJSNumberOfRetriesExceeded', originalError: Object.assign(new Error('x'), { name: 'KafkaJSConnectionError' }) }), code: 'KAFKA_UNREACHABLE', retriable: true, hint: /KAFKA_BROKERS/ },
    { name: 'unknown topic', err: Object.assign(new Error('This server does not host this topic-partition'), { type: 'UNKNOWN_TOPIC_OR_PARTITION' }), code: 'KAFKA_TOPIC_NOT_FOUND', retriable: false, hint: /create it/ },
    { name: 'group not empty', err: Object.assign(new Error('The group is not empty'), { type: 'NON_EMPTY_GROUP' }), code: 'KAFKA_GROUP_ACTIVE', retriable: true, hint: /empty group/ },
    { name: 'fenced producer', err: Object.assign(new Error('fenced'), { type: 'PRODUCER_FENCED' }), code: 'KAFKA_PRODUCER_FENCED', retriable: false, hint: /Only one instance/ },
    { name: 'anything else', err: new Error('boom'), code: 'KAFKA_ERROR', retriable: false, hint: undefined },
  ];
  for (const c of cases) {
    await t.test(c.name, () => {
      const e = toKafkaError(c.err, 'do a thing', ['127.0.0.1:1']);
      assert.equal(e.code, c.code);
      assert.equal(e.retriable, c.retriable);
      assert.match(e.message, /do a thing/);
      if (c.hint) assert.match(e.hint ?? '', c.hint);
    });
  }
});
