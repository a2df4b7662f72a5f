import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { kafkaForTest, waitFor } from './support/kafka.ts';
import { json, runJob, values, waitForRecords, readTopic } from './engine-harness.ts';
import alarmV1 from '../examples/alarm/v1.ts';
import alarmV2 from '../examples/alarm/v2.ts';
import type { Alarm, RoomEvent } from '../examples/alarm/model.ts';
import { LINEAGE_HEADERS } from '../src/engine/index.ts';

const T = 1_700_000_000_000;
const input: RoomEvent[] = [
  { room: 'kitchen', type: 'motion', ts: T }, // not armed
  { room: 'kitchen', type: 'activate', ts: T + 1000 },
  { room: 'hall', type: 'activate', ts: T + 2000 },
  { room: 'kitchen', type: 'motion', ts: T + 5000 }, // v1: alarm; v2: within 10 s grace
  { room: 'hall', type: 'motion', ts: T + 20_000 }, // both: alarm (v2: 18 s after arming)
  { room: 'kitchen', type: 'motion', ts: T + 30_000 }, // v1: last was motion → none; v2: 29 s after → alarm
  { room: 'hall', type: 'deactivate', ts: T + 40_000 },
  { room: 'hall', type: 'motion', ts: T + 41_000 }, // disarmed
];

async function runAlarm(t: TestContext, job: typeof alarmV1, params: Record<string, string>) {
  const k = kafkaForTest(t);
  const [inTopic, outTopic] = [await k.topic('alarm-in'), await k.topic('alarm-out')];
  await runJob(t, k, job, { params: { input: inTopic, output: outTopic, ...params }, deadLetterTopic: await k.topic('alarm-dlq') });
  await k.kafka.produce(inTopic, json(input, (e: RoomEvent) => e.room));
  return { k, inTopic, outTopic };
}

test('alarm v1: motion in an armed room raises one alarm per arming, with lineage', async (t) => {
  const { k, inTopic, outTopic } = await runAlarm(t, alarmV1, {});
  const recs = await waitForRecords(k.kafka, outTopic, 2);
  await waitFor(async () => (await readTopic(k.kafka, inTopic)).length === input.length);
  assert.deepEqual(values<Alarm>(recs), [
    { room: 'kitchen', ts: T + 5000, reason: 'motion while armed' },
    { room: 'hall', ts: T + 20_000, reason: 'motion while armed' },
  ]);
  // Lineage: the kitchen alarm was caused by input offset 3.
  const h = recs[0]!.headers;
  assert.equal(h[LINEAGE_HEADERS.topic]!.toString(), inTopic);
  assert.equal(h[LINEAGE_HEADERS.partition]!.toString(), '0');
  assert.equal(h[LINEAGE_HEADERS.offset]!.toString(), '3');
  assert.equal(h[LINEAGE_HEADERS.eventTime]!.toString(), String(T + 5000));
  assert.equal(recs[0]!.timestamp, T + 5000);
  assert.equal(recs[0]!.key!.toString(), 'kitchen');
});

test('alarm v2: motion within the grace time after arming is tolerated', async (t) => {
  const { k, outTopic } = await runAlarm(t, alarmV2, { graceMs: '10000' });
  const recs = await waitForRecords(k.kafka, outTopic, 2);
  assert.deepEqual(values<Alarm>(recs), [
    { room: 'hall', ts: T + 20_000, reason: 'motion 18000 ms after arming' },
    { room: 'kitchen', ts: T + 30_000, reason: 'motion 29000 ms after arming' },
  ]);
});

test('pitlane run: the real CLI runs alarm v1, prints status, and stops cleanly on SIGTERM', async (t) => {
  const k = kafkaForTest(t);
  const [inTopic, outTopic, dlq] = [await k.topic('cli-in'), await k.topic('cli-out'), await k.topic('cli-dlq')];
  await k.kafka.produce(inTopic, json(input, (e: RoomEvent) => e.room));
  const child = spawn(process.execPath, ['bin/pitlane.mjs', 'run', 'examples/alarm/v1.ts', '--parallelism', '4', '--param', `input=${inTopic}`, '--param', `output=${outTopic}`, '--dlq-topic', dlq, '--status-interval', '0.2', '--json'], {
    env: process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => child.kill('SIGKILL'));
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  await waitForRecords(k.kafka, outTopic, 2);
  await waitFor(() => stdout.includes('"recordsIn":8'), { message: 'status shows 8 records in' });
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  const last = JSON.parse(stdout.trim().split('\n').at(-1)!) as { state: string; operators: { uid?: string; keysInState: number; subtasks?: unknown[] }[] };
  assert.equal(last.state, 'stopped');
  const proc = last.operators.find((o) => o.uid === 'room-state')!;
  assert.equal(proc.keysInState, 2);
  assert.equal(proc.subtasks!.length, 4);
  assert.equal((await readTopic(k.kafka, outTopic)).length, 2);
});
