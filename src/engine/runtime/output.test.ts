// The output channel's ordering guarantees, against a narrow fake of the producer port:
// which transaction each send lands in, that a commit never overtakes a send, and that
// a unit with a failed send never commits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KafkaPort, OutgoingRecord, ProducerHandle, Transaction } from '../../kafka/port.ts';
import { KafkaError } from '../../errors.ts';
import { openAtLeastOnceOutput, openExactlyOnceOutput } from './output.ts';

interface Gate {
  readonly promise: Promise<void>;
  open(): void;
  fail(e: unknown): void;
}
function gate(): Gate {
  let open!: () => void;
  let fail!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => ((open = res), (fail = rej)));
  return { promise, open, fail };
}

/** A fake producer: transactions numbered from 1; every call is logged; sends may be held by a gate. */
function fakeKafka() {
  const log: string[] = [];
  const sendGates: Gate[] = [];
  let holdSends = false;
  let failCommit: unknown;
  let failBegin: unknown[] = [];
  let txCount = 0;
  const producer: ProducerHandle = {
    send: async (topic, records) => {
      log.push(`send ${topic} ${records.map((r) => String(r.value)).join(',')}`);
      if (holdSends) {
        const g = gate();
        sendGates.push(g);
        await g.promise;
      }
      log.push(`sent ${topic}`);
      return [];
    },
    transaction: async (): Promise<Transaction> => {
      const refusal = failBegin.shift();
      if (refusal !== undefined) {
        log.push('begin refused');
        throw refusal;
      }
      const n = ++txCount;
      log.push(`begin ${n}`);
      return {
        send: async (topic, records: readonly OutgoingRecord[]) => {
          const what = `${n} ${records.map((r) => String(r.value)).join(',')}`;
          log.push(`send ${what}`);
          if (holdSends) {
            const g = gate();
            sendGates.push(g);
            await g.promise;
          }
          log.push(`sent ${what}`);
        },
        sendOffsets: async () => void log.push(`offsets ${n}`),
        commit: async () => {
          log.push(`commit ${n}`);
          if (failCommit !== undefined) throw failCommit;
        },
        abort: async () => void log.push(`abort ${n}`),
      };
    },
    close: async () => void log.push('close'),
  };
  const kafka = { createProducer: async () => producer } as unknown as KafkaPort;
  return {
    kafka,
    log,
    sendGates,
    hold: (on: boolean) => (holdSends = on),
    failNextCommit: (e: unknown) => (failCommit = e),
    failBegins: (...e: unknown[]) => (failBegin = e),
  };
}

const rec = (value: string): OutgoingRecord[] => [{ key: 'k', value }];
const settle = () => new Promise((r) => setImmediate(r));

test('exactly-once: a commit begins only after every send called before it has settled', async () => {
  const f = fakeKafka();
  const out = await openExactlyOnceOutput(f.kafka, 'pitlane.unit');
  f.hold(true);
  const a = out.send('out', rec('a'));
  const b = out.send('out', rec('b'));
  const committed = out.commit(async (tx) => tx?.sendOffsets('g', []));
  await settle();
  assert.deepEqual(f.log, ['begin 1', 'send 1 a'], 'b and the commit wait for a');
  f.sendGates[0]!.open();
  await settle();
  assert.deepEqual(f.log.slice(-1), ['send 1 b'], 'the commit waits for b');
  f.sendGates[1]!.open();
  await Promise.all([a, b, committed]);
  assert.deepEqual(f.log, ['begin 1', 'send 1 a', 'sent 1 a', 'send 1 b', 'sent 1 b', 'offsets 1', 'commit 1', 'begin 2']);
});

test('exactly-once: a send called while a commit runs goes into the next transaction', async () => {
  const f = fakeKafka();
  const out = await openExactlyOnceOutput(f.kafka, 'pitlane.unit');
  await out.send('out', rec('a'));
  const hook = gate();
  const committed = out.commit(async (tx) => {
    await tx?.sendOffsets('g', []);
    await hook.promise;
  });
  await settle();
  const late = out.send('out', rec('late'));
  await settle();
  assert.ok(!f.log.some((l) => l.includes('late')), 'the late send waits for the commit');
  hook.open();
  await Promise.all([committed, late]);
  assert.deepEqual(f.log, ['begin 1', 'send 1 a', 'sent 1 a', 'offsets 1', 'commit 1', 'begin 2', 'send 2 late', 'sent 2 late']);
});

