// The state processor on real files: the event-count migration (a state type change
// Avro resolution refuses) becomes restorable through transformSavepoint, and the
// source savepoint is never modified.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planRestore, readSavepointMetadata, readStateLines, syntheticSnapshot, transformSavepoint, writeSavepoint, type JobDescription } from '../src/engine/index.ts';
import type { StateDescriptorSpec } from '../src/engine/snapshot/model.ts';
import { SavepointFormatError } from '../src/errors.ts';

// event-count v1 keeps a plain int per key; v2 keeps a record with a long count and the first event time.
const countV1: StateDescriptorSpec = { name: 'count', kind: 'value', codec: { type: 'avro', schema: { type: 'int' } } };
const countV2: StateDescriptorSpec = {
  name: 'count',
  kind: 'value',
  codec: { type: 'avro', schema: { type: 'record', name: 'EventCount', fields: [{ name: 'count', type: 'long' }, { name: 'firstSeen', type: 'long' }] } },
};
const jobV2: JobDescription = {
  name: 'event-count',
  version: '2',
  maxParallelism: 128,
  inputTopics: ['events'],
  operators: [
    { uid: 'source', name: 'source(events)', kind: 'source', states: [] },
    { uid: 'counter', name: 'process(counter)', kind: 'process', keyFingerprint: 'string:userId', states: [countV2] },
  ],
};

async function hashTree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) {
      const p = join(e.parentPath, e.name);
      out[p.slice(dir.length)] = createHash('sha256').update(await readFile(p)).digest('hex');
    }
  }
  return out;
}

async function lines(dir: string, uid: string, state: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for await (const l of readStateLines(dir, uid, state)) out.push(JSON.parse(l) as Record<string, unknown>);
  return out;
}

test('event-count v1 → transform → v2: refused before, compatible after, every key migrated', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'pitlane-spp-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const keys = 300;
  const snap = syntheticSnapshot({ keys, jobName: 'event-count', jobVersion: '1', uid: 'counter', state: countV1, value: (i) => i * 2 });
  const v1 = join(root, 'v1');
  await writeSavepoint(v1, snap);
  const before = await hashTree(v1);

  const refused = planRestore(await readSavepointMetadata(v1), jobV2);
  assert.equal(refused.compatible, false);
  assert.equal(refused.problems[0]!.code, 'STATE_TYPE_CHANGED');
  assert.match(refused.problems[0]!.message, /State "count" of operator "counter" \(process\(counter\)\): its type changed from int to EventCount/);
  assert.match(refused.problems[0]!.fix, /transformSavepoint/);

  const v2 = join(root, 'v2');
  await transformSavepoint(v1, v2, {
    uid: 'counter',
    state: 'count',
    descriptor: countV2,
    jobVersion: '2',
    transform: ({ value }) => ({ count: value as number, firstSeen: 0 }),
  });
  const plan = planRestore(await readSavepointMetadata(v2), jobV2);
  assert.ok(plan.compatible, JSON.stringify(plan.problems));
  assert.deepEqual(plan.sources.map((s) => s.offset), snap.sourceOffsets.map((o) => o.offset), 'source offsets carried over');

  const migrated = await lines(v2, 'counter', 'count');
  assert.equal(migrated.length, keys);
  const byKey = new Map(migrated.map((l) => [l.key as string, l.value]));
  for (let i = 0; i < keys; i++) assert.deepEqual(byKey.get(`user-${i}`), { count: i * 2, firstSeen: 0 }, `user-${i}`);

  assert.deepEqual(await hashTree(v1), before, 'the source savepoint is untouched');
  const old = await lines(v1, 'counter', 'count');
  assert.equal(old.find((l) => l.key === 'user-7')!.value, 14);
});

test('the state processor never overwrites: the target must be new, and bad values are refused', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'pitlane-spp-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const v1 = join(root, 'v1');
  await writeSavepoint(v1, syntheticSnapshot({ keys: 20, uid: 'counter', state: countV1, value: (i) => i }));
  const before = await hashTree(v1);
  await assert.rejects(transformSavepoint(v1, v1, { uid: 'counter', state: 'count', transform: ({ value }) => value }), (e: unknown) => e instanceof SavepointFormatError && e.code === 'SAVEPOINT_TARGET_EXISTS');
  await assert.rejects(transformSavepoint(v1, join(root, 'x'), { uid: 'counter', state: 'count', transform: () => 'not an int' }), (e: unknown) => e instanceof SavepointFormatError && e.code === 'STATE_VALUE_INVALID');
  await assert.rejects(transformSavepoint(v1, join(root, 'y'), { uid: 'nope', state: 'count', transform: (x) => x }), /no operator with uid "nope"/);
  // Dropping entries: returning undefined deletes the key's state.
  await transformSavepoint(v1, join(root, 'evens'), { uid: 'counter', state: 'count', transform: ({ value }) => ((value as number) % 2 === 0 ? value : undefined) });
  assert.equal((await lines(join(root, 'evens'), 'counter', 'count')).length, 10);
  assert.deepEqual(await hashTree(v1), before);
  assert.deepEqual((await readdir(root)).sort(), ['evens', 'v1']);
});
