import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic, writeFileAtomicSync, type AtomicWriteOptions } from './files.ts';

type Write = (path: string, data: string | Uint8Array, options?: AtomicWriteOptions) => void | Promise<void>;
const writers: [string, Write][] = [
  ['async', writeFileAtomic],
  ['sync', writeFileAtomicSync],
];

for (const [form, write] of writers) {
  test(`writeFileAtomic (${form}): writes, replaces, with or without fsync, and leaves no temporary file`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'pl-atomic-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const f = join(dir, 'state.json');
    const cases: [string, string | Uint8Array, AtomicWriteOptions | undefined][] = [
      ['a new file', '{"v":1}', undefined],
      ['over an existing file', '{"v":2}', {}],
      ['bytes, fsynced', new TextEncoder().encode('{"v":3}'), { fsync: true }],
    ];
    for (const [what, data, options] of cases) {
      await write(f, data, options);
      assert.equal(readFileSync(f, 'utf8'), typeof data === 'string' ? data : new TextDecoder().decode(data), what);
      assert.deepEqual(readdirSync(dir), ['state.json'], `${what}: only the target is left`);
    }
  });

  test(`writeFileAtomic (${form}): a failed write leaves the target as it was and removes its temporary file`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'pl-atomic-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(join(dir, 'taken'));
    writeFileSync(join(dir, 'taken', 'inside'), 'x');
    // rename(2) refuses to replace a non-empty directory with a file.
    await assert.rejects(async () => write(join(dir, 'taken'), 'new'));
    assert.deepEqual(readdirSync(dir), ['taken']);
    assert.equal(readFileSync(join(dir, 'taken', 'inside'), 'utf8'), 'x');
  });
}
