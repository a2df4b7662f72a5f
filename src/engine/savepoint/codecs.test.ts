import { test } from 'node:test';
import assert from 'node:assert/strict';
import { codecs, decodeMetadataFile, encodeMetadataFile } from './codecs.ts';
import { decodeBlock, encodeDataFile, checkDataFileHeader } from './block-framing-v1.ts';
import type { SavepointMetadata } from './metadata.ts';
import type { KeyGroupBlock } from '../snapshot/model.ts';
import { SavepointFormatError } from '../../errors.ts';

const meta: SavepointMetadata = {
  formatVersion: 1,
  job: { name: 'fraud', version: 'v1' },
  maxParallelism: 8,
  operators: [{ uid: 'p', name: 'process(p)', kind: 'process', parallelism: 1, keyFingerprint: 'k', states: [{ name: 's', kind: 'value', codec: { type: 'json' } }], files: [] }],
  sourceOffsets: [{ topic: 't', partition: 0, offset: 5 }],
  watermarks: [],
  createdAt: 1,
  type: 'savepoint',
};

test('metadata round-trips through the v1 envelope', () => {
  assert.deepEqual(decodeMetadataFile(encodeMetadataFile(meta), 'x'), meta);
});

test('a partition that has seen no record keeps its -Infinity watermark through the file', () => {
  const m = { ...meta, watermarks: [{ topic: 't', partition: 0, offset: 0, watermark: Number.NEGATIVE_INFINITY }, { topic: 't', partition: 1, offset: 3, watermark: 17 }] };
  assert.deepEqual(decodeMetadataFile(encodeMetadataFile(m), 'x').watermarks, m.watermarks);
});

const rejects: { name: string; mutate: (b: Buffer) => Buffer; code: string; message?: RegExp }[] = [
  { name: 'wrong magic', mutate: (b) => Buffer.concat([Buffer.from('NOPE'), b.subarray(4)]), code: 'SAVEPOINT_NOT_A_SAVEPOINT' },
  {
    name: 'unknown version',
    mutate: (b) => {
      const c = Buffer.from(b);
      c.writeUInt32BE(99, 4);
      return c;
    },
    code: 'SAVEPOINT_UNKNOWN_VERSION',
    message: /format version 99/,
  },
  { name: 'truncated body', mutate: (b) => b.subarray(0, b.length - 10), code: 'SAVEPOINT_CORRUPT_METADATA' },
  {
    name: 'altered body',
    mutate: (b) => {
      const c = Buffer.from(b);
      c[20] = c[20]! ^ 0xff;
      return c;
    },
    code: 'SAVEPOINT_CORRUPT_METADATA',
    message: /checksum/,
  },
  { name: 'empty file', mutate: () => Buffer.alloc(0), code: 'SAVEPOINT_NOT_A_SAVEPOINT' },
];

for (const r of rejects) {
  test(`metadata: ${r.name} is refused with ${r.code}`, () => {
    assert.throws(
      () => decodeMetadataFile(r.mutate(encodeMetadataFile(meta)), 'x'),
      (e: unknown) => e instanceof SavepointFormatError && e.code === r.code && (!r.message || r.message.test(e.message)) && (e.hint ?? '').length > 0,
    );
  });
}

test('unknown version lists likely causes', () => {
  assert.throws(() => codecs.get(7), (e: unknown) => e instanceof SavepointFormatError && /newer pitlane/.test(e.hint ?? '') && /not a pitlane savepoint/.test(e.hint ?? '') && /corrupted/.test(e.hint ?? ''));
});

test('blocks round-trip through the v1 framing, including map keys, timers and namespaces', () => {
  const blocks: KeyGroupBlock[] = [
    { keyGroup: 2, entries: [{ state: 'a', key: Buffer.from('k1'), value: Buffer.from([1, 2]) }, { state: 'b', key: Buffer.from('k1'), mapKey: Buffer.from('m'), value: Buffer.alloc(0) }], timers: [] },
    { keyGroup: 5, entries: [], timers: [{ key: Buffer.from('k2'), timestamp: 1700000000123, domain: 'event' }, { key: Buffer.from('k3'), timestamp: -5, domain: 'processing', namespace: Buffer.from('w') }] },
  ];
  const { bytes, index } = encodeDataFile(blocks, new Map([['a', 0], ['b', 1]]), 1);
  const ctx = { path: 'f', uid: 'u' };
  checkDataFileHeader(bytes, 1, ctx);
  assert.deepEqual(index.map((i) => [i.keyGroup, i.entries, i.timers]), [[2, 2, 0], [5, 0, 2]]);
  assert.deepEqual(index.map((i) => decodeBlock(bytes, i, ['a', 'b'], ctx)), blocks);
});

test('a block that disagrees with the index is corrupt', () => {
  const { bytes, index } = encodeDataFile([{ keyGroup: 1, entries: [{ state: 'a', key: Buffer.from('k'), value: Buffer.from('v') }], timers: [] }], new Map([['a', 0]]), 1);
  const ctx = { path: 'f', uid: 'u' };
  assert.throws(() => decodeBlock(bytes, { ...index[0]!, keyGroup: 3 }, ['a'], ctx), /corrupt/);
  assert.throws(() => decodeBlock(bytes, { ...index[0]!, length: index[0]!.length - 1 }, ['a'], ctx), /corrupt/);
  assert.throws(() => encodeDataFile([{ keyGroup: 1, entries: [{ state: 'zz', key: Buffer.from('k'), value: Buffer.from('v') }], timers: [] }], new Map([['a', 0]]), 1), /does not declare/);
});
