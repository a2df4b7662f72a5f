import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as errors from './errors.ts';
import { ComparisonError, EngineError, PitlaneError, StoreError, errorFromJSON, serializeError } from './errors.ts';

/** Every error class errors.ts exports, found by walking its exports (so a new one cannot be forgotten). */
const classes = Object.values(errors).filter((v): v is typeof PitlaneError => typeof v === 'function' && (v === PitlaneError || v.prototype instanceof PitlaneError));

/** Through JSON text, as the control channel and a worker's message carry it. */
const across = (e: unknown) => errorFromJSON(JSON.parse(JSON.stringify(serializeError(e))));

test('every error class crosses a boundary as itself, with code, message, hint, retriable and data', () => {
  assert.ok(classes.length >= 13, `found ${classes.map((c) => c.name).join(', ')}`);
  for (const Class of classes) {
    const cases = [
      new Class('X_FULL', `a ${Class.name}`, { hint: 'do this', retriable: true, data: { job: 'fraud', offsets: [1, 2] } }),
      new Class('X_BARE', 'no hint, no data'),
    ];
    for (const original of cases) {
      const back = across(original);
      assert.ok(back instanceof Class, `${Class.name} comes back as ${back.constructor.name}`);
      assert.equal(back.constructor, Class, Class.name);
      assert.equal(back.name, Class.name);
      assert.deepEqual(back.toJSON(), original.toJSON(), `${Class.name} ${original.code}`);
    }
  }
});

test('the two new areas: engine adapter and store failures are their own classes', () => {
  const engine = across(new EngineError('ENGINE_JOB_NOT_RUNNING', 'Job fraud is not running.', { hint: 'Check `pitlane jobs`.' }));
  assert.ok(engine instanceof EngineError && !(engine instanceof StoreError));
  const store = across(new StoreError('STORE_STALE_REVISION', 'stale', { retriable: true }));
  assert.ok(store instanceof StoreError && store.retriable);
});

test('what is not a PitlaneError, or a class this side does not know, comes back as a PitlaneError with its code', () => {
  const cases: [unknown, string, string][] = [
    [new TypeError('x is undefined'), 'INTERNAL', 'x is undefined'],
    ['a string was thrown', 'INTERNAL', 'a string was thrown'],
  ];
  for (const [thrown, code, message] of cases) {
    const j = serializeError(thrown);
    assert.deepEqual(j, { error: 'InternalError', code, message, retriable: false });
    const back = errorFromJSON(j);
    assert.equal(back.constructor, PitlaneError);
    assert.deepEqual([back.code, back.message, back.retriable], [code, message, false]);
  }
  const alien = errorFromJSON({ error: 'FlinkRestError', code: 'FLINK_DOWN', message: 'no JobManager', retriable: true, hint: 'start it' });
  assert.equal(alien.constructor, PitlaneError);
  assert.deepEqual(alien.toJSON(), { error: 'PitlaneError', code: 'FLINK_DOWN', message: 'no JobManager', retriable: true, hint: 'start it' });
  // An answer without an error body (the control channel's old fallback).
  assert.deepEqual(errorFromJSON(undefined).toJSON(), { error: 'PitlaneError', code: 'INTERNAL', message: 'unknown error', retriable: false });
  assert.ok(across(new ComparisonError('COMPARE_X', 'y')) instanceof ComparisonError);
});
