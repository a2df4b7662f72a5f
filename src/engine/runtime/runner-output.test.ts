// What the runner does when writing a batch's output fails, against a narrow fake of
// the Kafka port (reads) and of the output channel (writes): the job fails, and the
// source is NOT reopened past the batch — that would drop the batch's output while
// its records stay counted in state (a read_committed reader would wait forever).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../logger.ts';
import type { IncomingRecord, KafkaPort, OutgoingRecord, ReadOptions, RecordBatch, RecordReader } from '../../kafka/port.ts';
import { defineJob } from '../api/job.ts';
import { startJob } from './runner.ts';
import type { OutputChannel } from './output.ts';

const job = defineJob({
  name: 'unit-count',
  version: '1',
  maxParallelism: 16,
  build(env) {
    env
      .fromKafka<{ type: string }>({ uid: 'in', topics: 'in' })
      .keyBy((e) => e.type)
      .reduce('count', (a) => a)
      .toKafka({ uid: 'out', topic: 'out', key: (e) => e.type });
  },
});

const record = (offset: number): IncomingRecord => ({ topic: 'in', partition: 0, offset, key: null, value: Buffer.from(JSON.stringify({ type: `t${offset % 3}` })), headers: {}, timestamp: 1000 + offset });

/** A reader over fixed batches that then waits (a live topic) until closed. */
function fakeKafka(batches: RecordBatch[][]) {
  const reads: ReadOptions[] = [];
  const kafka = {
    watermarks: async () => [{ partition: 0, low: 0, high: 100 }],
    partitionCount: async () => 1,
    createTopics: async () => undefined,
    read(options: ReadOptions): RecordReader {
      reads.push(options);
      const mine = batches.shift() ?? [];
      let closed: () => void = () => undefined;
      const closing = new Promise<void>((r) => (closed = r));
      return {
        positions: () => [],
        close: async () => closed(),
        async *[Symbol.asyncIterator]() {
          for (const b of mine) yield b;
          await closing;
        },
      };
    },
  } as unknown as KafkaPort;
  return { kafka, reads };
}

function fakeOutput(failOnSend: number) {
  const sent: OutgoingRecord[][] = [];
  let sends = 0;
  const calls: string[] = [];
  const output: OutputChannel = {
    mode: 'exactly-once',
    send: async (_topic, records) => {
      if (++sends === failOnSend) throw new Error('retries exhausted');
      sent.push([...records]);
    },
    queue: (topic, records) => output.send(topic, records),
    commit: async (before) => {
      calls.push('commit');
      await before?.(undefined);
    },
    abort: async () => void calls.push('abort'),
    close: async () => void calls.push('close'),
  };
  return { output, sent, calls };
}

test('a batch whose output cannot be written fails the job; the source is not read on past it', async () => {
  const batch = (from: number): RecordBatch => ({ topic: 'in', partition: 0, records: [0, 1, 2].map((i) => record(from + i)), highWatermark: 100 });
  const f = fakeKafka([[batch(0), batch(3), batch(6)], [batch(9)]]);
  const out = fakeOutput(2);
  const running = await startJob(job, { kafka: f.kafka, logger: silentLogger() }, { output: out.output, tickMs: 60_000 });
  await assert.rejects(running.finished, /retries exhausted/);
  assert.equal(running.status().state, 'failed');
  assert.equal(f.reads.length, 1, 'the source was not reopened after the failed write');
  assert.deepEqual(out.sent.map((s) => s.length), [3], 'only the batch before the failure was written');
  assert.deepEqual(out.calls, ['abort'], 'the uncommitted output is aborted, never committed');
});

test('a record a reader delivers twice (an overlapping batch) is processed once', async () => {
  const batch = (offsets: number[]): RecordBatch => ({ topic: 'in', partition: 0, records: offsets.map(record), highWatermark: 100 });
  const f = fakeKafka([[batch([0, 1, 2]), batch([1, 2, 3]), batch([3, 4])]]);
  const out = fakeOutput(0);
  const running = await startJob(job, { kafka: f.kafka, logger: silentLogger() }, { output: out.output, tickMs: 60_000 });
  const seen = () => out.sent.flat().length;
  for (let i = 0; i < 200 && seen() < 5; i++) await new Promise((r) => setTimeout(r, 10));
  await running.stop();
  assert.equal(seen(), 5, 'offsets 0..4 once each');
  assert.equal(running.status().operators.find((o) => o.kind === 'source')?.recordsIn, 5);
});
