import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planRestore, type RestoreOptions, type RestorePlan } from './plan.ts';
import { assignRanges } from '../key-groups.ts';
import type { JobDescription, OperatorDescription, StateDescriptorSpec } from '../snapshot/model.ts';
import type { OperatorMetadata, SavepointMetadata } from '../savepoint/metadata.ts';

const MAXP = 16;
const profileV1: StateDescriptorSpec = { name: 'profile', kind: 'value', codec: { type: 'avro', schema: { type: 'record', name: 'Profile', fields: [{ name: 'count', type: 'int' }] } } };
const profileV2: StateDescriptorSpec = { ...profileV1, codec: { type: 'avro', schema: { type: 'record', name: 'Profile', fields: [{ name: 'count', type: 'int' }, { name: 'risk', type: 'double', default: 0 }] } } };
const profileBad: StateDescriptorSpec = { ...profileV1, codec: { type: 'avro', schema: { type: 'record', name: 'Profile', fields: [{ name: 'count', type: 'string' }] } } };
const counts: StateDescriptorSpec = { name: 'counts', kind: 'value', codec: { type: 'json' } };

/** A saved keyed operator whose every key group holds one block. */
function savedOp(uid: string, parallelism: number, states: StateDescriptorSpec[], keyFingerprint = 'string:user'): OperatorMetadata {
  return {
    uid,
    name: `process(${uid})`,
    kind: 'process',
    parallelism,
    keyFingerprint,
    states,
    files: assignRanges(MAXP, parallelism).map((range) => ({
      path: `${uid}/kg-${range.start}-${range.end}.bin`,
      size: 100,
      sha256: '0'.repeat(64),
      range,
      blocks: Array.from({ length: range.end - range.start + 1 }, (_, i) => ({ keyGroup: range.start + i, offset: 8 + i * 10, length: 10, entries: 1, timers: 0 })),
    })),
  };
}

const source: OperatorMetadata = { uid: 'src', name: 'source(events)', kind: 'source', parallelism: 1, states: [], files: [] };

function meta(ops: OperatorMetadata[], overrides: Partial<SavepointMetadata> = {}): SavepointMetadata {
  return {
    formatVersion: 1,
    job: { name: 'fraud', version: 'v1' },
    maxParallelism: MAXP,
    operators: ops,
    sourceOffsets: [
      { topic: 'payments', partition: 0, offset: 10 },
      { topic: 'payments', partition: 1, offset: 20 },
    ],
    watermarks: [],
    createdAt: 0,
    type: 'savepoint',
    ...overrides,
  };
}

const desc = (uid: string, states: StateDescriptorSpec[], keyFingerprint: string | null = 'string:user'): OperatorDescription => ({ uid, name: `process(${uid})`, kind: 'process', ...(keyFingerprint ? { keyFingerprint } : {}), states });
const srcDesc: OperatorDescription = { uid: 'src', name: 'source(events)', kind: 'source', states: [] };

function job(ops: OperatorDescription[], overrides: Partial<JobDescription> = {}): JobDescription {
  return { name: 'fraud', version: 'v2', maxParallelism: MAXP, operators: [srcDesc, ...ops], inputTopics: ['payments'], ...overrides };
}

interface Case {
  name: string;
  meta: SavepointMetadata;
  job: JobDescription;
  options?: RestoreOptions;
  compatible: boolean;
  problems?: { code: string; uid?: string; state?: string; field?: string; message?: RegExp; fix?: RegExp }[];
  dropped?: string[];
  startsEmpty?: string[];
  migrations?: string[];
  check?: (p: RestorePlan) => void;
}

