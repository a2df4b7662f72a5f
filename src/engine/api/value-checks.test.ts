import { test } from 'node:test';
import assert from 'node:assert/strict';
import { avroCodec, jsonCodec } from './codecs.ts';

const profile = avroCodec<unknown>({
  type: 'record',
  name: 'Profile',
  fields: [
    { name: 'count', type: 'int' },
    { name: 'total', type: 'double' },
    { name: 'tags', type: { type: 'array', items: 'string' }, default: [] },
    { name: 'note', type: ['null', 'string'], default: null },
  ],
});

test('an Avro codec checks a value with avsc and names the field, the type it expects and what it got', () => {
  assert.equal(profile.check!({ count: 1, total: 2.5, tags: ['a'] }), undefined);
  // A field with a default may be left out: the encoder fills it in.
  assert.equal(profile.check!({ count: 1, total: 2.5 }), undefined);
  assert.deepEqual(profile.check!({ count: 1, total: '0abc' }), { path: 'total', expected: 'double', actual: '"0abc"' });
  assert.deepEqual(profile.check!({ count: 1.5, total: 1 }), { path: 'count', expected: 'int', actual: '1.5' });
  assert.deepEqual(profile.check!({ count: 1, total: 1, tags: ['a', 3] }), { path: 'tags.1', expected: 'string', actual: '3' });
  assert.deepEqual(profile.check!({ count: 1, total: 1, note: 5 }), { path: 'note', expected: '["null","string"]', actual: '5' });
  assert.deepEqual(profile.check!('x'), { path: '', expected: 'Profile', actual: '"x"' });
  // Whatever check lets through encodes; whatever it refuses would have thrown at the snapshot.
  assert.doesNotThrow(() => profile.encode({ count: 1, total: 2.5 }));
  assert.throws(() => profile.encode({ count: 1, total: '0abc' }));
});

test('a JSON codec refuses only what JSON.stringify cannot write, with the path to it', () => {
  const json = jsonCodec<unknown>();
  for (const ok of [1, 'a', null, true, { a: [1, { b: 'c' }] }, { d: new Date(0) }, { f: () => 1 }, Number.NaN]) assert.equal(json.check!(ok), undefined, String(ok));
  assert.deepEqual(json.check!({ a: [1, { b: 2n }] }), { path: 'a.1.b', expected: 'a number (JSON has no bigint)', actual: '2n' });
  assert.equal(json.check!(undefined)!.path, '');
  assert.match(json.check!(undefined)!.expected, /JSON value/);
  assert.equal(json.check!(() => 1)!.actual, 'a function');
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  assert.match(json.check!(cyclic)!.expected, /without cycles/);
  // Deep but acyclic: fine.
  let deep: unknown = 1;
  for (let i = 0; i < 200; i++) deep = { d: deep };
  assert.equal(json.check!(deep), undefined);
});
