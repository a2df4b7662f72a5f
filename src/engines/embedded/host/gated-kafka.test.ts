import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingRecord, KafkaPort, ReadOptions, RecordBatch, RecordReader } from '../../../kafka/port.ts';
import { gatedKafka, InputGate, type OutputTimes } from './gated-kafka.ts';

const rec = (partition: number, offset: number): IncomingRecord => ({ topic: 't', partition, offset, key: null, value: null, headers: {}, timestamp: 0 });
const batch = (partition: number, from: number, n: number): RecordBatch => ({ topic: 't', partition, highWatermark: from + n, records: Array.from({ length: n }, (_, i) => rec(partition, from + i)) });

/** A narrow fake of the reader port: yields the given batches, then waits forever (a 'follow' read). */
function fakePort(batches: RecordBatch[]): KafkaPort {
  const reader = (): RecordReader => {
    let i = 0;
    return {
      [Symbol.asyncIterator]: () => ({ next: () => (i < batches.length ? Promise.resolve({ done: false, value: batches[i++]! }) : new Promise<never>(() => undefined)) }),
      positions: () => [],
      close: async () => undefined,
    };
  };
  return { read: (_o: ReadOptions) => reader() } as unknown as KafkaPort;
}

const offsets = (b: RecordBatch) => b.records.map((r) => `${r.partition}@${r.offset}`);

test('the gate splits batches at the limit, keeps the rest in order, and lets other partitions flow', async () => {
  const gate = new InputGate();
  const out: OutputTimes = { first: new Map(), last: new Map(), records: 0 };
  const port = gatedKafka(fakePort([batch(0, 0, 5), batch(1, 0, 3), batch(0, 5, 2)]), gate, out, () => 0);
  gate.runUntil([{ topic: 't', partition: 0, offset: 3 }, { topic: 't', partition: 1, offset: 10 }]);
  const it = port.read({ topics: ['t'], from: { offsets: [{ topic: 't', partition: 0, offset: 0 }, { topic: 't', partition: 1, offset: 0 }] } })[Symbol.asyncIterator]();
  assert.deepEqual(offsets((await it.next()).value as RecordBatch), ['0@0', '0@1', '0@2']);
  assert.deepEqual(offsets((await it.next()).value as RecordBatch), ['1@0', '1@1', '1@2'], 'partition 1 is not blocked by held partition 0');
  assert.deepEqual(gate.pastOf([{ topic: 't', partition: 0, offset: 2 }]), [{ topic: 't', partition: 0, offset: 2 }], 'delivered past 2 on partition 0');
  // Nothing more is deliverable until the limit moves; then the kept records come in order.
  const pending = it.next();
  const raced = await Promise.race([pending, new Promise((r) => setTimeout(() => r('waiting'), 30))]);
  assert.equal(raced, 'waiting');
  gate.runUntil([{ topic: 't', partition: 0, offset: 6 }]);
  // The later batch of partition 0 (5, 6) was kept behind 3, 4 while waiting: order holds.
  assert.deepEqual(offsets((await pending).value as RecordBatch), ['0@3', '0@4', '0@5']);
  gate.release();
  assert.deepEqual(offsets((await it.next()).value as RecordBatch), ['0@6']);
});

test('holdHere holds at exactly what was delivered', async () => {
  const gate = new InputGate();
  const port = gatedKafka(fakePort([batch(0, 10, 4)]), gate, { first: new Map(), last: new Map(), records: 0 }, () => 0);
  const it = port.read({ topics: ['t'], from: { offsets: [{ topic: 't', partition: 0, offset: 10 }] } })[Symbol.asyncIterator]();
  assert.deepEqual(offsets((await it.next()).value as RecordBatch), ['0@10', '0@11', '0@12', '0@13']);
  assert.deepEqual(gate.holdHere(), [{ topic: 't', partition: 0, offset: 14 }]);
  assert.equal(gate.limitOf('t', 0), 14);
  assert.equal(gate.limitOf('t', 9), 0, 'a partition never delivered is held at 0');
});

test('output observation records first and last write per topic', async () => {
  const out: OutputTimes = { first: new Map(), last: new Map(), records: 0 };
  let now = 100;
  const inner = { createProducer: async () => ({ send: async () => [], transaction: async () => ({}), close: async () => undefined }) } as unknown as KafkaPort;
  const p = await gatedKafka(inner, new InputGate(), out, () => now).createProducer();
  await p.send('a', [{ value: 'x' }]);
  now = 200;
  await p.send('a', [{ value: 'y' }, { value: 'z' }]);
  await p.send('b', []);
  assert.deepEqual([out.first.get('a'), out.last.get('a'), out.records, out.first.has('b')], [100, 200, 3, false]);
});

test('a backlog kept during a hold is released in bounded batches, in order', async () => {
  const gate = new InputGate();
  const port = gatedKafka(fakePort([batch(0, 0, 1200)]), gate, { first: new Map(), last: new Map(), records: 0 }, () => 0);
  gate.runUntil([{ topic: 't', partition: 0, offset: 0 }]);
  const it = port.read({ topics: ['t'], from: { offsets: [{ topic: 't', partition: 0, offset: 0 }] } })[Symbol.asyncIterator]();
  const first = it.next();
  await new Promise((r) => setTimeout(r, 10));
  gate.release();
  const sizes: number[] = [];
  const seen: number[] = [];
  for (let i = 0; i < 3; i++) {
    const b = (await (i === 0 ? first : it.next())).value as RecordBatch;
    sizes.push(b.records.length);
    seen.push(...b.records.map((r) => r.offset));
  }
  assert.deepEqual(sizes, [500, 500, 200]);
  assert.deepEqual(seen, Array.from({ length: 1200 }, (_, i) => i));
});

test('transactional output is visible at its commit; the first send per topic is announced', async () => {
  const out: OutputTimes = { first: new Map(), last: new Map(), sent: new Map(), records: 0 };
  const announced: string[] = [];
  out.onFirstSend = (topic) => announced.push(topic);
  let now = 100;
  const tx = { send: async () => undefined, sendOffsets: async () => undefined, commit: async () => undefined, abort: async () => undefined };
  const inner = { createProducer: async () => ({ send: async () => [], transaction: async () => tx, close: async () => undefined }) } as unknown as KafkaPort;
  const p = await gatedKafka(inner, new InputGate(), out, () => now).createProducer({ transactionalId: 'x' });
  const t = await p.transaction();
  await t.send('a', [{ value: 'x' }]);
  await t.send('a', [{ value: 'y' }]);
  assert.deepEqual([out.sent?.get('a'), out.first.has('a'), announced], [100, false, ['a']], 'sent, not yet visible');
  now = 150;
  await t.commit();
  assert.deepEqual([out.first.get('a'), out.last.get('a'), out.records], [150, 150, 2]);
});
