import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BufferPool, decodePacked, packBatch, type PackedBatch } from './packed.ts';
import { packRecords, type PackableRecord } from '../kafka/packed.ts';
import { decodeJson, headersRead, toCompareRecord } from './decode.ts';
import { LINEAGE_HEADERS } from '../lineage.ts';
import type { SideSettings } from './config.ts';
import type { IncomingRecord, RecordBatch } from '../kafka/port.ts';

const rec = (offset: number, key: string | null, value: string | null, headers: Record<string, string> = {}): IncomingRecord => ({
  topic: 't',
  partition: 3,
  offset,
  key: key === null ? null : Buffer.from(key),
  value: value === null ? null : Buffer.from(value),
  headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)])),
  timestamp: 1_700_000_000_000 + offset,
});

const lineage = (o: number) => ({ [LINEAGE_HEADERS.topic]: 'in', [LINEAGE_HEADERS.partition]: '2', [LINEAGE_HEADERS.offset]: String(o) });
const json: SideSettings = { format: 'json', eventTime: 'auto', key: 'record', subject: undefined };

const cases: { name: string; records: IncomingRecord[]; settings?: Partial<SideSettings>; undecodable?: number[] }[] = [
  { name: 'an empty batch', records: [] },
  { name: 'event time from the engine header, lineage, keys', records: [rec(5, 'k1', '{"a":1,"o":{"n":2}}', { [LINEAGE_HEADERS.eventTime]: '1699999999000', ...lineage(7) }), rec(6, 'k2', '{"a":2}', { other: 'x' })] },
  { name: 'null keys and tombstones', records: [rec(7, null, null), rec(8, 'k', '{}')] },
  { name: 'multi-byte UTF-8 keys and values', records: [rec(9, 'clé-ü', '{"ville":"Zürich ✓"}'), rec(10, 'k', '{"a":"plain"}')] },
  { name: 'an ISO time in a named header', records: [rec(11, 'k', '{}', { ts: '2024-05-01T12:00:00Z' })], settings: { eventTime: { header: 'ts' } } },
  { name: 'event time and key from fields', records: [rec(12, null, '{"ts":1700000000123,"user":{"id":7}}')], settings: { eventTime: { field: 'ts' }, key: { field: 'user' } } },
  { name: 'bad JSON and a missing event time are reported by offset, the rest decode', records: [rec(13, 'k', '{"a":'), rec(14, 'k', '{"a":1}'), rec(15, 'k', '{"ts":5}')], settings: { eventTime: { field: 'ts' } }, undecodable: [13, 14] },
];

/** The same records with every key, value and header a view of one buffer, in record order (as kafkajs hands them out). */
function inOneBuffer(records: IncomingRecord[]): IncomingRecord[] {
  const all = Buffer.alloc(records.reduce((n, r) => n + 3 + (r.key?.length ?? 0) + (r.value?.length ?? 0) + Object.values(r.headers).reduce((m, h) => m + h.length + 1, 0), 0));
  let pos = 0;
  const put = (b: Buffer) => {
    pos += 1; // framing bytes between fields, as in a fetch response
    b.copy(all, pos);
    const view = all.subarray(pos, pos + b.length);
    pos += b.length;
    return view;
  };
  return records.map((r) => ({ ...r, key: r.key && put(r.key), value: r.value && put(r.value), headers: Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, put(v)])) }));
}

/**
 * As kafkajs hands them out: views of one response buffer with varint framing
 * (bytes ≥ 0x80) between the fields, offsets and timestamps as strings, and a
 * repeated header name as an array (its first value counts).
 */
function asKafkaJs(records: IncomingRecord[]): PackableRecord[] {
  const all = Buffer.alloc(records.reduce((n, r) => n + 64 + (r.key?.length ?? 0) + (r.value?.length ?? 0) + Object.values(r.headers).reduce((m, h) => m + 2 * h.length + 4, 0), 0));
  let pos = 0;
  const put = (b: Buffer) => {
    all[pos++] = 0xb4;
    all[pos++] = 0x81;
    b.copy(all, pos);
    const view = all.subarray(pos, pos + b.length);
    pos += b.length;
    return view;
  };
  return records.map((r) => ({
    offset: String(r.offset),
    timestamp: String(r.timestamp),
    key: r.key && put(r.key),
    value: r.value && put(r.value),
    headers: Object.fromEntries(Object.entries(r.headers).map(([k, v], i) => [k, i % 2 === 0 ? [put(v), put(Buffer.from('ignored'))] : put(v)])),
  }));
}