test('exactly-once: calls run in call order, commits included', async () => {
  const f = fakeKafka();
  const out = await openExactlyOnceOutput(f.kafka, 'pitlane.unit');
  await Promise.all([out.send('out', rec('a')), out.commit(), out.commit(), out.send('out', rec('b')), out.commit()]);
  assert.deepEqual(f.log, ['begin 1', 'send 1 a', 'sent 1 a', 'commit 1', 'begin 2', 'commit 2', 'begin 3', 'send 3 b', 'sent 3 b', 'commit 3', 'begin 4']);
});

test('exactly-once: a transaction with a failed send never commits, and takes no more sends', async () => {
  const f = fakeKafka();
  const out = await openExactlyOnceOutput(f.kafka, 'pitlane.unit');
  await out.send('out', rec('a'));
  f.hold(true);
  const failing = out.send('out', rec('b'));
  const committed = out.commit(async (tx) => tx?.sendOffsets('g', []));
  await settle();
  f.sendGates[0]!.fail(new Error('CONCURRENT_TRANSACTIONS, retries exhausted'));
  await assert.rejects(failing, /retries exhausted/);
  await assert.rejects(committed, (e: unknown) => (e as { code?: string }).code === 'ENGINE_OUTPUT_FAILED' && /cannot be committed/.test(String(e)));
  f.hold(false);
  await assert.rejects(out.send('out', rec('c')), (e: unknown) => (e as { code?: string }).code === 'ENGINE_OUTPUT_FAILED');
  await out.abort();
  assert.deepEqual(f.log, ['begin 1', 'send 1 a', 'sent 1 a', 'send 1 b', 'abort 1', 'close'], 'no checkpoint id, no commit');
});

test('exactly-once: after a failed commit nothing more is written', async () => {
  const f = fakeKafka();
  const out = await openExactlyOnceOutput(f.kafka, 'pitlane.unit');
  await out.send('out', rec('a'));
  f.failNextCommit(new Error('fenced'));
  await assert.rejects(out.commit(), /fenced/);
  await assert.rejects(out.send('out', rec('b')), (e: unknown) => (e as { code?: string }).code === 'ENGINE_OUTPUT_CLOSED');
  await assert.rejects(out.commit(), (e: unknown) => (e as { code?: string }).code === 'ENGINE_OUTPUT_CLOSED');
  assert.deepEqual(f.log, ['begin 1', 'send 1 a', 'sent 1 a', 'commit 1']);
});

test('exactly-once: abort does not wait for a commit that hangs (a fenced process), and aborts its transaction', async () => {
  const f = fakeKafka();
  const out = await openExactlyOnceOutput(f.kafka, 'pitlane.unit');
  await out.send('out', rec('a'));
  void out.commit(() => new Promise<void>(() => undefined));
  await settle();
  await out.abort();
  assert.deepEqual(f.log, ['begin 1', 'send 1 a', 'sent 1 a', 'abort 1', 'close']);
});

test('exactly-once: opening retries while the broker still settles the predecessor, but not a refusal', async () => {
  const concurrent = () => new KafkaError('KAFKA_ERROR', 'CONCURRENT_TRANSACTIONS, retries exhausted', { retriable: true });
  const fenced = new KafkaError('KAFKA_PRODUCER_FENCED', 'another producer took over');
  const cases: { name: string; refusals: unknown[]; opens: boolean; log: string[] }[] = [
    { name: 'settles after two refusals', refusals: [concurrent(), concurrent()], opens: true, log: ['begin refused', 'begin refused', 'begin 1'] },
    { name: 'not retriable', refusals: [fenced], opens: false, log: ['begin refused', 'close'] },
  ];
  for (const c of cases) {
    const f = fakeKafka();
    f.failBegins(...c.refusals);
    const opened = openExactlyOnceOutput(f.kafka, 'pitlane.unit');
    if (c.opens) await opened;
    else await assert.rejects(opened, /took over/);
    assert.deepEqual(f.log, c.log, c.name);
  }
});

test('at-least-once: the checkpoint hook runs only once every earlier send is durable, and never after a failed one', async () => {
  const f = fakeKafka();
  const out = await openAtLeastOnceOutput(f.kafka);
  f.hold(true);
  const a = out.send('out', rec('a'));
  const hooked: string[] = [];
  const committed = out.commit(async () => void hooked.push(f.log.join(' | ')));
  await settle();
  assert.equal(hooked.length, 0);
  f.sendGates[0]!.open();
  await Promise.all([a, committed]);
  assert.deepEqual(hooked, ['send out a | sent out']);

  const b = out.send('out', rec('b'));
  await settle();
  f.sendGates[1]!.fail(new Error('broker gone'));
  await assert.rejects(b, /broker gone/);
  await assert.rejects(out.commit(async () => void hooked.push('second')), (e: unknown) => (e as { code?: string }).code === 'ENGINE_OUTPUT_FAILED');
  assert.equal(hooked.length, 1, 'no checkpoint covers the lost write');
});
