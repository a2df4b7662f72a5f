// The engine's direct read: record batches as kafkajs' own producer encodes them (its
// encoder, every codec plugged in), through the fetch reader's steps — selectBatches,
// inflateBatches — into records by decodeRecords.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { registerKafkaJsCodecs } from './kafkajs-codecs.ts';
import { inflateBatches, selectBatches } from './record-batches.ts';
import { decodeRecords } from './batch-records.ts';
import type { AbortedTransaction } from './fetch-wire.ts';

const require = createRequire(import.meta.url);
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as { RecordBatch: (o: object) => Promise<{ buffer: Buffer }> };
const Record = require('kafkajs/src/protocol/recordBatch/record/v0') as (o: object) => unknown;
const Long = require('kafkajs/src/utils/long') as { fromNumber(n: number): unknown };

interface R {
  key?: string | null;
  value?: string | null;
  headers?: Record<string, string>;
}

const CODECS = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;

async function batch(base: number, records: R[], o: { codec?: number; producerId?: number; transactional?: boolean; ts?: number } = {}): Promise<Buffer> {
  const recs = records.map((r, i) =>
    Record({
      offsetDelta: i,
      timestampDelta: i * 10,
      key: r.key === undefined ? Buffer.from(`k${base + i}`) : r.key === null ? null : Buffer.from(r.key),
      value: r.value === undefined ? Buffer.from(`{"n":${base + i}}`) : r.value === null ? null : Buffer.from(r.value),
      headers: r.headers ?? {},
    }),
  );
  const { buffer } = await RecordBatch({
    compression: o.codec ?? 0,
    firstOffset: Long.fromNumber(base),
    firstTimestamp: o.ts ?? 1_000,
    maxTimestamp: (o.ts ?? 1_000) + records.length * 10,
    lastOffsetDelta: records.length - 1,
    transactional: o.transactional ?? false,
    producerId: Long.fromNumber(o.producerId ?? -1),
    records: recs,
  });
  return buffer;
}

/** A transaction marker: a control batch of one record whose key is [version 0, type] (0 abort, 1 commit). */
async function marker(offset: number, producerId: number, commit: boolean): Promise<Buffer> {
  const b = Buffer.from(await batchOfKey(offset, producerId, Buffer.from([0, 0, 0, commit ? 1 : 0])));
  b.writeInt16BE(b.readInt16BE(21) | 0x20, 21);
  return b;
}
async function batchOfKey(offset: number, producerId: number, key: Buffer): Promise<Buffer> {
  const { buffer } = await RecordBatch({ firstOffset: Long.fromNumber(offset), transactional: true, producerId: Long.fromNumber(producerId), records: [Record({ key, value: Buffer.alloc(0) })] });
  return buffer;
}

const n = (count: number): R[] => Array.from({ length: count }, () => ({}));

/** What the fetch reader hands the engine for one partition's fetched bytes. */
async function read(fetched: Buffer, from: number, to = Infinity, aborted: AbortedTransaction[] = [], readCommitted = true) {
  const sel = selectBatches(fetched, from, to, aborted, readCommitted);
  const pieces = await inflateBatches(fetched, sel.ranges, 't/0');
  return { records: decodeRecords(Buffer.concat(pieces), 't', 0, from, to), next: sel.next };
}

test('decodeRecords: keys, values, null and empty ones, headers (the first of a repeated name), timestamps and offsets', async () => {
  const fetched = await batch(100, [{}, { key: null, value: null }, { key: '', value: '' }, { headers: { a: '1', 'pitlane.src.offset': '42' } }], { ts: 5_000 });
  const { records, next } = await read(fetched, 0);
  assert.equal(next, 104);
  assert.deepEqual(records.map((r) => [r.topic, r.partition, r.offset, r.timestamp]), [['t', 0, 100, 5000], ['t', 0, 101, 5010], ['t', 0, 102, 5020], ['t', 0, 103, 5030]]);
  assert.equal(records[0]!.key!.toString(), 'k100');
  assert.equal(records[0]!.value!.toString(), '{"n":100}');
  assert.equal(records[1]!.key, null);
  assert.equal(records[1]!.value, null);
  assert.equal(records[2]!.key!.length, 0);
  assert.equal(records[2]!.value!.length, 0);
  assert.deepEqual(Object.keys(records[0]!.headers), []);
  assert.deepEqual(Object.fromEntries(Object.entries(records[3]!.headers).map(([k, v]) => [k, v.toString()])), { a: '1', 'pitlane.src.offset': '42' });
});

