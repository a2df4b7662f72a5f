import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compressSync as rawSnappy } from 'snappy';
import { COMPRESSIONS, CorruptBatchError, compress, compressionOf, decompress } from './codecs.ts';

const text = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => `{"user":"u${i % 977}","amount":${(i * 7) % 1000},"ts":${1700000000000 + i}}`).join(''));

test('codecs: each codec inflates what it compressed, empty, small and large (several chunks)', async () => {
  for (const codec of COMPRESSIONS) {
    for (const data of [Buffer.alloc(0), text(3), text(5000)]) {
      const packed = await compress(codec, data);
      if (codec !== 'none' && data.length > 1000) assert.ok(packed.length < data.length / 2, `${codec} compresses`);
      assert.ok((await decompress(codec, packed)).equals(data), `${codec}, ${data.length} bytes`);
    }
  }
});

test('codecs: snappy is written with the xerial framing of the Java producer (header, then 32 KiB chunks each prefixed by its length)', async () => {
  const data = text(3000); // ~190 KB: 6 chunks
  const framed = await compress('snappy', data);
  assert.equal(framed.subarray(0, 8).toString('hex'), '82534e4150505900');
  assert.equal(framed.readInt32BE(8), 1);
  assert.equal(framed.readInt32BE(12), 1);
  let chunks = 0;
  for (let at = 16; at < framed.length; chunks++) at += 4 + framed.readInt32BE(at);
  assert.equal(chunks, Math.ceil(data.length / 32768));
});

test('codecs: snappy reads a hand-made xerial stream of two chunks and a raw block', async () => {
  const a = text(40);
  const b = text(50);
  const chunk = (d: Buffer) => {
    const c = rawSnappy(d);
    const len = Buffer.alloc(4);
    len.writeInt32BE(c.length);
    return Buffer.concat([len, c]);
  };
  const header = Buffer.from('82534e41505059000000000100000001', 'hex');
  assert.ok((await decompress('snappy', Buffer.concat([header, chunk(a), chunk(b)]))).equals(Buffer.concat([a, b])));
  assert.ok((await decompress('snappy', rawSnappy(a))).equals(a));
});

test('codecs: truncated or garbled input is a CorruptBatchError naming the codec', async () => {
  for (const codec of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
    const packed = await compress(codec, text(200));
    await assert.rejects(decompress(codec, packed.subarray(0, packed.length >> 1)), (e: unknown) => e instanceof CorruptBatchError && e.message.includes(codec), `${codec} truncated`);
  }
  const header = Buffer.from('82534e41505059000000000100000001', 'hex');
  await assert.rejects(decompress('snappy', Buffer.concat([header, Buffer.from([0, 0, 1, 0, 1, 2])])), (e: unknown) => e instanceof CorruptBatchError && /runs past the end/.test(e.message));
});

test('codecs: the attribute bits name the codec; 5 to 7 name none', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 7, 0x13, 0x24].map(compressionOf), ['none', 'gzip', 'snappy', 'lz4', 'zstd', undefined, undefined, 'lz4', 'zstd']);
});
