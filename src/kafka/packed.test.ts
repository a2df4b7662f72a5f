import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BufferPool, packRecords, type PackableRecord } from './packed.ts';

const msg = (offset: number, value: string, headers: Record<string, unknown> = {}): PackableRecord => ({ offset: String(offset), timestamp: String(1000 + offset), key: Buffer.from(`k${offset}`), value: Buffer.from(value), headers });

/** The offsets, timestamps and fields a packed batch holds, read back by its layout. */
function unpack(p: NonNullable<ReturnType<typeof packRecords>>, fields: number) {
  const nums = new Float64Array(p.buffer, 0, p.count * 2);
  const spans = new Int32Array(p.buffer, p.count * 16, p.count * fields * 2);
  const data = Buffer.from(p.buffer, p.count * 16 + p.count * fields * 8, p.size - p.count * 16 - p.count * fields * 8);
  return Array.from({ length: p.count }, (_, i) => ({
    offset: nums[2 * i],
    timestamp: nums[2 * i + 1],
    fields: Array.from({ length: fields }, (_, f) => {
      const s = spans[2 * (i * fields + f)]!;
      const len = spans[2 * (i * fields + f) + 1]!;
      return len < 0 ? null : data.toString('utf8', s, s + len);
    }),
  }));
}

const cases: { name: string; from?: number; to?: number; want: number[] }[] = [
  { name: 'no bounds: every record', want: [5, 6, 7, 8] },
  { name: 'records before `from` are left out (fetched before a seek)', from: 7, want: [7, 8] },
  { name: 'records at or past `to` are left out (a bounded read ends)', to: 7, want: [5, 6] },
  { name: 'both bounds', from: 6, to: 8, want: [6, 7] },
  { name: 'nothing in range', from: 9, want: [] },
];

for (const c of cases) {
  test(`packRecords: ${c.name}`, () => {
    const records = [5, 6, 7, 8].map((o) => msg(o, `{"o":${o}}`, { h: Buffer.from(`h${o}`), other: Buffer.from('x') }));
    const p = packRecords(records, { partition: 1, timestampType: 'CreateTime', headerNames: ['h', 'absent'], from: c.from, to: c.to });
    if (c.want.length === 0) {
      assert.equal(p, undefined);
      return;
    }
    assert.equal(p!.count, c.want.length);
    assert.equal(p!.lastOffset, c.want[c.want.length - 1]);
    assert.deepEqual(
      unpack(p!, 4),
      c.want.map((o) => ({ offset: o, timestamp: 1000 + o, fields: [`k${o}`, `{"o":${o}}`, `h${o}`, null] })),
    );
  });
}

test('packRecords: a repeated header keeps its first value; a string header is encoded; empty fields stay empty, not absent', () => {
  const records: PackableRecord[] = [
    { offset: 1, timestamp: 2, key: null, value: Buffer.alloc(0), headers: { h: [Buffer.from('first'), Buffer.from('second')], s: 'text' } },
  ];
  const p = packRecords(records, { partition: 0, timestampType: 'CreateTime', headerNames: ['h', 's'] })!;
  assert.deepEqual(unpack(p, 4), [{ offset: 1, timestamp: 2, fields: [null, '', 'first', 'text'] }]);
});

test('packRecords: views far apart in one buffer are copied field by field, not as the whole range', () => {
  const big = Buffer.alloc(1 << 20, 0x7a);
  big.write('{"a":1}', 0);
  big.write('key', big.length - 3);
  const records: PackableRecord[] = [{ offset: 0, timestamp: 0, key: big.subarray(big.length - 3), value: big.subarray(0, 7) }];
  const pool = new BufferPool();
  const p = packRecords(records, { partition: 0, timestampType: 'CreateTime', headerNames: [], pool })!;
  assert.ok(p.size < 1024, `packed ${p.size} bytes`);
  assert.deepEqual(unpack(p, 2), [{ offset: 0, timestamp: 0, fields: ['key', '{"a":1}'] }]);
});
