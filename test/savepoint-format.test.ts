// Savepoint format v1 against real files in temp directories: round trip, moving,
// atomic no-overwrite, bad input (corruption, truncation, unknown version, missing
// directory, not a savepoint), rescaling 4→8→3 through plan + load, dispose.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, readdir, rm, writeFile, truncate, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { SavepointFormatError } from '../src/errors.ts';
import { disposeSavepoint, loadRestoredState, planRestore, profileState, readSavepoint, readSavepointMetadata, syntheticSnapshot, writeSavepoint, type JobDescription, type JobSnapshot } from '../src/engine/index.ts';
import { keyGroupOf } from '../src/engine/key-groups.ts';
import type { KeyGroupBlock } from '../src/engine/snapshot/model.ts';
import { verifySavepoint, METADATA_FILE } from '../src/engine/savepoint/index.ts';
import { syntheticKey, syntheticProfile } from '../src/engine/savepoint/synthetic.ts';
import { valueCodec } from '../src/engine/savepoint/state-values.ts';

async function tempDir(t: TestContext): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'pitlane-sp-'));
  t.after(() => rm(d, { recursive: true, force: true }));
  return d;
}

function withOperatorState(s: JobSnapshot): JobSnapshot {
  return { ...s, operators: s.operators.map((o) => (o.uid === 'source' ? { ...o, operatorState: Buffer.from('late=3') } : o)) };
}

const sortBlocks = (bs: readonly KeyGroupBlock[]): KeyGroupBlock[] => [...bs].sort((a, b) => a.keyGroup - b.keyGroup);
const normalize = (s: JobSnapshot): JobSnapshot => ({ ...s, operators: s.operators.map((o) => ({ ...o, keyGroups: sortBlocks(o.keyGroups) })) });

const expectCode = (code: string, message?: RegExp) => (e: unknown): boolean => {
  assert.ok(e instanceof SavepointFormatError, String(e));
  assert.equal(e.code, code, e.message);
  if (message) assert.match(e.message, message);
  assert.ok((e.hint ?? '').length > 0, 'every error says what to do');
  return true;
};

const description = (parallelismIgnored = true): JobDescription => ({
  name: 'synthetic',
  version: parallelismIgnored ? 'v2' : 'v1',
  maxParallelism: 128,
  inputTopics: ['events'],
  operators: [
    { uid: 'source', name: 'source(events)', kind: 'source', states: [] },
    { uid: 'profiles', name: 'process(profiles)', kind: 'process', keyFingerprint: 'string:userId', states: [profileState] },
  ],
});

test('a savepoint round-trips to the same snapshot, and still reads after being moved', async (t) => {
  const root = await tempDir(t);
  const snap = withOperatorState(syntheticSnapshot({ keys: 2000, timerEvery: 7 }));
  const { metadata } = await writeSavepoint(join(root, 'sp1'), snap);
  assert.equal(metadata.formatVersion, 1);
  assert.equal(metadata.operators.find((o) => o.uid === 'profiles')!.files.length, 4, 'one data file per subtask range');
  assert.deepEqual(normalize(await readSavepoint(join(root, 'sp1'))), normalize(snap));

  // Relative paths only: no trace of where it was written, and a copy elsewhere reads the same.
  const raw = await readFile(join(root, 'sp1', METADATA_FILE));
  assert.ok(!raw.includes(Buffer.from(root)), 'metadata holds no absolute path');
  await cp(join(root, 'sp1'), join(root, 'moved', 'sp1-copy'), { recursive: true });
  await rm(join(root, 'sp1'), { recursive: true });
  assert.deepEqual(normalize(await readSavepoint(join(root, 'moved', 'sp1-copy'))), normalize(snap));
  assert.equal((await verifySavepoint(join(root, 'moved', 'sp1-copy'))).ok, true);
});

