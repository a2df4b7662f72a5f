/**
 * The Kafka layer through a broker restart, on a broker of this test's own (the
 * launcher, free ports, a temp dir: it is stopped mid-test, and other test files
 * share the run's broker). With an outage tolerance, a transaction whose commit
 * falls into the outage is settled and, unless it committed, written again;
 * a following reader resumes at its positions. Read back read_committed, every
 * record is there exactly once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { devDown, devUp } from '../src/dev/launcher.ts';
import { freePort, isAlive } from '../src/process/index.ts';
import { resolveConnection } from '../src/config/connection.ts';
import { createKafkaClients } from '../src/kafka/index.ts';
import { silentLogger } from '../src/logger.ts';
import type { IncomingRecord } from '../src/kafka/port.ts';
import { uniqueName, waitFor } from './support/kafka.ts';

test('broker restart: an interrupted transaction is written exactly once, and a following reader resumes', { timeout: 180_000 }, async (t) => {
  const devDir = mkdtempSync(join(tmpdir(), 'pitlane-outage-'));
  const port = await freePort();
  const controllerPort = await freePort();
  const pids = new Set<number>();
  t.after(async () => {
    await devDown(devDir).catch(() => undefined);
    for (const pid of pids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(devDir, { recursive: true, force: true });
  });
  const up = async () => {
    const [k] = await devUp({ devDir, port, controllerPort, readyTimeoutMs: 90_000 });
    pids.add(k!.pid);
    return k!;
  };
  const broker = await up();
  const { kafka } = createKafkaClients({ ...resolveConnection({ brokers: broker.url, env: {} }), outageToleranceMs: 60_000 }, silentLogger());
  t.after(() => kafka.close());
  const topic = uniqueName('outage');
  await kafka.createTopics([{ topic, partitions: 2 }]);
  const batch = (from: number) => Array.from({ length: 10 }, (_, i) => ({ key: `k${from + i}`, value: JSON.stringify({ n: from + i }) }));

  const followed: IncomingRecord[] = [];
  const reader = kafka.read({ topics: [topic], from: 'earliest', to: 'follow' });
  const following = (async () => {
    for await (const b of reader) followed.push(...b.records);
  })();

  const producer = await kafka.createProducer({ transactionalId: uniqueName('outage-tx'), replayOnOutage: true });
  const first = await producer.transaction();
  await first.send(topic, batch(0));
  await first.commit();
  await waitFor(() => followed.length === 10, { message: 'the reader follows before the outage' });

  // A transaction whose commit is asked while the broker is away: kafkajs fails
  // that at once (its coordinator lookup is not retried) and leaves the
  // transaction neither committed nor abortable; the port settles and rewrites it.
  const second = await producer.transaction();
  await second.send(topic, batch(10));
  await second.send(topic, batch(20));
  const down = await devDown(devDir);
  assert.equal(down.find((s) => s.service === 'kafka')?.result, 'stopped');
  const committing = second.commit();
  await new Promise((r) => setTimeout(r, 2000)); // the commit waits: the broker is away
  const again = await up();
  assert.notEqual(again.pid, broker.pid);
  await committing;

  // And the producer goes on as before.
  const third = await producer.transaction();
  await third.send(topic, batch(30));
  await third.commit();
  await producer.close();

  const all: IncomingRecord[] = [];
  for await (const b of kafka.read({ topics: [topic], from: 'earliest', to: 'end' })) all.push(...b.records);
  const keys = (rs: readonly IncomingRecord[]) => rs.map((r) => r.key?.toString()).sort();
  const want = batch(0).concat(batch(10), batch(20), batch(30)).map((r) => r.key).sort();
  assert.deepEqual(keys(all), want, 'read_committed: every record exactly once');

  await waitFor(() => followed.length >= 40, { timeoutMs: 60_000, message: 'the following reader resumed after the restart' });
  await reader.close();
  await following;
  assert.deepEqual(keys(followed), want, 'the following reader saw every record once');
});

test('broker restart: the direct idempotent producer writes a send made while the broker is away once, and a direct reader resumes', { timeout: 180_000 }, async (t) => {
  const devDir = mkdtempSync(join(tmpdir(), 'pitlane-outage-'));
  const port = await freePort();
  const controllerPort = await freePort();
  const pids = new Set<number>();
  t.after(async () => {
    await devDown(devDir).catch(() => undefined);
    for (const pid of pids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(devDir, { recursive: true, force: true });
  });
  const up = async () => {
    const [k] = await devUp({ devDir, port, controllerPort, readyTimeoutMs: 90_000 });
    pids.add(k!.pid);
    return k!;
  };
  const broker = await up();
  const { kafka } = createKafkaClients({ ...resolveConnection({ brokers: broker.url, env: {} }), outageToleranceMs: 60_000 }, silentLogger());
  t.after(() => kafka.close());
  const topic = uniqueName('outage-direct');
  await kafka.createTopics([{ topic, partitions: 2 }]);
  const batch = (from: number) => Array.from({ length: 10 }, (_, i) => ({ key: `k${from + i}`, value: JSON.stringify({ n: from + i }) }));

  const followed: IncomingRecord[] = [];
  const reader = kafka.read({ topics: [topic], from: 'earliest', to: 'follow', direct: true });
  const following = (async () => {
    for await (const b of reader) followed.push(...b.records);
  })();
  const producer = await kafka.createProducer({ idempotent: true });
  await producer.send(topic, batch(0));
  await waitFor(() => followed.length === 10, { message: 'the reader follows before the outage' });

  const down = await devDown(devDir);
  assert.equal(down.find((s) => s.service === 'kafka')?.result, 'stopped');
  const sending = producer.send(topic, batch(10), { compression: 'lz4' });
  await new Promise((r) => setTimeout(r, 2000)); // the send waits: the broker is away
  const again = await up();
  assert.notEqual(again.pid, broker.pid);
  const positions = await sending;
  assert.equal(positions.length, 10);
  await producer.send(topic, batch(20));
  await producer.close();

  const all: IncomingRecord[] = [];
  for await (const b of kafka.read({ topics: [topic], from: 'earliest', to: 'end', direct: true })) all.push(...b.records);
  const keys = (rs: readonly IncomingRecord[]) => rs.map((r) => r.key?.toString()).sort();
  const want = batch(0).concat(batch(10), batch(20)).map((r) => r.key).sort();
  assert.deepEqual(keys(all), want, 'every record exactly once');
  await waitFor(() => followed.length >= 30, { timeoutMs: 60_000, message: 'the direct reader resumed after the restart' });
  await reader.close();
  await following;
  assert.deepEqual(keys(followed), want, 'the direct reader saw every record once');
});