const cases: Case[] = [
  { name: 'same job restores', meta: meta([source, savedOp('profiles', 4, [profileV1])]), job: job([desc('profiles', [profileV1])]), compatible: true, migrations: [] },
  { name: 'new field with default is a migration', meta: meta([source, savedOp('profiles', 4, [profileV1])]), job: job([desc('profiles', [profileV2])]), compatible: true, migrations: ['profiles/profile'] },
  {
    name: 'changed field type is refused naming uid, state and field',
    meta: meta([source, savedOp('profiles', 4, [profileV1])]),
    job: job([desc('profiles', [profileBad])]),
    compatible: false,
    problems: [{ code: 'STATE_TYPE_CHANGED', uid: 'profiles', state: 'profile', field: 'count', message: /"profile" of operator "profiles".*"count" changed type from int to string/, fix: /transformSavepoint/ }],
  },
  {
    name: 'removed stateful operator is refused',
    meta: meta([source, savedOp('profiles', 4, [profileV1]), savedOp('counter', 4, [counts])]),
    job: job([desc('profiles', [profileV1])]),
    compatible: false,
    problems: [{ code: 'STATE_NOT_RESTORED', uid: 'counter', fix: /--allow-non-restored-state/ }],
  },
  {
    name: 'removed stateful operator is dropped with the flag',
    meta: meta([source, savedOp('profiles', 4, [profileV1]), savedOp('counter', 4, [counts])]),
    job: job([desc('profiles', [profileV1])]),
    options: { allowNonRestoredState: true },
    compatible: true,
    dropped: ['counter'],
  },
  { name: 'removed stateless operator is fine', meta: meta([source, savedOp('profiles', 4, [profileV1])]), job: job([desc('profiles', [profileV1])], { operators: [desc('profiles', [profileV1])] }), compatible: true },
  {
    name: 'removed state in a kept operator is refused, then dropped with the flag',
    meta: meta([source, savedOp('profiles', 4, [profileV1, counts])]),
    job: job([desc('profiles', [profileV1])]),
    compatible: false,
    problems: [{ code: 'STATE_NOT_RESTORED', uid: 'profiles', state: 'counts', fix: /--allow-non-restored-state/ }],
  },
  { name: 'new stateful operator and new state start empty', meta: meta([source, savedOp('profiles', 4, [profileV1])]), job: job([desc('profiles', [profileV1, counts]), desc('alarms', [counts])]), compatible: true, startsEmpty: ['profiles/counts', 'alarms'] },
  {
    name: 'changed key fingerprint is refused',
    meta: meta([source, savedOp('profiles', 4, [profileV1])]),
    job: job([desc('profiles', [profileV1], 'string:merchant')]),
    compatible: false,
    problems: [{ code: 'KEY_CHANGED', uid: 'profiles', message: /string:user → string:merchant/, fix: /new uid/ }],
  },
  { name: 'no longer keyed is refused', meta: meta([source, savedOp('profiles', 4, [profileV1])]), job: job([desc('profiles', [profileV1], null)]), compatible: false, problems: [{ code: 'KEY_CHANGED', uid: 'profiles' }] },
  {
    name: 'changed maxParallelism is refused',
    meta: meta([source, savedOp('profiles', 4, [profileV1])]),
    job: job([desc('profiles', [profileV1])], { maxParallelism: 32 }),
    compatible: false,
    problems: [{ code: 'MAX_PARALLELISM_CHANGED', message: /16 to 32/, fix: /back to 16/ }],
  },
  { name: 'another job is refused', meta: meta([source, savedOp('profiles', 4, [profileV1])]), job: job([desc('profiles', [profileV1])], { name: 'alarm' }), compatible: false, problems: [{ code: 'JOB_MISMATCH', message: /"fraud", not "alarm"/ }] },
  { name: 'parallelism above maxParallelism is refused', meta: meta([source, savedOp('profiles', 4, [profileV1])]), job: job([desc('profiles', [profileV1])]), options: { parallelism: 17 }, compatible: false, problems: [{ code: 'BAD_PARALLELISM' }] },
  {
    name: 'state kind change is refused',
    meta: meta([source, savedOp('profiles', 4, [profileV1])]),
    job: job([desc('profiles', [{ ...profileV1, kind: 'list' }])]),
    compatible: false,
    problems: [{ code: 'STATE_KIND_CHANGED', uid: 'profiles', state: 'profile' }],
  },
];

