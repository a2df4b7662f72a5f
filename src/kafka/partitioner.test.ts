import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { keyPartition, murmur2 } from './partitioner.ts';

const require = createRequire(import.meta.url);
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: Buffer | string) => number;

test('murmur2 is kafkajs\' (Java-compatible) murmur2 for keys of every length 0–64 and random bytes', () => {
  for (let length = 0; length <= 64; length++) {
    for (let n = 0; n < 40; n++) {
      const key = randomBytes(length);
      assert.equal(murmur2(key), kafkajsMurmur2(key), `key ${key.toString('hex')}`);
    }
  }
  for (const s of ['', 'a', 'user-1', 'key-99999', 'ünïcødé-κλειδί', '{"id":7}']) assert.equal(murmur2(Buffer.from(s)), kafkajsMurmur2(s), s);
});

test('keyPartition: Kafka\'s own partitions for known keys (Java client: Utils.toPositive(murmur2(key)) % n), strings as their UTF-8 bytes', () => {
  // The Java client's murmur2 of these keys, as Kafka's own UtilsTest.testMurmur2 states them.
  assert.equal(murmur2(Buffer.from('21')), -973932308);
  assert.equal(murmur2(Buffer.from('foobar')), -790332482);
  assert.equal(murmur2(Buffer.from('a-little-bit-long-string')), -985981536);
  assert.equal(murmur2(Buffer.from('a-little-bit-longer-string')), -1486304829);
  assert.equal(murmur2(Buffer.from('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8')), -58897971);
  for (const key of ['', 'user-1', 'key-123', 'ü', 'ascii then ü', 'x'.repeat(300), `${'y'.repeat(299)}é`]) {
    for (const n of [1, 3, 4, 12]) assert.equal(keyPartition(key, n), (kafkajsMurmur2(key) & 0x7fffffff) % n, `${key.slice(0, 20)} over ${n}`);
  }
  assert.equal(keyPartition('foobar', 3), (-790332482 & 0x7fffffff) % 3);
});
