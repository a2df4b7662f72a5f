import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { registerKafkaJsCodecs } from './kafkajs-codecs.ts';
import { inflateBatches, selectBatches, unpackRecords } from './record-batches.ts';

// kafkajs' own record batch encoder and decoder: what its producer writes and its consumer reads.
const require = createRequire(import.meta.url);
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as { RecordBatch: (o: object) => Promise<{ buffer: Buffer }> };
const Record = require('kafkajs/src/protocol/recordBatch/record/v0') as (o: object) => unknown;
const decodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (d: unknown) => Promise<{ records: { key: Buffer; value: Buffer }[] }>;
const Decoder = require('kafkajs/src/protocol/decoder') as new (b: Buffer) => { readInt64(): unknown; readInt32(): number; forward(n: number): void; offset: number };

const values = Array.from({ length: 2000 }, (_, i) => `{"user":"u${i % 97}","amount":${(i * 7) % 1000},"n":${i}}`);

test('kafkajs: with the codecs plugged in, its producer compresses and its consumer inflates each codec, and the fetch reader reads its batches', async () => {
  registerKafkaJsCodecs();
  registerKafkaJsCodecs(); // idempotent
  for (const [type, name] of [[2, 'snappy'], [3, 'lz4'], [4, 'zstd']] as const) {
    const records = values.map((v, i) => Record({ offsetDelta: i, key: Buffer.from(`k${i}`), value: Buffer.from(v) }));
    const { buffer } = await RecordBatch({ compression: type, records, lastOffsetDelta: values.length - 1 });
    assert.equal(buffer.readInt16BE(21) & 7, type, `${name}: the batch says its codec`);
    assert.ok(buffer.length < values.join('').length * 0.75, `${name}: the records are compressed (${buffer.length} bytes)`);

    const decoded = await decodeBatch(new Decoder(buffer));
    assert.deepEqual(decoded.records.map((r) => r.value.toString()), values, `${name}: kafkajs reads it back`);

    const sel = selectBatches(buffer, 0, Infinity, [], true);
    const inflated = Buffer.concat(await inflateBatches(buffer, sel.ranges, 't/0'));
    const aligned = Buffer.from(new ArrayBuffer(inflated.length));
    inflated.copy(aligned);
    const u = unpackRecords(aligned, 0, Infinity, [], sel.records);
    assert.deepEqual(Array.from({ length: u.count }, (_, i) => u.bytes.toString('utf8', u.spans[4 * i + 2]!, u.spans[4 * i + 2]! + u.spans[4 * i + 3]!)), values, `${name}: the fetch reader reads it`);
  }
});
