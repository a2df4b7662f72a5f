// The embedded preflight on JSON state: event-count v1's savepoint (written as v1's
// engine writes it: the reduce state's JSON values and v1's declared schema) against
// v2 and against versions that change the state in ways the evolution rules refuse.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describeJob, writeSavepoint, type JobSnapshot } from '../../engine/index.ts';
import { canonicalKey } from '../../engine/key.ts';
import { keyGroupOf } from '../../engine/key-groups.ts';
import type { KeyGroupBlock, StateDescriptorSpec } from '../../engine/snapshot/model.ts';
import { preflightRestore } from './preflight.ts';
import v1 from '../../../examples/event-count/v1.ts';
import { countV1Schema } from '../../../examples/event-count/v1.ts';

const repo = new URL('../../../', import.meta.url).pathname;
const V2 = join(repo, 'examples/event-count/v2.ts');

/** A savepoint of event-count v1 holding these counts, as v1's engine writes it; `legacy` strips the states' schemas (a savepoint written before JSON state had them). */
async function v1Savepoint(t: TestContext, counts: Record<string, unknown>, legacy = false): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'pitlane-preflight-json-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const desc = describeJob(v1);
  const blocks = new Map<number, KeyGroupBlock>();
  for (const [type, count] of Object.entries(counts)) {
    const key = Buffer.from(canonicalKey(type), 'utf8');
    const kg = keyGroupOf(key, desc.maxParallelism);
    const b = blocks.get(kg) ?? { keyGroup: kg, entries: [], timers: [] };
    blocks.set(kg, { ...b, entries: [...b.entries, { state: 'reduce', key, value: Buffer.from(JSON.stringify({ type, count })) }] });
  }
  const strip = (s: StateDescriptorSpec): StateDescriptorSpec => ({ ...s, codec: { type: s.codec.type } as StateDescriptorSpec['codec'] });
  const snapshot: JobSnapshot = {
    job: { name: desc.name, version: desc.version },
    maxParallelism: desc.maxParallelism,
    operators: desc.operators.map((o) => ({ ...o, states: legacy ? o.states.map(strip) : o.states, parallelism: 1, keyGroups: o.kind === 'reduce' ? [...blocks.values()].sort((a, b) => a.keyGroup - b.keyGroup) : [] })),
    sourceOffsets: [{ topic: 'events', partition: 0, offset: 3 }],
    watermarks: [],
    createdAt: 0,
    type: 'savepoint',
  };
  const sp = join(root, 'sp');
  await writeSavepoint(sp, snapshot);
  return sp;
}

/** event-count v2 with another reduce state schema, or none (a job module in a folder of its own). */
async function v2With(t: TestContext, fields: object[] | null): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pitlane-preflight-job-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'job.ts');
  const engine = pathToFileURL(join(repo, 'src/engine/index.ts')).href;
  await writeFile(
    file,
    `import { defineJob } from '${engine}';
export default defineJob({
  name: 'event-count', version: '2-variant', maxParallelism: 128,
  build(env) {
    env.fromKafka({ uid: 'events', topics: env.param('input', 'events'), timestamp: { field: 'ts' } })
      .map((e) => ({ type: e.type, count: 1, maxTs: e.ts }))
      .keyBy((c) => c.type)
      .reduce('counts', (a, b) => ({ type: a.type, count: a.count + b.count, maxTs: Math.max(a.maxTs, b.maxTs) }), ${fields === null ? '{}' : `{ schema: ${JSON.stringify({ ...countV1Schema, fields })} }`})
      .toKafka({ uid: 'counts-out', topic: env.param('output', 'event-counts'), key: (c) => c.type });
  },
});
`,
  );
  return file;
}

test('event-count v1 → v2: the reduce state migrates by the declared default, never "identical"', async (t) => {
  const sp = await v1Savepoint(t, { click: 3, view: 1 });
  const r = await preflightRestore(sp, { job: V2 });
  assert.equal(r.compatible, true, r.refusals.join('\n'));
  assert.deepEqual(r.refusals, []);
  const migration = r.notes.filter((n) => n.startsWith('counts/reduce: state schema migrates'));
  assert.equal(migration.length, 1, r.notes.join('\n'));
  assert.ok(!r.notes.some((n) => /unchecked/.test(n)), r.notes.join('\n'));
});