test('decodeRecords: only offsets in [from, to) — a fetch returns whole batches from before the position', async () => {
  const fetched = Buffer.concat([await batch(0, n(5)), await batch(5, n(5))]);
  const { records, next } = await read(fetched, 3, 8);
  assert.deepEqual(records.map((r) => r.offset), [3, 4, 5, 6, 7]);
  assert.equal(next, 8);
});

for (const [name, codec] of Object.entries(CODECS)) {
  test(`decodeRecords: ${name} batches, between plain ones, give the same records`, async () => {
    registerKafkaJsCodecs();
    const many = Array.from({ length: 700 }, (_, i) => ({ value: `{"user":"u${i % 31}","amount":${i * 3}}`, headers: { h: `v${i}` } }));
    const fetched = Buffer.concat([await batch(0, n(2)), await batch(2, many, { codec }), await batch(702, n(3))]);
    const { records, next } = await read(fetched, 0);
    assert.equal(next, 705);
    assert.deepEqual(records.map((r) => r.offset), Array.from({ length: 705 }, (_, i) => i));
    assert.deepEqual(records.slice(2, 702).map((r) => r.value!.toString()), many.map((m) => m.value));
    assert.equal(records[701]!.headers.h!.toString(), 'v699');
  });
}

test('decodeRecords over read_committed: an aborted transaction and the control batches are skipped, a committed one is read', async () => {
  // Producer 7 aborts offsets 0-2 (marker at 3); producer 8 commits 4-5 (marker at 6); then plain records.
  const fetched = Buffer.concat([
    await batch(0, n(3), { producerId: 7, transactional: true }),
    await marker(3, 7, false),
    await batch(4, n(2), { producerId: 8, transactional: true }),
    await marker(6, 8, true),
    await batch(7, n(2)),
  ]);
  const committed = await read(fetched, 0, Infinity, [{ producerId: 7, firstOffset: 0 }]);
  assert.deepEqual(committed.records.map((r) => r.offset), [4, 5, 7, 8]);
  assert.equal(committed.next, 9, 'the position moves past the skipped batches and markers');
  const uncommitted = await read(fetched, 0, Infinity, [{ producerId: 7, firstOffset: 0 }], false);
  assert.deepEqual(uncommitted.records.map((r) => r.offset), [0, 1, 2, 4, 5, 7, 8], 'read_uncommitted reads the aborted records, never the markers');
});

test('decodeRecords: a batch cut short by the fetch size is left for the next fetch, which reads it whole', async () => {
  const whole = Buffer.concat([await batch(0, n(4)), await batch(4, n(4), { codec: CODECS.lz4 })]);
  const cut = whole.subarray(0, whole.length - 10);
  const first = await read(cut, 0);
  assert.deepEqual(first.records.map((r) => r.offset), [0, 1, 2, 3]);
  assert.equal(first.next, 4);
  const second = await read(whole.subarray(whole.length - (whole.length - (await batch(0, n(4))).length)), first.next);
  assert.deepEqual(second.records.map((r) => r.offset), [4, 5, 6, 7]);
  const tooShort = await read(whole.subarray(0, 30), 0);
  assert.deepEqual(tooShort, { records: [], next: 0 }, 'less than one batch header: nothing read, the position stays');
});

test('decodeRecords refuses a batch still compressed (a reader that skipped inflateBatches)', async () => {
  registerKafkaJsCodecs();
  const b = await batch(0, n(3), { codec: CODECS.gzip });
  assert.throws(() => decodeRecords(b, 't', 0, 0, Infinity), /still compressed/);
});
