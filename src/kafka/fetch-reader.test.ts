import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { openFetchReader } from './fetch-reader.ts';
import { partitionKey } from './partition-key.ts';
import { toKafkaError } from './kafka-errors.ts';
import { silentLogger } from '../logger.ts';

/**
 * A read closed while it still waits for the partition leaders (a comparison whose
 * other side failed first) must not connect once they arrive: that connection
 * would never be closed, and its socket would keep the process from exiting.
 */
test('fetch reader: a read closed while it looks up the leaders opens no connection afterwards', async () => {
  const accepted: Socket[] = [];
  const server = createServer((s) => accepted.push(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  let lookingUp!: () => void;
  const lookup = new Promise<void>((resolve) => (lookingUp = resolve));
  let answer!: () => void;
  const answered = new Promise<void>((resolve) => (answer = resolve));
  try {
    const reader = openFetchReader({ topics: ['t'], to: 'follow', pack: { headers: [] } }, {
      watermarks: async () => [{ partition: 0, low: 0, high: 10 }],
      offsetsForTimestamp: async () => [],
      leaders: async () => {
        lookingUp();
        await answered;
        return new Map([[partitionKey('t', 0), `127.0.0.1:${port}`]]);
      },
      fail: (e, action) => toKafkaError(e, action, [`127.0.0.1:${port}`]),
      onClose: () => undefined,
      logger: silentLogger(),
      clientId: 'test',
      connectionTimeoutMs: 1000,
      requestTimeoutMs: 1000,
    });
    await lookup;
    const closed = reader.close();
    answer();
    // close() resolves once the read's loop has ended: a fetch it sent on a new
    // connection would have had to fail first (this server never answers), so the
    // connection would have been accepted by then.
    await closed;
    assert.equal(accepted.length, 0, 'no connection was made after the read was closed');
  } finally {
    for (const s of accepted) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
});

/**
 * The broker away (a restart): the leaders lookup that follows a lost connection fails
 * as unreachable, and is asked again within the outage tolerance like the fetch
 * itself; a topic that does not exist fails the read at once.
 */
test('fetch reader: a leaders lookup that cannot reach Kafka is retried; a missing topic fails the read', async () => {
  const accepted: Socket[] = [];
  const server = createServer((s) => accepted.push(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const open = (leaders: () => Promise<Map<string, string>>) =>
    openFetchReader({ topics: ['t'], to: 'follow', direct: true }, {
      watermarks: async () => [{ partition: 0, low: 0, high: 10 }],
      offsetsForTimestamp: async () => [],
      leaders,
      fail: (e, action) => toKafkaError(e, action, [`127.0.0.1:${port}`]),
      onClose: () => undefined,
      logger: silentLogger(),
      clientId: 'test',
      connectionTimeoutMs: 1000,
      requestTimeoutMs: 1000,
      outageToleranceMs: 10_000,
    });
  const drain = async (reader: AsyncIterable<unknown>) => {
    for await (const _ of reader);
  };
  try {
    let asked = 0;
    const away = open(async () => {
      if (++asked <= 2) throw toKafkaError(Object.assign(new Error('connect ECONNREFUSED'), { name: 'KafkaJSConnectionError' }), 'find the leaders of t', [`127.0.0.1:${port}`]);
      return new Map([[partitionKey('t', 0), `127.0.0.1:${port}`]]);
    });
    let failed: unknown;
    const reading = drain(away).catch((e: unknown) => (failed = e));
    for (let i = 0; i < 300 && accepted.length === 0 && failed === undefined; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(failed, undefined, 'the read did not fail while the broker was away');
    assert.equal(asked, 3, 'the leaders were asked again until Kafka answered');
    assert.equal(accepted.length, 1, 'then it fetched from the leader');
    await away.close();
    await reading;

    const missing = open(async () => {
      throw toKafkaError(Object.assign(new Error('This server does not host this topic-partition'), { name: 'KafkaJSProtocolError', type: 'UNKNOWN_TOPIC_OR_PARTITION' }), 'find the leaders of t', [`127.0.0.1:${port}`]);
    });
    await assert.rejects(drain(missing), (e: Error & { code?: string }) => e.code === 'KAFKA_TOPIC_NOT_FOUND');
  } finally {
    for (const s of accepted) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
});