test('event-count v1 → v1: the same schema is identical (no note for the reduce state)', async (t) => {
  const sp = await v1Savepoint(t, { click: 3 });
  const r = await preflightRestore(sp, { job: join(repo, 'examples/event-count/v1.ts') });
  assert.equal(r.compatible, true, r.refusals.join('\n'));
  assert.deepEqual(r.notes, []);
});

test('event-count v1 → v2 whose new field has no default: refused, naming the field and both fixes', async (t) => {
  const sp = await v1Savepoint(t, { click: 3 });
  const job = await v2With(t, [...countV1Schema.fields, { name: 'maxTs', type: 'long' }]);
  const r = await preflightRestore(sp, { job });
  assert.equal(r.compatible, false);
  assert.equal(r.refusals.length, 1, r.refusals.join('\n'));
  const [refusal] = r.refusals;
  assert.match(refusal!, /State "reduce" of operator "counts" \(reduce\(counts\)\): new field "maxTs" has no default/);
  assert.match(refusal!, /Fix: give field "maxTs" a default/);
  assert.match(refusal!, /state processor \(transformSavepoint\)/);
  assert.match(refusal!, /new uid and pass --allow-non-restored-state/);
});

test('event-count v1 → a version whose count became a string: refused as a reduce state type change', async (t) => {
  const sp = await v1Savepoint(t, { click: 3 });
  const job = await v2With(t, [{ name: 'type', type: 'string' }, { name: 'count', type: 'string' }, { name: 'maxTs', type: 'long', default: 0 }]);
  const r = await preflightRestore(sp, { job });
  assert.equal(r.compatible, false);
  assert.match(r.refusals[0]!, /field "count" changed type from long to string/);
});

test('event-count v1 → a version that widens count to double and drops nothing: compatible, a migration', async (t) => {
  const sp = await v1Savepoint(t, { click: 3 });
  const job = await v2With(t, [{ name: 'type', type: 'string' }, { name: 'count', type: 'double' }, { name: 'maxTs', type: 'long', default: 0 }]);
  const r = await preflightRestore(sp, { job });
  assert.equal(r.compatible, true, r.refusals.join('\n'));
  assert.ok(r.notes.some((n) => n.startsWith('counts/reduce: state schema migrates')), r.notes.join('\n'));
});

test('a savepoint written before JSON state had schemas: every saved value is checked against v2\'s schema, and fits', async (t) => {
  const sp = await v1Savepoint(t, { click: 3, view: 1 }, true);
  const r = await preflightRestore(sp, { job: V2 });
  assert.equal(r.compatible, true, r.refusals.join('\n'));
  const note = r.notes.find((n) => n.startsWith('counts/reduce: saved values checked'));
  assert.ok(note, r.notes.join('\n'));
  assert.match(note, /savepoint holds no schema for it; all 2 saved value\(s\) fit the new schema/);
  assert.ok(!r.notes.some((n) => /unchecked|migrates/.test(n)), r.notes.join('\n'));
});

test('a savepoint written before JSON state had schemas, holding a value v2\'s schema refuses: refused, naming the key and field', async (t) => {
  const sp = await v1Savepoint(t, { click: 3, view: 'one' }, true);
  const r = await preflightRestore(sp, { job: V2 });
  assert.equal(r.compatible, false);
  assert.equal(r.refusals.length, 1, r.refusals.join('\n'));
  assert.match(r.refusals[0]!, /State "reduce" of operator "counts": the savepoint holds no schema for it, and the saved value of key "view" does not fit the new schema at "count": expected long, got "one"/);
  assert.match(r.refusals[0]!, /Fix: .*transformSavepoint.*--allow-non-restored-state/);
});

test('no schema on either side: compatible, reported "unchecked", not identical', async (t) => {
  const sp = await v1Savepoint(t, { click: 3 }, true);
  const job = await v2With(t, null);
  const r = await preflightRestore(sp, { job });
  assert.equal(r.compatible, true, r.refusals.join('\n'));
  const note = r.notes.find((n) => n.startsWith('counts/reduce: unchecked'));
  assert.ok(note, r.notes.join('\n'));
  assert.match(note, /declares no schema in either version/);
});

test('v1\'s schema in the savepoint, none in the new job: compatible, reported "unchecked"', async (t) => {
  const sp = await v1Savepoint(t, { click: 3 });
  const job = await v2With(t, null);
  const r = await preflightRestore(sp, { job });
  assert.equal(r.compatible, true, r.refusals.join('\n'));
  assert.ok(r.notes.some((n) => n.startsWith('counts/reduce: unchecked') && /new job declares no schema/.test(n)), r.notes.join('\n'));
});
