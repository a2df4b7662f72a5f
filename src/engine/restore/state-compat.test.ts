import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkCodecCompat } from './state-compat.ts';
import type { StateCodecSpec } from '../snapshot/model.ts';

const rec = (fields: object[]): StateCodecSpec => ({ type: 'avro', schema: { type: 'record', name: 'Profile', fields } });
const base = [
  { name: 'count', type: 'int' },
  { name: 'merchant', type: 'string' },
];

const cases: { name: string; saved: StateCodecSpec; next: StateCodecSpec; ok: boolean; identical?: boolean; code?: string; field?: string }[] = [
  { name: 'same schema', saved: rec(base), next: rec(base), ok: true, identical: true },
  { name: 'new field with default', saved: rec(base), next: rec([...base, { name: 'risk', type: 'double', default: 0 }]), ok: true, identical: false },
  { name: 'removed field', saved: rec(base), next: rec([base[0]!]), ok: true, identical: false },
  { name: 'int promoted to long', saved: rec(base), next: rec([{ name: 'count', type: 'long' }, base[1]!]), ok: true, identical: false },
  { name: 'new field without default', saved: rec(base), next: rec([...base, { name: 'risk', type: 'double' }]), ok: false, code: 'NEW_FIELD_WITHOUT_DEFAULT', field: 'risk' },
  { name: 'changed field type', saved: rec(base), next: rec([{ name: 'count', type: 'string' }, base[1]!]), ok: false, code: 'STATE_TYPE_CHANGED', field: 'count' },
  {
    name: 'nested changed field type is named with its path',
    saved: rec([{ name: 'geo', type: { type: 'record', name: 'Geo', fields: [{ name: 'lat', type: 'double' }] } }]),
    next: rec([{ name: 'geo', type: { type: 'record', name: 'Geo', fields: [{ name: 'lat', type: 'string' }] } }]),
    ok: false,
    code: 'STATE_TYPE_CHANGED',
    field: 'geo.lat',
  },
  { name: 'primitive type change', saved: { type: 'avro', schema: { type: 'int' } }, next: { type: 'avro', schema: { type: 'string' } }, ok: false, code: 'STATE_TYPE_CHANGED' },
  { name: 'json stays json', saved: { type: 'json' }, next: { type: 'json' }, ok: true, identical: true },
  { name: 'avro to json', saved: rec(base), next: { type: 'json' }, ok: false, code: 'CODEC_CHANGED' },
  { name: 'invalid new schema', saved: rec(base), next: { type: 'avro', schema: { type: 'nope' } }, ok: false, code: 'INVALID_SCHEMA' },
];

for (const c of cases) {
  test(`state compat: ${c.name}`, () => {
    const r = checkCodecCompat(c.saved, c.next);
    assert.equal(r.ok, c.ok, JSON.stringify(r));
    if (r.ok) assert.equal(r.identical, c.identical);
    else {
      assert.equal(r.code, c.code);
      if (c.field) {
        assert.equal(r.field, c.field);
        assert.match(r.reason, new RegExp(c.field.replace('.', '\\.')));
      }
      assert.ok(r.fix.length > 0);
    }
  });
}
