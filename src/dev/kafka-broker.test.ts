import { test } from 'node:test';
import assert from 'node:assert/strict';
import { brokerLayout, kraftConfig, newClusterId } from './kafka-broker.ts';

test('kraftConfig: single node on loopback, no auto-created topics', () => {
  const cfg = kraftConfig(brokerLayout('/x'), 19092, 19093);
  const props = new Map(cfg.split('\n').filter((l) => l.includes('=') && !l.startsWith('#')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  assert.equal(props.get('process.roles'), 'broker,controller');
  assert.equal(props.get('listeners'), 'PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093');
  assert.equal(props.get('advertised.listeners'), 'PLAINTEXT://127.0.0.1:19092');
  assert.equal(props.get('controller.quorum.voters'), '1@127.0.0.1:19093');
  assert.equal(props.get('log.dirs'), '/x/kafka/kraft-logs');
  assert.equal(props.get('auto.create.topics.enable'), 'false');
  assert.equal(props.get('transaction.state.log.replication.factor'), '1');
  // Records stamped in the past (replayed event time) must not be deleted by age.
  assert.equal(props.get('log.retention.ms'), '-1');
  assert.equal(props.has('log.retention.hours'), false);
  assert.equal(props.get('log.retention.bytes'), String(1024 ** 3));
});

test('newClusterId: 22 url-safe characters, never a leading "-", different each time', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 5000; i++) {
    const id = newClusterId();
    assert.match(id, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    seen.add(id);
  }
  assert.equal(seen.size, 5000);
});
