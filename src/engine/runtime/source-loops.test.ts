// The Kafka source loop against a narrow fake of the port (a reader whose batches are
// all buffered already, as the direct fetch reader's are while a job lags) and of the
// output channel (writes that only queue): between two slices the event loop turns,
// so a periodic commit (a timer) gets in while input is still waiting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../logger.ts';
import type { IncomingRecord, KafkaPort, OutgoingRecord, RecordBatch, RecordReader } from '../../kafka/port.ts';
import { defineJob } from '../api/job.ts';
import { startJob } from './runner.ts';
import type { OutputChannel } from './output.ts';
import { eventLoopTurn } from './source-loops.ts';

const cell = new Int32Array(new SharedArrayBuffer(4));

const job = defineJob({
  name: 'unit-slow',
  version: '1',
  maxParallelism: 16,
  build(env) {
    env
      .fromKafka<{ n: number }>({ uid: 'in', topics: 'in' })
      .map((e) => {
        Atomics.wait(cell, 0, 0, 0.1); // user code that blocks the event loop a little per record
        return e;
      }, 'slow')
      .toKafka({ uid: 'out', topic: 'out' });
  },
});

const record = (offset: number): IncomingRecord => ({ topic: 'in', partition: 0, offset, key: null, value: Buffer.from(JSON.stringify({ n: offset })), headers: {}, timestamp: 1000 + offset });

/** A reader whose batches are all buffered: each is handed over without waiting for I/O; then it waits until closed. */
function bufferedKafka(batches: RecordBatch[]): KafkaPort {
  return {
    watermarks: async () => [{ partition: 0, low: 0, high: 1_000_000 }],
    partitionCount: async () => 1,
    createTopics: async () => undefined,
    read(): RecordReader {
      let closed: () => void = () => undefined;
      const closing = new Promise<void>((r) => (closed = r));
      return {
        positions: () => [],
        close: async () => closed(),
        async *[Symbol.asyncIterator]() {
          for (const b of batches) yield b;
          await closing;
        },
      };
    },
  } as unknown as KafkaPort;
}

test('a source whose batches are all buffered lets periodic commits in between its slices', async () => {
  const total = 4 * 1000;
  const batches = Array.from({ length: 4 }, (_, b): RecordBatch => ({ topic: 'in', partition: 0, records: Array.from({ length: 1000 }, (_, i) => record(b * 1000 + i)), highWatermark: 1_000_000 }));
  let sent = 0;
  /** Records written when each commit began. */
  const commits: number[] = [];
  const output: OutputChannel = {
    mode: 'exactly-once',
    send: async (_topic, records: readonly OutgoingRecord[]) => void (sent += records.length),
    queue: (topic, records) => output.send(topic, records),
    commit: async (before) => {
      commits.push(sent);
      await before?.(undefined);
    },
    abort: async () => undefined,
    close: async () => undefined,
  };
  const running = await startJob(job, { kafka: bufferedKafka(batches), logger: silentLogger() }, { output, tickMs: 60_000, checkpointIntervalMs: 1 });
  while (sent < total) await new Promise((r) => setTimeout(r, 10));
  await running.stop();
  const during = commits.filter((n) => n < total);
  assert.ok(during.length >= 2, `commits while input waited, at ${JSON.stringify(commits)} records written`);
  assert.ok(new Set(during).size >= 2, `commits between different slices: ${JSON.stringify(commits)}`);
});

test('eventLoopTurn: a timer that is due runs before it resolves, whichever phase it is called from', async () => {
  for (const from of ['timers', 'check', 'microtask'] as const) {
    const order: string[] = [];
    await new Promise<void>((done) => {
      const go = () => {
        setTimeout(() => order.push('timer'), 0);
        // Due by the time the turn looks at the timers.
        const until = Date.now() + 2;
        while (Date.now() < until);
        void eventLoopTurn().then(() => {
          order.push('turn');
          done();
        });
      };
      if (from === 'timers') setTimeout(go, 0);
      else if (from === 'check') setImmediate(go);
      else queueMicrotask(go);
    });
    assert.deepEqual(order, ['timer', 'turn'], `from ${from}`);
  }
});