/** The same records with every key, value and header in a buffer of its own. */
function separate(records: IncomingRecord[]): IncomingRecord[] {
  const own = (b: Buffer) => Buffer.from(new Uint8Array(b));
  return records.map((r) => ({ ...r, key: r.key && own(r.key), value: r.value && own(r.value), headers: Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, own(v)])) }));
}

const layouts: [string, (settings: SideSettings, records: IncomingRecord[]) => PackedBatch][] = [
  ['one buffer', (s, records) => packBatch({ topic: 't', partition: 3, records: inOneBuffer(records), highWatermark: 10, timestampType: 'LogAppendTime' }, headersRead(s))],
  ['separate buffers', (s, records) => packBatch({ topic: 't', partition: 3, records: separate(records), highWatermark: 10, timestampType: 'LogAppendTime' }, headersRead(s))],
  ['kafkajs messages', (s, records) => packRecords(asKafkaJs(records), { partition: 3, timestampType: 'LogAppendTime', headerNames: headersRead(s) }) ?? packBatch({ topic: 't', partition: 3, records: [], highWatermark: 10, timestampType: 'LogAppendTime' }, headersRead(s))],
];

for (const c of cases) for (const [layout, pack] of layouts) {
  test(`packed batch (${layout}): ${c.name}, as the KafkaPort path decodes them`, () => {
    const settings = { ...json, ...c.settings };
    const names = headersRead(settings);
    const packed = pack(settings, c.records);
    assert.equal(packed.partition, 3);
    assert.equal(packed.timestampType, 'LogAppendTime');
    const failed: number[] = [];
    const got = decodePacked(packed, names, settings, (offset) => failed.push(offset));
    const want = [];
    for (const r of c.records) {
      try {
        want.push(toCompareRecord(r, decodeJson(r.value), settings));
      } catch {
        /* counted above */
      }
    }
    assert.deepEqual(got, want);
    assert.deepEqual(failed, c.undecodable ?? []);
  });
}

test('packed batch: a reused, larger buffer with old bytes past the batch decodes the same', () => {
  const records = [rec(1, 'k1', '{"a":1}', { [LINEAGE_HEADERS.eventTime]: '1699999999000' }), rec(2, 'k2', '{"a":"ü"}')];
  const batch: RecordBatch = { topic: 't', partition: 0, records, highWatermark: 3 };
  const names = headersRead(json);
  const pool = new BufferPool();
  const old = new ArrayBuffer(4096);
  new Uint8Array(old).fill(0xff);
  pool.give(old);
  const packed = packBatch(batch, names, pool);
  assert.equal(packed.buffer, old, 'the free buffer is reused');
  const fresh = packBatch(batch, names);
  const decode = (p: typeof packed) => decodePacked(p, names, json, () => assert.fail('undecodable'));
  assert.deepEqual(decode(packed), decode(fresh));
  assert.notEqual(pool.take(1), old, 'a buffer in use is not handed out twice');
});

test('packed batch (kafkajs messages): a non-ASCII character at every position of values of every length up to 20 decodes as UTF-8', () => {
  const records: IncomingRecord[] = [];
  for (let len = 1; len <= 20; len++) {
    for (let at = 0; at < len; at++) {
      const chars = Array.from({ length: len }, (_, i) => (i === at ? 'é' : 'a'));
      records.push(rec(records.length, chars.join(''), JSON.stringify({ s: chars.join('') })));
    }
  }
  const names = headersRead(json);
  const packed = packRecords(asKafkaJs(records), { partition: 3, timestampType: 'CreateTime', headerNames: names })!;
  const got = decodePacked(packed, names, json, () => assert.fail('undecodable'));
  assert.deepEqual(
    got.map((r) => [r.key, r.value]),
    records.map((r) => [r.key!.toString(), JSON.parse(r.value!.toString())]),
  );
});
