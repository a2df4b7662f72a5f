// The send pipeline's guarantees against a fake write: order, coalescing while a write
// is in flight, commit boundaries taken at the call, a failure refusing all that follows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { OutgoingRecord } from '../../kafka/port.ts';
import { SendPipeline } from './send-pipeline.ts';

function fakeWrites() {
  const writes: string[] = [];
  const gates: { open(): void; fail(e: unknown): void }[] = [];
  const write = (topic: string, records: readonly OutgoingRecord[]) => {
    writes.push(`${topic}:${records.map((r) => String(r.value)).join(',')}`);
    return new Promise<void>((open, fail) => gates.push({ open, fail }));
  };
  return { writes, gates, write };
}

const recs = (...values: string[]): OutgoingRecord[] => values.map((value) => ({ key: 'k', value }));
const settle = () => new Promise((r) => setImmediate(r));
const refused = (e: unknown) => new Error(`refused after: ${String(e)}`);

test('send pipeline: queue resolves before the write; what waits meanwhile goes out in order, coalesced per topic', async () => {
  const f = fakeWrites();
  const p = new SendPipeline(f.write, refused);
  await p.queue('out', recs('a'), undefined);
  assert.deepEqual(f.writes, ['out:a'], 'written at once, and queue resolved before its write did');
  await p.queue('out', recs('b'), undefined);
  await p.queue('out', recs('c'), undefined);
  await p.queue('dlq', recs('x'), undefined);
  await p.queue('out', recs('d'), undefined);
  await p.queue('out', recs('e'), { compression: 'lz4' });
  assert.equal(f.writes.length, 1, 'one request in flight at a time');
  for (let i = 0; i < 4; i++) {
    f.gates[i]!.open();
    await settle();
  }
  assert.deepEqual(f.writes, ['out:a', 'out:b,c', 'dlq:x', 'out:d', 'out:e']);
});

test('send pipeline: a commit boundary takes the sends called before it, never one after, until released', async () => {
  const f = fakeWrites();
  const p = new SendPipeline(f.write, refused);
  await p.queue('out', recs('a'), undefined);
  await p.queue('out', recs('b'), undefined);
  const boundary = p.boundary();
  await p.queue('out', recs('late'), undefined);
  const flushed = p.flushed(boundary);
  f.gates[0]!.open();
  await settle();
  assert.deepEqual(f.writes, ['out:a', 'out:b'], 'b is before the boundary; late is not');
  f.gates[1]!.open();
  await flushed;
  await settle();
  assert.deepEqual(f.writes, ['out:a', 'out:b'], 'late waits for the commit to release');
  p.release();
  assert.deepEqual(f.writes, ['out:a', 'out:b', 'out:late']);
});

test('send pipeline: a failed write rejects its sends, refuses what was queued after it, every later call and the commit', async () => {
  const f = fakeWrites();
  const p = new SendPipeline(f.write, refused);
  const a = p.send('out', recs('a'), undefined);
  const b = p.send('out', recs('b'), undefined);
  const boundary = p.boundary();
  f.gates[0]!.fail(new Error('broker gone'));
  await assert.rejects(a, /broker gone/);
  await assert.rejects(b, /refused after: Error: broker gone/);
  await assert.rejects(p.flushed(boundary), /refused after/);
  await assert.rejects(p.queue('out', recs('c'), undefined), /refused after/);
  await assert.rejects(p.send('out', recs('d'), undefined), /refused after/);
  assert.deepEqual(f.writes, ['out:a'], 'nothing is written after the failure');
});

test('send pipeline: queue holds the caller back while many records wait, and lets it go as writes take them', async () => {
  const f = fakeWrites();
  const p = new SendPipeline(f.write, refused);
  await p.queue('out', recs('first'), undefined);
  const big = Array.from({ length: 60_000 }, (_, i) => ({ key: null, value: String(i) }));
  let queued = false;
  const q = p.queue('out', big, undefined).then(() => (queued = true));
  await settle();
  assert.equal(queued, false, 'more than the limit waits: the caller is held');
  f.gates[0]!.open();
  await settle();
  f.gates[1]!.open();
  await q;
  assert.equal(queued, true);
});
