import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { batchHeaders, inflateBatches, selectBatches, unpackRecords, UnsupportedBatchError } from './record-batches.ts';
import { compressSync as rawSnappy } from 'snappy';
import { COMPRESSIONS, compress } from './codecs.ts';
import { KafkaError } from '../errors.ts';

/** Zig-zag varint bytes. */
function varint(n: number): number[] {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  const out: number[] = [];
  do {
    let byte = z % 128;
    z = Math.floor(z / 128);
    if (z > 0) byte |= 0x80;
    out.push(byte);
  } while (z > 0);
  return out;
}

const bytesOf = (s: string | null) => (s === null ? [...varint(-1)] : [...varint(Buffer.byteLength(s)), ...Buffer.from(s)]);

interface R {
  delta: number;
  tsDelta?: number;
  key?: string | null;
  value?: string | null;
  headers?: [string, string | null][];
}

/** The records of a batch, uncompressed. */
function recordBytes(records: R[]): Buffer {
  return Buffer.from(
    records.flatMap((r) => {
      const body = [0, ...varint(r.tsDelta ?? 0), ...varint(r.delta), ...bytesOf(r.key === undefined ? `k${r.delta}` : r.key), ...bytesOf(r.value === undefined ? `v${r.delta}` : r.value), ...varint(r.headers?.length ?? 0), ...(r.headers ?? []).flatMap(([k, v]) => [...bytesOf(k), ...bytesOf(v)])];
      return [...varint(body.length), ...body];
    }),
  );
}

interface BatchOptions { base: number; records: R[]; codec?: number; logAppend?: boolean; txn?: boolean; control?: boolean; producerId?: number; magic?: number; baseTs?: number; maxTs?: number; payload?: Buffer }

/** One record batch, format v2 (the CRC is not checked by the reader, so it is left zero); `payload` replaces the records' bytes. */
function batch(o: BatchOptions): Buffer {
  const recs = recordBytes(o.records);
  const payload = o.payload ?? (o.codec === 1 ? gzipSync(recs) : recs);
  const h = Buffer.alloc(61);
  h.writeBigInt64BE(BigInt(o.base), 0);
  h.writeInt32BE(49 + payload.length, 8);
  h.writeInt8(o.magic ?? 2, 16);
  h.writeInt16BE((o.codec ?? 0) | (o.logAppend ? 0x08 : 0) | (o.txn ? 0x10 : 0) | (o.control ? 0x20 : 0), 21);
  h.writeInt32BE(Math.max(0, ...o.records.map((r) => r.delta)), 23);
  h.writeBigInt64BE(BigInt(o.baseTs ?? 1000), 27);
  h.writeBigInt64BE(BigInt(o.maxTs ?? 5000), 35);
  h.writeBigInt64BE(BigInt(o.producerId ?? -1), 43);
  h.writeInt32BE(o.records.length, 57);
  return Buffer.concat([h, payload]);
}

/** A batch whose records are compressed as pitlane's producers compress them (codecs.ts). */
async function compressedBatch(o: BatchOptions & { codec: number }): Promise<Buffer> {
  return batch({ ...o, payload: await compress(COMPRESSIONS[o.codec]!, recordBytes(o.records)) });
}

/** A transaction marker: one control record whose key is [version 0, type] (0 abort, 1 commit). */
const marker = (base: number, producerId: number, type: 0 | 1) => {
  const key = Buffer.alloc(4);
  key.writeInt16BE(type, 2);
  return batch({ base, producerId, txn: true, control: true, records: [{ delta: 0, key: key.toString('latin1'), value: '' }] });
};

const data = (n: number) => Array.from({ length: n }, (_, i) => ({ delta: i }));

/** The records selectBatches keeps, inflateBatches hands over and unpackRecords reads, as "offset:value". */
async function read(records: Buffer, from: number, to: number, aborted: { producerId: number; firstOffset: number }[] = [], committed = true) {
  const sel = selectBatches(records, from, to, aborted, committed);
  const kept = Buffer.concat(await inflateBatches(records, sel.ranges, 't/0'));
  const aligned = Buffer.from(new ArrayBuffer(kept.length));
  kept.copy(aligned);
  const u = unpackRecords(aligned, from, to, [], sel.records);
  const values = Array.from({ length: u.count }, (_, i) => `${u.nums[2 * i]}:${u.bytes.toString('latin1', u.spans[4 * i + 2]!, u.spans[4 * i + 2]! + u.spans[4 * i + 3]!)}`);
  return { values, next: sel.next };
}

