import { test } from 'node:test';
import assert from 'node:assert/strict';
import { schemaCheck, diffFields } from './schema.ts';
import { ctx, rec, runWindow } from '../test-support.ts';

const cases: { name: string; a: unknown[]; b: unknown[]; status: string; detail?: object }[] = [
  { name: 'same fields pass', a: [{ x: 1, s: 'a' }], b: [{ x: 2, s: 'b' }], status: 'Successful' },
  { name: 'added field', a: [{ x: 1 }], b: [{ x: 1, riskScore: 0.3 }], status: 'Failed', detail: { added: ['riskScore'], removed: [], retyped: [] } },
  { name: 'removed field', a: [{ x: 1, y: 2 }], b: [{ x: 1 }], status: 'Failed', detail: { added: [], removed: ['y'], retyped: [] } },
  { name: 'retyped field', a: [{ x: 1 }], b: [{ x: '1' }], status: 'Failed', detail: { added: [], removed: [], retyped: [{ field: 'x', a: 'number', b: 'string' }] } },
  { name: 'nested retype by dotted path', a: [{ o: { n: 1 } }], b: [{ o: { n: true } }], status: 'Failed', detail: { added: [], removed: [], retyped: [{ field: 'o.n', a: 'number', b: 'boolean' }] } },
  { name: 'a field that is null on one side retypes nothing', a: [{ x: 1 }], b: [{ x: null }], status: 'Successful' },
  { name: 'optional field present in some records is present', a: [{ x: 1 }, { x: 1, y: 1 }], b: [{ x: 1, y: 2 }], status: 'Successful' },
  { name: 'one empty side is inconclusive', a: [{ x: 1 }], b: [], status: 'Inconclusive' },
];

for (const c of cases) {
  test(`schema: ${c.name}`, () => {
    const [m] = runWindow(schemaCheck('schema', {}), c.a.map((v) => rec('k', v)), c.b.map((v) => rec('k', v)));
    assert.equal(m?.status, c.status);
    if (c.detail) assert.deepEqual({ added: m?.detail.added, removed: m?.detail.removed, retyped: m?.detail.retyped }, c.detail);
  });
}

test('schema: registry fields win over inference, and an incompatible verdict fails', () => {
  const check = schemaCheck('schema', {});
  const fields = { x: 'long', y: 'string?' };
  const same = runWindow(check, [rec('k', { x: 1 })], [rec('k', { x: 1 })], ctx({ a: { watermark: 0, lateRecords: 0, schemaFields: fields }, b: { watermark: 0, lateRecords: 0, schemaFields: fields } }));
  assert.equal(same[0]?.status, 'Successful');
  assert.deepEqual(same[0]?.detail.source, { a: 'registry', b: 'registry' });
  const incompatible = runWindow(check, [rec('k', { x: 1 })], [rec('k', { x: 1 })], ctx({ compatibility: { compatible: false, messages: ['READER_FIELD_MISSING_DEFAULT_VALUE'] } }));
  assert.equal(incompatible[0]?.status, 'Failed');
});

test('schema: ignored fields are not differences', () => {
  assert.deepEqual(diffFields({ a: 'int', t: 'long' }, { a: 'int', u: 'long' }, new Set(['t', 'u'])), { added: [], removed: [], retyped: [] });
});
