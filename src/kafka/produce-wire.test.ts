// Record batches pitlane encodes itself, against kafkajs' own encoder (the same bytes)
// and read back by the fetch reader's steps and kafkajs' decoder, every codec.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { encodeRecordBatch, encodeProduce, decodeProduce } from './produce-wire.ts';
import { inflateBatches, selectBatches } from './record-batches.ts';
import { decodeRecords } from './batch-records.ts';
import { COMPRESSIONS } from './codecs.ts';
import type { OutgoingRecord } from './port.ts';

const require = createRequire(import.meta.url);
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as { RecordBatch: (o: object) => Promise<{ buffer: Buffer }> };
const Record = require('kafkajs/src/protocol/recordBatch/record/v0') as (o: object) => unknown;
const Long = require('kafkajs/src/utils/long') as { fromNumber(n: number): unknown };
const decodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (d: unknown) => Promise<{ records: { key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer> }[] }>;
const Decoder = require('kafkajs/src/protocol/decoder') as new (b: Buffer) => unknown;

const records: OutgoingRecord[] = [
  { key: 'k1', value: '{"n":1}', timestamp: 1_700_000_000_000, headers: { 'pitlane.event-time': '1700000000000', 'pitlane.src.topic': 'in' } },
  { key: null, value: Buffer.from('bytes'), timestamp: 1_700_000_000_500 },
  { key: Buffer.from('k3'), value: null, timestamp: 1_699_999_999_000, headers: { h: Buffer.from([0, 1, 2]) } },
  { key: 'ü-ключ', value: 'ünïcödé', timestamp: 1_700_000_001_000, headers: {} },
  // Strings about the length where short ASCII is written char by char and the rest by Buffer.write.
  { key: 'a'.repeat(64), value: 'b'.repeat(65), timestamp: 1_700_000_002_000, headers: { ['n'.repeat(64)]: `${'v'.repeat(63)}é`, 'ö': 'x'.repeat(200) } },
];
const id = { producerId: 4711, producerEpoch: 3, baseSequence: 120 };

test('encodeRecordBatch writes the bytes kafkajs\' encoder writes for the same records, CRC included', async () => {
  const ours = await encodeRecordBatch(records, id);
  const first = records[0]!.timestamp!;
  const { buffer: theirs } = await RecordBatch({
    firstOffset: Long.fromNumber(0),
    firstTimestamp: first,
    maxTimestamp: Math.max(...records.map((r) => r.timestamp!)),
    partitionLeaderEpoch: -1,
    lastOffsetDelta: records.length - 1,
    producerId: Long.fromNumber(id.producerId),
    producerEpoch: id.producerEpoch,
    firstSequence: id.baseSequence,
    records: records.map((r, i) => Record({ offsetDelta: i, timestampDelta: r.timestamp! - first, key: r.key == null ? null : Buffer.from(r.key), value: r.value == null ? null : Buffer.from(r.value), headers: Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k, Buffer.from(v)])) })),
  });
  assert.deepEqual(ours, theirs);
});

for (const codec of COMPRESSIONS) {
  test(`encodeRecordBatch with ${codec}: the fetch reader and kafkajs read the records back`, async () => {
    const many = Array.from({ length: 500 }, (_, i) => ({ key: `key-${i % 37}`, value: JSON.stringify({ k: `key-${i % 37}`, n: i }), timestamp: 1_700_000_000_000 + i, headers: { 'pitlane.src.offset': String(i) } }));
    const batch = await encodeRecordBatch(many, id, codec);
    assert.equal(batch.readInt16BE(21) & 7, COMPRESSIONS.indexOf(codec), 'the batch names its codec');
    const sel = selectBatches(batch, 0, Infinity, [], true);
    const read = decodeRecords(Buffer.concat(await inflateBatches(batch, sel.ranges, 't/0')), 't', 0, 0, Infinity);
    assert.deepEqual(read.map((r) => [r.offset, r.key!.toString(), r.value!.toString(), r.timestamp, r.headers['pitlane.src.offset']!.toString()]), many.map((m, i) => [i, m.key, m.value, m.timestamp, String(i)]));
    if (codec === 'none' || codec === 'gzip') {
      const decoded = await decodeBatch(new Decoder(batch));
      assert.deepEqual(decoded.records.map((r) => r.value!.toString()), many.map((m) => m.value), 'kafkajs reads it too');
    }
  });
}

test('a Produce v7 request frames its batches per topic and partition; a response decodes per partition', () => {
  const frame = encodeProduce(9, 'cid', 30_000, [{ topic: 'out', partitions: [{ partition: 2, batch: Buffer.from([1, 2, 3]) }] }]);
  assert.equal(frame.readInt32BE(0), frame.length - 4);
  assert.deepEqual([frame.readInt16BE(4), frame.readInt16BE(6), frame.readInt32BE(8)], [0, 7, 9], 'api key 0 (Produce), version 7 (zstd), correlation id');
  const body = frame.subarray(14 + 3);
  assert.deepEqual([body.readInt16BE(0), body.readInt16BE(2), body.readInt32BE(4), body.readInt32BE(8)], [-1, -1, 30_000, 1], 'no transactional id, acks all, timeout, one topic');
  const response = Buffer.alloc(4 + 2 + 3 + 4 + 30 + 4);
  let at = response.writeInt32BE(1, 0);
  at = response.writeInt16BE(3, at);
  at += response.write('out', at);
  at = response.writeInt32BE(1, at);
  at = response.writeInt32BE(2, at);
  at = response.writeInt16BE(46, at);
  response.writeBigInt64BE(1234n, at);
  assert.deepEqual(decodeProduce(response), [{ topic: 'out', partition: 2, errorCode: 46, baseOffset: 1234 }]);
});