test('a savepoint is never written over an existing directory, and leaves no temp files', async (t) => {
  const root = await tempDir(t);
  const snap = syntheticSnapshot({ keys: 50 });
  await mkdir(join(root, 'taken'));
  await writeFile(join(root, 'taken', 'precious.txt'), 'keep me');
  await assert.rejects(writeSavepoint(join(root, 'taken'), snap), expectCode('SAVEPOINT_TARGET_EXISTS'));
  assert.equal(await readFile(join(root, 'taken', 'precious.txt'), 'utf8'), 'keep me');
  await writeSavepoint(join(root, 'sp'), snap);
  await assert.rejects(writeSavepoint(join(root, 'sp'), syntheticSnapshot({ keys: 10 })), expectCode('SAVEPOINT_TARGET_EXISTS'));
  assert.equal((await readSavepoint(join(root, 'sp'))).operators[1]!.keyGroups.reduce((n, b) => n + b.entries.length, 0), 50, 'the first savepoint is intact');
  assert.deepEqual((await readdir(root)).sort(), ['sp', 'taken'], 'no temporary directory is left behind');
});

test('an altered data file is detected, naming the file and the operator', async (t) => {
  const root = await tempDir(t);
  const dir = join(root, 'sp');
  const { metadata } = await writeSavepoint(dir, syntheticSnapshot({ keys: 500 }));
  const victim = metadata.operators.find((o) => o.uid === 'profiles')!.files[1]!;
  const bytes = await readFile(join(dir, victim.path));
  bytes[bytes.length - 3] = bytes[bytes.length - 3]! ^ 0x01;
  await writeFile(join(dir, victim.path), bytes);
  const fileRe = new RegExp(`${victim.path}.*"profiles".*sha256`);
  await assert.rejects(readSavepoint(dir), expectCode('SAVEPOINT_CHECKSUM_MISMATCH', fileRe));
  const report = await verifySavepoint(dir);
  assert.equal(report.ok, false);
  assert.deepEqual(report.files.filter((f) => !f.ok).map((f) => f.path), [victim.path]);
  // Without sha256 verification the framing still holds, so only the checksum catches a flipped value byte.
  await assert.doesNotReject(readSavepoint(dir, { verify: false }));
});

test('a truncated data file is detected even without sha256 verification', async (t) => {
  const root = await tempDir(t);
  const dir = join(root, 'sp');
  const { metadata } = await writeSavepoint(dir, syntheticSnapshot({ keys: 500 }));
  const victim = metadata.operators.find((o) => o.uid === 'profiles')!.files[0]!;
  await truncate(join(dir, victim.path), victim.size - 10);
  await assert.rejects(readSavepoint(dir, { verify: false }), expectCode('SAVEPOINT_CHECKSUM_MISMATCH', /truncated/));
});

test('an unknown format version, a missing directory and a non-savepoint are clear errors', async (t) => {
  const root = await tempDir(t);
  const dir = join(root, 'sp');
  await writeSavepoint(dir, syntheticSnapshot({ keys: 10 }));
  const meta = await readFile(join(dir, METADATA_FILE));
  meta.writeUInt32BE(2, 4);
  await writeFile(join(dir, METADATA_FILE), meta);
  await assert.rejects(readSavepointMetadata(dir), expectCode('SAVEPOINT_UNKNOWN_VERSION', /format version 2/));
  await assert.rejects(readSavepoint(join(root, 'nope')), expectCode('SAVEPOINT_NOT_FOUND'));
  await mkdir(join(root, 'plain'));
  await assert.rejects(readSavepoint(join(root, 'plain')), expectCode('SAVEPOINT_NOT_A_SAVEPOINT', /no _metadata/));
  await writeFile(join(root, 'plain', METADATA_FILE), '{"job":"x"}');
  await assert.rejects(readSavepoint(join(root, 'plain')), expectCode('SAVEPOINT_NOT_A_SAVEPOINT', /magic/));
});

