import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConnection } from './connection.ts';
import { ConfigError } from '../errors.ts';

test('resolveConnection: precedence and parsing', async (t) => {
  const cases = [
    { name: 'flag wins over env and fallback', src: { brokers: 'a:1', env: { KAFKA_BROKERS: 'b:2' }, fallbackBrokers: 'c:3' }, brokers: ['a:1'] },
    { name: 'env wins over fallback', src: { env: { KAFKA_BROKERS: 'b:2, d:4' }, fallbackBrokers: 'c:3' }, brokers: ['b:2', 'd:4'] },
    { name: 'fallback (local dev broker)', src: { env: {}, fallbackBrokers: 'c:3' }, brokers: ['c:3'] },
    { name: 'default 127.0.0.1:9092', src: { env: {} }, brokers: ['127.0.0.1:9092'] },
  ];
  for (const c of cases) {
    await t.test(c.name, () => assert.deepEqual(resolveConnection(c.src).brokers, c.brokers));
  }
});

test('resolveConnection: registry, SASL and SSL from the environment', () => {
  const conn = resolveConnection({
    env: { KAFKA_BROKERS: 'k:9093', KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p', SCHEMA_REGISTRY_URL: 'http://r:8081' },
  });
  assert.equal(conn.ssl, true);
  assert.deepEqual(conn.sasl, { mechanism: 'scram-sha-512', username: 'u', password: 'p' });
  assert.equal(conn.schemaRegistry?.url, 'http://r:8081');
});

test('resolveConnection: bad values name the key and say what is expected', async (t) => {
  const cases = [
    { name: 'broker without port', src: { brokers: 'localhost' }, match: /brokers\.0: expected host:port/ },
    { name: 'unknown SASL mechanism', src: { env: { KAFKA_SASL_MECHANISM: 'kerberos', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' } }, match: /sasl\.mechanism/ },
    { name: 'registry that is not a URL', src: { registry: 'not a url' }, match: /schemaRegistry\.url/ },
  ];
  for (const c of cases) {
    await t.test(c.name, () => {
      assert.throws(() => resolveConnection(c.src), (e: unknown) => e instanceof ConfigError && e.code === 'CONFIG_INVALID' && c.match.test(e.message));
    });
  }
});