const cases: { name: string; records: Buffer; from?: number; to?: number; aborted?: { producerId: number; firstOffset: number }[]; uncommitted?: boolean; want: string[]; next: number }[] = [
  { name: 'plain batches, whole', records: Buffer.concat([batch({ base: 0, records: data(3) }), batch({ base: 3, records: data(2) })]), want: ['0:v0', '1:v1', '2:v2', '3:v0', '4:v1'], next: 5 },
  { name: 'a range that starts and ends inside batches', records: Buffer.concat([batch({ base: 0, records: data(3) }), batch({ base: 3, records: data(3) })]), from: 1, to: 4, want: ['1:v1', '2:v2', '3:v0'], next: 4 },
  { name: 'a batch wholly before the position is skipped', records: Buffer.concat([batch({ base: 0, records: data(3) }), batch({ base: 3, records: data(1) })]), from: 3, want: ['3:v0'], next: 4 },
  {
    name: 'a cut-short last batch is left for the next fetch',
    records: (() => {
      const b = Buffer.concat([batch({ base: 0, records: data(2) }), batch({ base: 2, records: data(2) })]);
      return b.subarray(0, b.length - 5);
    })(),
    want: ['0:v0', '1:v1'],
    next: 2,
  },
  {
    name: 'committed transaction: data kept, the marker skipped but read past',
    records: Buffer.concat([batch({ base: 0, producerId: 7, txn: true, records: data(2) }), marker(2, 7, 1)]),
    want: ['0:v0', '1:v1'],
    next: 3,
  },
  {
    name: 'aborted transaction: dropped up to its abort marker, later data of the producer kept',
    records: Buffer.concat([batch({ base: 0, records: data(1) }), batch({ base: 1, producerId: 7, txn: true, records: data(2) }), marker(3, 7, 0), batch({ base: 4, producerId: 7, txn: true, records: data(1) }), marker(5, 7, 1)]),
    aborted: [{ producerId: 7, firstOffset: 1 }],
    want: ['0:v0', '4:v0'],
    next: 6,
  },
  {
    name: 'aborted transaction of another producer leaves this one alone',
    records: Buffer.concat([batch({ base: 0, producerId: 8, txn: true, records: data(2) }), marker(2, 8, 1)]),
    aborted: [{ producerId: 7, firstOffset: 0 }],
    want: ['0:v0', '1:v1'],
    next: 3,
  },
  {
    name: 'read_uncommitted keeps aborted data',
    records: Buffer.concat([batch({ base: 0, producerId: 7, txn: true, records: data(2) }), marker(2, 7, 0)]),
    aborted: [{ producerId: 7, firstOffset: 0 }],
    uncommitted: true,
    want: ['0:v0', '1:v1'],
    next: 3,
  },
  { name: 'a gzip batch is inflated', records: Buffer.concat([batch({ base: 0, records: data(1) }), batch({ base: 1, codec: 1, records: data(3) })]), want: ['0:v0', '1:v0', '2:v1', '3:v2'], next: 4 },
  { name: 'offset gaps (a compacted log) move the position past the batch', records: batch({ base: 10, records: [{ delta: 0 }, { delta: 4 }] }), from: 2, want: ['10:v0', '14:v4'], next: 15 },
];

for (const c of cases) {
  test(`record batches: ${c.name}`, async () => {
    const got = await read(c.records, c.from ?? 0, c.to ?? Infinity, c.aborted, !c.uncommitted);
    assert.deepEqual(got.values, c.want);
    assert.equal(got.next, c.next);
  });
}

test('record batches: keys, null and empty values, headers (first of a repeated name), timestamps of both types', () => {
  const records = Buffer.concat([
    batch({ base: 0, baseTs: 1000, records: [{ delta: 0, tsDelta: 5, key: null, value: null, headers: [['h', 'one'], ['h', 'two'], ['x', 'y']] }, { delta: 1, tsDelta: -3, key: 'Zoë', value: '', headers: [['h', null]] }] }),
    batch({ base: 2, logAppend: true, maxTs: 9999, records: [{ delta: 0, tsDelta: 77 }] }),
  ]);
  const sel = selectBatches(records, 0, Infinity, [], true);
  assert.equal(sel.logAppendTime, true);
  const aligned = Buffer.from(new ArrayBuffer(records.length));
  records.copy(aligned);
  const u = unpackRecords(aligned, 0, Infinity, [Buffer.from('h'), Buffer.from('absent')], sel.records);
  const field = (i: number, f: number) => {
    const s = u.spans[2 * (i * 4 + f)]!;
    const len = u.spans[2 * (i * 4 + f) + 1]!;
    return len < 0 ? null : u.bytes.toString('utf8', s, s + len);
  };
  assert.deepEqual(
    Array.from({ length: u.count }, (_, i) => [u.nums[2 * i], u.nums[2 * i + 1], field(i, 0), field(i, 1), field(i, 2), field(i, 3)]),
    [
      [0, 1005, null, null, 'one', null],
      [1, 997, 'Zoë', '', null, null],
      [2, 9999, 'k0', 'v0', null, null],
    ],
  );
});

