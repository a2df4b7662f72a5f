import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KafkaPort } from '../kafka/port.ts';
import { startTraffic, TRAFFIC_CHUNK } from './traffic.ts';

// A narrow fake of the one port method traffic uses: it records each send's size.
function recordingPort(sizes: number[], failFirst = 0): KafkaPort {
  let failures = failFirst;
  return {
    produce: async (_topic: string, records: unknown[]) => {
      if (failures-- > 0) throw new Error('LEADER_NOT_AVAILABLE');
      sizes.push(records.length);
      return [];
    },
  } as unknown as KafkaPort;
}

test('a backlog goes out in chunks, without waiting between them, and nothing is skipped', async () => {
  const sizes: number[] = [];
  let clock = 0;
  // 10 s owed at once at 1,000/s: 10,000 records, at most TRAFFIC_CHUNK per send.
  const traffic = startTraffic(recordingPort(sizes), { topic: 't', rate: 1000, count: 10_000 }, () => (clock === 0 ? (clock = 1, 0) : 10_000));
  await traffic.done;
  assert.equal(sizes.reduce((a, b) => a + b, 0), 10_000);
  assert.ok(sizes.every((s) => s <= TRAFFIC_CHUNK), `sizes ${sizes.join(',')}`);
  assert.equal(sizes.length, Math.ceil(10_000 / TRAFFIC_CHUNK));
  assert.equal(traffic.produced(), 10_000);
});

test('a failed send is retried with the same records, not lost or doubled', async () => {
  const sizes: number[] = [];
  let calls = 0;
  const traffic = startTraffic(recordingPort(sizes, 2), { topic: 't', rate: 1000, count: 500 }, () => (calls++ === 0 ? 0 : 1_000_000));
  await traffic.done;
  assert.deepEqual(sizes, [500]);
});