test('rescaling 4 → 8 → 3 keeps every key\'s state and every timer', async (t) => {
  const root = await tempDir(t);
  const keys = 5000;
  const snap = syntheticSnapshot({ keys, parallelism: 4, timerEvery: 3 });
  await writeSavepoint(join(root, 'p4'), snap);
  let dir = join(root, 'p4');
  for (const parallelism of [8, 3]) {
    const meta = await readSavepointMetadata(dir);
    const plan = planRestore(meta, description(), { parallelism });
    assert.ok(plan.compatible, JSON.stringify(plan.problems));
    const restored = (await loadRestoredState(dir, meta, plan)).get('profiles')!;
    assert.equal(restored.subtasks.length, parallelism);
    const a = plan.assignments.find((x) => x.uid === 'profiles')!;
    restored.subtasks.forEach((blocks, i) => {
      for (const b of blocks) {
        assert.ok(b.keyGroup >= a.subtasks[i]!.range.start && b.keyGroup <= a.subtasks[i]!.range.end, `subtask ${i} got key group ${b.keyGroup} outside its range`);
        for (const e of b.entries) assert.equal(keyGroupOf(e.key, 128), b.keyGroup);
      }
    });
    // The rescaled job snapshots again at its new parallelism.
    const next: JobSnapshot = { ...snap, operators: snap.operators.map((o) => (o.uid === 'profiles' ? { ...o, parallelism, keyGroups: restored.subtasks.flat() } : o)) };
    const nextDir = join(root, `p${parallelism}`);
    const { metadata } = await writeSavepoint(nextDir, next);
    assert.equal(metadata.operators.find((o) => o.uid === 'profiles')!.files.length, parallelism);
    dir = nextDir;
  }
  const final = await readSavepoint(dir);
  const op = final.operators.find((o) => o.uid === 'profiles')!;
  assert.equal(op.parallelism, 3);
  const decode = valueCodec(profileState.codec, 'profile');
  const values = new Map<string, unknown>();
  let timers = 0;
  for (const b of op.keyGroups) {
    for (const e of b.entries) values.set(e.key.toString("utf8"), { ...(decode.decode(e.value) as object) });
    timers += b.timers.length;
  }
  assert.equal(values.size, keys);
  for (let i = 0; i < keys; i++) assert.deepEqual(values.get(syntheticKey(i).toString('utf8')), syntheticProfile(i), `key ${i}`);
  assert.equal(timers, Math.ceil(keys / 3));
  assert.deepEqual(final.sourceOffsets, snap.sourceOffsets);
});

test('loading an incompatible plan is refused with its first problem', async (t) => {
  const root = await tempDir(t);
  const dir = join(root, 'sp');
  await writeSavepoint(dir, syntheticSnapshot({ keys: 10 }));
  const meta = await readSavepointMetadata(dir);
  const plan = planRestore(meta, { ...description(), name: 'other-job' });
  assert.equal(plan.compatible, false);
  assert.equal(plan.problems[0]!.code, 'JOB_MISMATCH');
  await assert.rejects(loadRestoredState(dir, meta, plan), /belongs to job "synthetic", not "other-job"/);
});

test('dispose deletes a savepoint, and refuses non-savepoints and foreign files', async (t) => {
  const root = await tempDir(t);
  await mkdir(join(root, 'plain'));
  await writeFile(join(root, 'plain', 'notes.txt'), 'x');
  await assert.rejects(disposeSavepoint(join(root, 'plain')), expectCode('SAVEPOINT_NOT_A_SAVEPOINT'));
  assert.equal(await readFile(join(root, 'plain', 'notes.txt'), 'utf8'), 'x');

  const dir = join(root, 'sp');
  const { metadata } = await writeSavepoint(dir, withOperatorState(syntheticSnapshot({ keys: 100 })));
  await writeFile(join(dir, metadata.operators[1]!.files[0]!.path.split('/')[0]!, 'foreign.txt'), 'y');
  await assert.rejects(disposeSavepoint(dir), expectCode('SAVEPOINT_DISPOSE_FOREIGN_FILES', /foreign\.txt/));
  assert.equal((await verifySavepoint(dir)).ok, true, 'nothing was deleted');
  await rm(join(dir, metadata.operators[1]!.files[0]!.path.split('/')[0]!, 'foreign.txt'));
  const r = await disposeSavepoint(dir);
  assert.equal(r.files, 1 + 4 + 1);
  assert.deepEqual(await readdir(root), ['plain']);
});