for (const c of cases) {
  test(`planRestore: ${c.name}`, () => {
    const p = planRestore(c.meta, c.job, c.options);
    assert.equal(p.compatible, c.compatible, JSON.stringify(p.problems));
    if (c.problems) {
      assert.equal(p.problems.length, c.problems.length, JSON.stringify(p.problems));
      c.problems.forEach((want, i) => {
        const got = p.problems[i]!;
        assert.equal(got.code, want.code);
        if (want.uid) assert.equal(got.uid, want.uid);
        if (want.state) assert.equal(got.state, want.state);
        if (want.field) assert.equal(got.field, want.field);
        if (want.message) assert.match(got.message, want.message);
        if (want.fix) assert.match(got.fix, want.fix);
        assert.ok(got.fix.length > 0, 'every refusal says what fixes it');
      });
    } else assert.deepEqual(p.problems, []);
    if (c.dropped) assert.deepEqual(p.dropped.map((d) => (d.state ? `${d.uid}/${d.state}` : d.uid)), c.dropped);
    if (c.startsEmpty) assert.deepEqual(p.startsEmpty.map((d) => (d.state ? `${d.uid}/${d.state}` : d.uid)), c.startsEmpty);
    if (c.migrations) assert.deepEqual(p.migrations.map((m) => `${m.uid}/${m.state}`), c.migrations);
  });
}

// Rescaling: every saved key group is read by exactly one new subtask, the one whose range holds it.
for (const [from, to] of [[4, 8], [8, 3], [4, 4], [3, 16], [16, 1], [5, 7]] as const) {
  test(`planRestore: rescale ${from}→${to} assigns every key group exactly once`, () => {
    const p = planRestore(meta([source, savedOp('profiles', from, [profileV1])]), job([desc('profiles', [profileV1])]), { parallelism: to });
    assert.ok(p.compatible);
    const a = p.assignments.find((x) => x.uid === 'profiles')!;
    assert.equal(a.savedParallelism, from);
    assert.equal(a.parallelism, to);
    assert.equal(a.subtasks.length, to);
    const owner = new Map<number, number>();
    for (const st of a.subtasks) {
      for (const r of st.reads) {
        for (const b of r.blocks) {
          assert.ok(!owner.has(b.keyGroup), `key group ${b.keyGroup} assigned twice`);
          assert.ok(b.keyGroup >= st.range.start && b.keyGroup <= st.range.end);
          assert.match(r.path, new RegExp(`kg-\\d+-\\d+`));
          owner.set(b.keyGroup, st.subtask);
        }
      }
    }
    assert.equal(owner.size, MAXP);
  });
}

test('planRestore: keeps parallelism by default', () => {
  const p = planRestore(meta([source, savedOp('profiles', 4, [profileV1])]), job([desc('profiles', [profileV1])]));
  assert.equal(p.assignments[0]!.parallelism, 4);
  // Same parallelism: each subtask reads exactly its own old file.
  assert.deepEqual(p.assignments[0]!.subtasks.map((s) => s.reads.map((r) => r.path)), [['profiles/kg-0-3.bin'], ['profiles/kg-4-7.bin'], ['profiles/kg-8-11.bin'], ['profiles/kg-12-15.bin']]);
});

const sourceCases: { name: string; job: JobDescription; options?: RestoreOptions; sources: string[]; droppedSources?: string[] }[] = [
  { name: 'saved partitions resume at their offsets', job: job([]), sources: ['payments/0@savepoint:10', 'payments/1@savepoint:20'] },
  {
    name: 'a partition new since the savepoint starts from the configured position',
    job: job([]),
    options: { newPartitionStart: 'latest', currentPartitions: [0, 1, 2].map((partition) => ({ topic: 'payments', partition })) },
    sources: ['payments/0@savepoint:10', 'payments/1@savepoint:20', 'payments/2@latest'],
  },
  { name: 'new partitions default to earliest', job: job([]), options: { currentPartitions: [{ topic: 'payments', partition: 3 }] }, sources: ['payments/0@savepoint:10', 'payments/1@savepoint:20', 'payments/3@earliest'] },
  { name: 'a new input topic without known partitions', job: job([], { inputTopics: ['payments', 'refunds'] }), sources: ['payments/0@savepoint:10', 'payments/1@savepoint:20', 'refunds/*@earliest'] },
  { name: 'a topic no longer read is reported', job: job([], { inputTopics: ['refunds'] }), sources: ['refunds/*@earliest'], droppedSources: ['payments'] },
];

for (const c of sourceCases) {
  test(`planRestore sources: ${c.name}`, () => {
    const p = planRestore(meta([source]), c.job, c.options);
    assert.deepEqual(
      p.sources.map((s) => `${s.topic}/${s.partition ?? '*'}@${s.from}${s.offset !== undefined ? `:${s.offset}` : ''}`),
      c.sources,
    );
    assert.deepEqual(p.droppedSources, c.droppedSources ?? []);
  });
}
