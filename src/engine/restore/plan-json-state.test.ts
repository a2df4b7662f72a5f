// Restore planning of engine-managed JSON state with declared schemas: a window's
// accumulator (window-sum), judged by the same rules as any state with a schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planRestore } from './plan.ts';
import { defineJob, describeJob, tumbling, type JobDefinition } from '../index.ts';
import type { JobDescription } from '../snapshot/model.ts';
import type { SavepointMetadata } from '../savepoint/metadata.ts';
import v1, { sumAccSchema, type Reading } from '../../../examples/window-sum/v1.ts';
import v2 from '../../../examples/window-sum/v2.ts';

/** The metadata a savepoint of `job` would carry (no data: the plan judges descriptors). */
function metaOf(d: JobDescription): SavepointMetadata {
  return {
    formatVersion: 1,
    job: { name: d.name, version: d.version },
    maxParallelism: d.maxParallelism,
    operators: d.operators.map((o) => ({ uid: o.uid, name: o.name, kind: o.kind, parallelism: 1, ...(o.keyFingerprint ? { keyFingerprint: o.keyFingerprint } : {}), states: o.states, files: [] })),
    sourceOffsets: [],
    watermarks: [],
    createdAt: 0,
    type: 'savepoint',
  };
}

/** window-sum's window with another accumulator schema (same keyBy source text, so the same key fingerprint). */
function windowSumWith(fields: object[]): JobDefinition {
  return defineJob({
    name: 'window-sum',
    version: 'variant',
    maxParallelism: 128,
    build(env) {
      env
        .fromKafka<Reading>({ uid: 'readings', topics: 'readings', timestamp: { field: 'ts' } })
        .keyBy((r) => r.key)
        .window(tumbling(60_000))
        .aggregate('sum-per-minute', { createAccumulator: () => ({ sum: 0, count: 0 }), add: (r, acc) => ({ sum: acc.sum + r.value, count: acc.count + 1 }), getResult: (acc) => acc }, { schema: { ...sumAccSchema, fields } })
        .toKafka({ uid: 'sums-out', topic: 'sums', key: (s) => s.key });
    },
  });
}

const saved = metaOf(describeJob(v1));

test('window-sum v1 → v2: the same accumulator schema, nothing migrates and nothing is unchecked', () => {
  const plan = planRestore(saved, describeJob(v2));
  assert.equal(plan.compatible, true, JSON.stringify(plan.problems));
  assert.deepEqual(plan.migrations, []);
  assert.deepEqual(plan.unchecked, []);
});

test('a window accumulator whose field changes type is refused, with the state processor and a new uid as fixes', () => {
  const plan = planRestore(saved, describeJob(windowSumWith([{ name: 'sum', type: 'string' }, { name: 'count', type: 'long' }])), { allowNonRestoredState: true });
  assert.equal(plan.compatible, false);
  const [p] = plan.problems;
  assert.equal(p?.code, 'STATE_TYPE_CHANGED');
  assert.equal(p?.uid, 'sum-per-minute');
  assert.equal(p?.state, 'windows');
  assert.equal(p?.field, 'sum');
  assert.match(p!.fix, /transformSavepoint/);
  assert.match(p!.fix, /new uid and pass --allow-non-restored-state/);
});

test('a window accumulator that gains a field with a default migrates; without a default it is refused', () => {
  const ok = planRestore(saved, describeJob(windowSumWith([...sumAccSchema.fields, { name: 'max', type: 'double', default: 0 }])));
  assert.equal(ok.compatible, true, JSON.stringify(ok.problems));
  assert.deepEqual(ok.migrations.map((m) => `${m.uid}/${m.state}`), ['sum-per-minute/windows']);
  const refused = planRestore(saved, describeJob(windowSumWith([...sumAccSchema.fields, { name: 'max', type: 'double' }])));
  assert.equal(refused.problems[0]?.code, 'NEW_FIELD_WITHOUT_DEFAULT');
});

test('a window accumulator that drops its schema is compatible but unchecked, never unchanged', () => {
  // The same job with the schema taken out of the state's spec, as a job without { schema } describes it.
  const d = describeJob(windowSumWith(sumAccSchema.fields));
  const stripped: JobDescription = { ...d, operators: d.operators.map((o) => ({ ...o, states: o.states.map((s) => ({ ...s, codec: { type: s.codec.type } as typeof s.codec })) })) };
  const plan = planRestore(saved, stripped);
  assert.equal(plan.compatible, true);
  assert.deepEqual(plan.migrations, []);
  assert.deepEqual(plan.unchecked.map((u) => `${u.uid}/${u.state}`), ['sum-per-minute/windows']);
});
