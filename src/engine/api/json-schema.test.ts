import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonCodec, codecOf } from './codecs.ts';
import { conformJson, jsonStateType } from './json-schema.ts';
import { JobDefinitionError } from '../../errors.ts';
import type { StateCodecSpec } from '../snapshot/model.ts';

const v1 = { type: 'record', name: 'Count', fields: [{ name: 'type', type: 'string' }, { name: 'count', type: 'long' }] };
const v2 = { ...v1, fields: [...v1.fields, { name: 'maxTs', type: 'long', default: 0 }, { name: 'tags', type: { type: 'array', items: 'string' }, default: [] }] };

test('a JSON codec with a schema keeps the schema in its spec and checks values against it', () => {
  const c = jsonCodec<unknown>({ schema: v1 });
  assert.deepEqual(c.spec, { type: 'json', schema: v1 });
  assert.equal(c.check!({ type: 'click', count: 3 }), undefined);
  assert.deepEqual(c.check!({ type: 'click', count: 'three' }), { path: 'count', expected: 'long', actual: '"three"' });
  assert.deepEqual(c.check!({ type: 'click' }), { path: 'count', expected: 'long', actual: 'undefined' });
  // A field the schema does not declare would be stored unchecked in the JSON text: refused.
  const extra = c.check!({ type: 'click', count: 1, maxTs: 5 });
  assert.equal(extra?.path, 'maxTs');
  assert.match(extra!.expected, /does not declare/);
  assert.equal(c.check!({ type: 'click', count: 1n } as unknown)?.expected, 'a number (JSON has no bigint)');
});

test('a JSON codec without a schema has a bare spec', () => {
  assert.deepEqual(jsonCodec().spec, { type: 'json' });
  assert.equal(jsonCodec().check!({ anything: [1, 'x'] }), undefined);
});

test('decode reads values saved under an older or no schema as the new one: defaults filled, removed fields dropped', () => {
  const c = jsonCodec<unknown>({ schema: v2 });
  const bytes = Buffer.from(JSON.stringify({ type: 'click', count: 3, gone: true }));
  const older: StateCodecSpec = { type: 'json', schema: v1 };
  assert.deepEqual(c.decode(bytes, older), { type: 'click', count: 3, maxTs: 0, tags: [] });
  assert.deepEqual(c.decode(bytes, { type: 'json' }), { type: 'click', count: 3, maxTs: 0, tags: [] });
  // Its own schema: the value as stored, nothing conformed; no writer: likewise.
  assert.deepEqual(c.decode(bytes, { type: 'json', schema: v2 }), { type: 'click', count: 3, gone: true });
  assert.deepEqual(c.decode(bytes), { type: 'click', count: 3, gone: true });
  // A value that has the new field keeps it.
  assert.deepEqual(c.decode(Buffer.from('{"type":"a","count":1,"maxTs":9}'), older), { type: 'a', count: 1, maxTs: 9, tags: [] });
});

test('conformJson walks nested records, arrays, maps and optional records, and follows aliases', () => {
  const inner = { type: 'record', name: 'Geo', fields: [{ name: 'lat', type: 'double' }, { name: 'acc', type: 'int', default: 1 }] };
  const t = jsonStateType({
    type: 'record',
    name: 'R',
    fields: [
      { name: 'geo', type: inner },
      { name: 'hist', type: { type: 'array', items: 'Geo' } },
      { name: 'byCity', type: { type: 'map', values: 'Geo' } },
      { name: 'last', type: ['null', 'Geo'], default: null },
      { name: 'total', aliases: ['sum'], type: 'long' },
    ],
  });
  assert.deepEqual(conformJson(t, { geo: { lat: 1 }, hist: [{ lat: 2 }], byCity: { a: { lat: 3, old: 1 } }, last: { lat: 4 }, sum: 7 }), {
    geo: { lat: 1, acc: 1 },
    hist: [{ lat: 2, acc: 1 }],
    byCity: { a: { lat: 3, acc: 1 } },
    last: { lat: 4, acc: 1 },
    total: 7,
  });
  assert.deepEqual(conformJson(t, { geo: { lat: 1 }, hist: [], byCity: {}, total: 1 }), { geo: { lat: 1, acc: 1 }, hist: [], byCity: {}, last: null, total: 1 });
});

test('a schema that is not Avro, or holds bytes JSON cannot, is refused when the job is defined', () => {
  assert.throws(() => jsonCodec({ schema: { type: 'nope' } }), (e: unknown) => e instanceof JobDefinitionError && e.code === 'STATE_BAD_SCHEMA');
  assert.throws(() => jsonCodec({ schema: { type: 'record', name: 'B', fields: [{ name: 'raw', type: 'bytes' }] } }), /JSON text cannot hold/);
  assert.throws(() => codecOf({ codec: jsonCodec(), schema: v1 }, 'reduce(counts)'), (e: unknown) => e instanceof JobDefinitionError && e.code === 'STATE_CODEC_AND_SCHEMA' && /reduce\(counts\)/.test(e.message));
  assert.deepEqual(codecOf({ schema: v1 }, 'x').spec, { type: 'json', schema: v1 });
});
