import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkCodecCompat } from './state-compat.ts';
import type { StateCodecSpec } from '../snapshot/model.ts';

const rec = (fields: object[]): StateCodecSpec => ({ type: 'avro', schema: { type: 'record', name: 'Profile', fields } });
const base = [
  { name: 'count', type: 'int' },
  { name: 'merchant', type: 'string' },
];

const jrec = (fields: object[]): StateCodecSpec => ({ type: 'json', schema: { type: 'record', name: 'Count', fields } });
const countV1 = [
  { name: 'type', type: 'string' },
  { name: 'count', type: 'int' },
];

const cases: { name: string; saved: StateCodecSpec; next: StateCodecSpec; ok: boolean; identical?: boolean; unchecked?: RegExp; code?: string; field?: string }[] = [
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
  // JSON state: never called identical without schemas to compare; with schemas, the Avro rules.
  { name: 'json without a schema on either side is unchecked, not identical', saved: { type: 'json' }, next: { type: 'json' }, ok: true, identical: false, unchecked: /either version/ },
  { name: 'json: a savepoint without a schema against a declared one is unchecked', saved: { type: 'json' }, next: jrec(countV1), ok: true, identical: false, unchecked: /savepoint holds no schema/ },
  { name: 'json: a declared schema the new job drops is unchecked', saved: jrec(countV1), next: { type: 'json' }, ok: true, identical: false, unchecked: /new job declares no schema/ },
  { name: 'json: same schema', saved: jrec(countV1), next: jrec(countV1), ok: true, identical: true },
  { name: 'json: new field with default migrates', saved: jrec(countV1), next: jrec([...countV1, { name: 'maxTs', type: 'long', default: 0 }]), ok: true, identical: false },
  { name: 'json: removed field migrates', saved: jrec(countV1), next: jrec([countV1[1]!]), ok: true, identical: false },
  { name: 'json: int widened to double migrates', saved: jrec(countV1), next: jrec([countV1[0]!, { name: 'count', type: 'double' }]), ok: true, identical: false },
  { name: 'json: a field made optional (union with null) migrates', saved: jrec(countV1), next: jrec([countV1[0]!, { name: 'count', type: ['null', 'int'], default: null }]), ok: true, identical: false },
  { name: 'json: new field without default is refused', saved: jrec(countV1), next: jrec([...countV1, { name: 'maxTs', type: 'long' }]), ok: false, code: 'NEW_FIELD_WITHOUT_DEFAULT', field: 'maxTs' },
  { name: 'json: narrowed type (long to int) is refused', saved: jrec([countV1[0]!, { name: 'count', type: 'long' }]), next: jrec(countV1), ok: false, code: 'STATE_TYPE_CHANGED', field: 'count' },
  { name: 'json: changed type (int to string) is refused', saved: jrec(countV1), next: jrec([countV1[0]!, { name: 'count', type: 'string' }]), ok: false, code: 'STATE_TYPE_CHANGED', field: 'count' },
  { name: 'json: record state became a number is refused', saved: jrec(countV1), next: { type: 'json', schema: { type: 'long' } }, ok: false, code: 'STATE_TYPE_CHANGED' },
  { name: 'json to avro', saved: jrec(countV1), next: { type: 'avro', schema: { type: 'record', name: 'Count', fields: countV1 } }, ok: false, code: 'CODEC_CHANGED' },
  { name: 'avro to json', saved: rec(base), next: { type: 'json' }, ok: false, code: 'CODEC_CHANGED' },
  { name: 'invalid new schema', saved: rec(base), next: { type: 'avro', schema: { type: 'nope' } }, ok: false, code: 'INVALID_SCHEMA' },
];

for (const c of cases) {
  test(`state compat: ${c.name}`, () => {
    const r = checkCodecCompat(c.saved, c.next);
    assert.equal(r.ok, c.ok, JSON.stringify(r));
    if (r.ok) {
      assert.equal(r.identical, c.identical);
      if (c.unchecked) assert.match(r.unchecked ?? '', c.unchecked);
      else assert.equal(r.unchecked, undefined);
    }
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