test('record batches: an old message format or codec bits no Kafka writes are refused with what they are', () => {
  assert.throws(() => selectBatches(batch({ base: 0, magic: 1, records: data(1) }), 0, Infinity, [], true), (e: unknown) => e instanceof UnsupportedBatchError && /format v1/.test(e.message));
  assert.throws(() => selectBatches(batch({ base: 0, codec: 5, records: data(1) }), 0, Infinity, [], true), (e: unknown) => e instanceof UnsupportedBatchError && /codec 5/.test(e.message));
});

for (const [codec, name] of [[1, 'gzip'], [2, 'snappy'], [3, 'lz4'], [4, 'zstd']] as const) {
  test(`record batches: ${name} batches are inflated, small ones and a large one, between plain ones`, async () => {
    // 3,000 records of about 45 bytes: several of snappy's 32 KiB chunks.
    const many = Array.from({ length: 3000 }, (_, i) => ({ delta: i, value: `{"user":"u${i % 97}","amount":${(i * 7) % 1000},"n":${i}}` }));
    const records = Buffer.concat([batch({ base: 0, records: data(1) }), await compressedBatch({ base: 1, codec, records: data(3) }), await compressedBatch({ base: 4, codec, records: many }), batch({ base: 3004, records: data(1) })]);
    const got = await read(records, 0, Infinity);
    assert.equal(got.values.length, 3005);
    assert.deepEqual(got.values.slice(0, 4), ['0:v0', '1:v0', '2:v1', '3:v2']);
    assert.equal(got.values[4 + 2999], `3003:{"user":"u${2999 % 97}","amount":${(2999 * 7) % 1000},"n":2999}`);
    assert.equal(got.values[3004], '3004:v0');
    assert.equal(got.next, 3005);
  });
}

test('record batches: snappy as one raw block, unframed (as librdkafka writes it), is read too', async () => {
  const records = batch({ base: 0, codec: 2, records: data(3), payload: rawSnappy(recordBytes(data(3))) });
  assert.deepEqual((await read(records, 0, Infinity)).values, ['0:v0', '1:v1', '2:v2']);
});

test('record batches: compressed records that do not inflate are a KAFKA_CORRUPT_BATCH naming the partition, the batch offset and codec', async () => {
  for (const codec of [1, 2, 3, 4]) {
    const good = await compressedBatch({ base: 40, codec, records: data(20) });
    const bad = Buffer.from(good);
    bad.fill(0x5a, 61 + 4, Math.min(bad.length, 61 + 24)); // garble the compressed bytes after their magic
    await assert.rejects(
      read(bad, 0, Infinity),
      (e: unknown) => e instanceof KafkaError && e.code === 'KAFKA_CORRUPT_BATCH' && /offset 40 of t\/0/.test(e.message) && new RegExp(COMPRESSIONS[codec]!).test(e.message),
      COMPRESSIONS[codec],
    );
  }
});

test('batchHeaders tells data batches from commit and abort markers, with the marker\'s broker time; a batch cut short is left out', () => {
  const bytes = Buffer.concat([batch({ base: 0, txn: true, producerId: 7, records: data(3) }), marker(3, 7, 1), marker(4, 8, 0), batch({ base: 5, records: data(2) })]);
  const h = batchHeaders(Buffer.concat([bytes, bytes.subarray(0, 70)]));
  assert.deepEqual(
    h.map((b) => [b.base, b.last, b.producerId, b.transactional, b.control, b.commit, b.maxTimestamp]),
    [
      [0, 2, 7, true, false, false, 5000],
      [3, 3, 7, true, true, true, 5000],
      [4, 4, 8, true, true, false, 5000],
      [5, 6, -1, false, false, false, 5000],
    ],
  );
});

test('record batches: an inflated batch is handed over as an uncompressed one (codec bits cleared, length of the inflated records), a plain one as it is', async () => {
  const plain = batch({ base: 0, records: data(2) });
  const zipped = await compressedBatch({ base: 2, codec: 3, records: data(5), logAppend: true, txn: true });
  const records = Buffer.concat([plain, zipped]);
  const pieces = await inflateBatches(records, selectBatches(records, 0, Infinity, [], false).ranges, 't/0');
  const out = Buffer.concat(pieces);
  assert.ok(out.subarray(0, plain.length).equals(plain));
  const inflated = out.subarray(plain.length);
  assert.equal(inflated.readInt16BE(21), 0x08 | 0x10, 'timestamp type and transactional bit kept, codec cleared');
  assert.equal(12 + inflated.readInt32BE(8), inflated.length);
  assert.ok(inflated.subarray(61).equals(recordBytes(data(5))));
  assert.ok(inflated.subarray(0, 8).equals(zipped.subarray(0, 8)) && inflated.subarray(23, 61).equals(zipped.subarray(23, 61)), 'the rest of the header unchanged');
});

test('record batches: unpackRecords refuses a batch still compressed (a reader that skipped inflateBatches)', async () => {
  const zipped = await compressedBatch({ base: 0, codec: 4, records: data(2) });
  assert.throws(() => unpackRecords(zipped, 0, Infinity, [], 2), /still compressed/);
});
