import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { savepointInputOffsets } from './savepoint-offsets.ts';

/** A Kafka split as the connector serializes it, wrapped as SimpleVersionedSerialization writes a list element (`outer` overrides the first length). */
function split(topic: string, partition: number, offset: number, outer?: number): Buffer {
  const name = Buffer.from(topic);
  const body = Buffer.alloc(2 + name.length + 20);
  body.writeUInt16BE(name.length, 0);
  name.copy(body, 2);
  body.writeInt32BE(partition, 2 + name.length);
  body.writeBigInt64BE(BigInt(offset), 6 + name.length);
  body.writeBigInt64BE(-(2n ** 63n), 14 + name.length);
  const head = Buffer.alloc(12);
  head.writeInt32BE(outer ?? body.length + 8, 0);
  head.writeInt32BE(body.length, 8);
  return Buffer.concat([head, body]);
}

test('the offsets a Flink savepoint\'s Kafka source readers resume from, read from _metadata by their framing; the enumerator\'s sentinels and other topics are not taken', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pl-spo-'));
  try {
    const sp = join(dir, 'savepoint-abc');
    mkdirSync(sp);
    const enumerator = Buffer.concat([split('payments', 0, -2, 4), split('payments', 1, -2, 4)]);
    writeFileSync(join(sp, '_metadata'), Buffer.concat([Buffer.from('header'), enumerator, split('payments', 1, 8975), Buffer.from('x'), split('payments', 0, 14990), split('other', 0, 7)]));
    assert.deepEqual(savepointInputOffsets(`file:${sp}`, ['payments']), [{ topic: 'payments', partition: 0, offset: 14990 }, { topic: 'payments', partition: 1, offset: 8975 }]);
    assert.deepEqual(savepointInputOffsets(sp, ['payments', 'other']), [{ topic: 'other', partition: 0, offset: 7 }, { topic: 'payments', partition: 0, offset: 14990 }, { topic: 'payments', partition: 1, offset: 8975 }]);
    assert.equal(savepointInputOffsets(sp, ['nothing']), undefined, 'no split of that topic');
    assert.equal(savepointInputOffsets('s3://bucket/savepoint-abc', ['payments']), undefined, 'not on this machine');
    writeFileSync(join(sp, '_metadata'), Buffer.concat([split('payments', 0, 10), split('payments', 0, 11)]));
    assert.equal(savepointInputOffsets(sp, ['payments']), undefined, 'two positions for one split: not trusted');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
