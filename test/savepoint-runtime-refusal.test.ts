// `pitlane run --from-savepoint` refuses an incompatible job before starting anything
// (exit 3, every problem with its fix), and starts with --allow-non-restored-state,
// reporting what it dropped; input partitions new since the savepoint start where
// --new-partitions says. Real CLI, real broker, real files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { kafkaForTest, uniqueName, waitFor } from './support/kafka.ts';
import { json, readTopic, values } from './engine-harness.ts';
import { cli, repo, startRun, workspace, topicOf } from './savepoint-runtime-support.ts';
import { callJob } from '../src/engines/embedded/control/client.ts';
import type { RunnerStatus } from '../src/engine/index.ts';
import type { Transaction } from '../examples/fraud/model.ts';

const ENGINE = pathToFileURL(join(repo, 'src', 'engine', 'index.ts')).href;

/** fraud without the profile operator: its state has no place in this job. */
const WITHOUT_PROFILE = `import { defineJob } from '${ENGINE}';
export default defineJob({
  name: 'fraud', version: 'no-profile', maxParallelism: 128,
  build(env) {
    env.fromKafka({ uid: 'transactions', topics: env.param('input'), timestamp: { field: 'ts' } })
      .filter((t) => t.amount > 100)
      .toKafka({ uid: 'flags', topic: env.param('output'), key: (t) => t.userId });
  },
});
`;

/** fraud with the profile's count retyped int → string: Avro resolution cannot read it. */
const RETYPED = `import { avroCodec, defineJob, valueState } from '${ENGINE}';
const schema = { type: 'record', name: 'Profile', namespace: 'pitlane.examples.fraud', fields: [{ name: 'count', type: 'string' }, { name: 'total', type: 'double' }] };
const profile = valueState('profile', { codec: avroCodec(schema) });
export default defineJob({
  name: 'fraud', version: 'retyped', maxParallelism: 128,
  build(env) {
    env.fromKafka({ uid: 'transactions', topics: env.param('input'), timestamp: { field: 'ts' } })
      .keyBy((t) => t.userId)
      .process('profile', { states: [profile], processElement(t, ctx) { ctx.state.value(profile).update({ count: 'x', total: t.amount }); } })
      .toKafka({ uid: 'flags', topic: env.param('output'), key: (f) => f.userId });
  },
});
`;

test('run --from-savepoint: a removed operator is refused, then accepted with the flag; a type change is refused with its message', async (t) => {
  const k = kafkaForTest(t);
  const ws = await workspace(t);
  const [inTopic, out1, out2, dlq] = [await topicOf(k, 'rf-in'), await topicOf(k, 'rf-out1'), await topicOf(k, 'rf-out2'), await topicOf(k, 'rf-dlq')];
  const name = uniqueName('refuse');
  const tx = (i: number, userId: string, amount: number): Transaction => ({ txId: `tx-${i}`, userId, amount, ts: 1_700_000_000_000 + i });
  const io = (out: string) => ['--param', `input=${inTopic}`, '--param', `output=${out}`, '--dlq-topic', dlq];
  await startRun(t, ws, name, ['examples/fraud/v1.ts', ...io(out1)]);
  await k.kafka.produce(inTopic, json([tx(0, 'ann', 50), tx(1, 'bob', 150)], (x: Transaction) => x.userId));
  await waitFor(async () => ((await callJob(ws.jobsDir, name, 'status')) as RunnerStatus).operators[0]!.recordsIn === 2);
  const sp = join(ws.root, 'sp');
  assert.equal((await cli(ws, ['stop', name, '--savepoint-dir', sp])).code, 0);

  const withoutProfile = join(ws.root, 'without-profile.mts');
  const retyped = join(ws.root, 'retyped.mts');
  await writeFile(withoutProfile, WITHOUT_PROFILE);
  await writeFile(retyped, RETYPED);

  const refused = await cli(ws, ['run', withoutProfile, ...io(out2), '--from-savepoint', sp, '--name', name]);
  assert.equal(refused.code, 3, refused.stderr);
  assert.match(refused.stderr, /STATE_NOT_RESTORED/);
  assert.match(refused.stderr, /operator "profile"/);
  assert.match(refused.stderr, /--allow-non-restored-state/);

  const typeChange = await cli(ws, ['run', retyped, ...io(out2), '--from-savepoint', sp, '--name', name]);
  assert.equal(typeChange.code, 3, typeChange.stderr);
  assert.match(typeChange.stderr, /State "profile" of operator "profile"/);
  assert.match(typeChange.stderr, /count/);
  assert.match(typeChange.stderr, /int/);
  assert.equal((await readTopic(k.kafka, out2)).length, 0, 'nothing ran');

  const accepted = await startRun(t, ws, name, [withoutProfile, ...io(out2), '--from-savepoint', sp, '--allow-non-restored-state']);
  assert.match(accepted.output().stderr, /dropped state: profile/);
  await k.kafka.produce(inTopic, json([tx(2, 'cat', 700)], (x: Transaction) => x.userId));
  await waitFor(async () => (await readTopic(k.kafka, out2)).length === 1);
  // It resumed at the savepoint's offset: only the new transaction passed the filter.
  assert.deepEqual(values<Transaction>(await readTopic(k.kafka, out2)).map((x) => x.txId), ['tx-2']);
  assert.equal((await cli(ws, ['stop', name])).code, 0);
});

const MIRROR = (version: string, topics: string) => `import { defineJob } from '${ENGINE}';
export default defineJob({
  name: 'mirror', version: '${version}', maxParallelism: 16,
  build(env) {
    env.fromKafka({ uid: 'in', topics: ${topics}, timestamp: { field: 'ts' } })
      .map((r) => ({ ...r, by: '${version}' }))
      .toKafka({ uid: 'out', topic: env.param('output') });
  },
});
`;

test('run --from-savepoint: input partitions new since the savepoint start at --new-partitions', async (t) => {
  const k = kafkaForTest(t);
  const ws = await workspace(t);
  const [a, b, dlq] = [await topicOf(k, 'np-a'), await topicOf(k, 'np-b', 2), await topicOf(k, 'np-dlq')];
  const name = uniqueName('np');
  const v1 = join(ws.root, 'v1.mts');
  const v2 = join(ws.root, 'v2.mts');
  await writeFile(v1, MIRROR('1', "[env.param('a')]"));
  await writeFile(v2, MIRROR('2', "[env.param('a'), env.param('b')]"));
  const rec = (id: string) => ({ id, ts: 1_700_000_000_000 });
  const params = (out: string) => ['--param', `a=${a}`, '--param', `b=${b}`, '--param', `output=${out}`, '--dlq-topic', dlq];

  const out1 = await topicOf(k, 'np-out1');
  await startRun(t, ws, name, [v1, ...params(out1)]);
  await k.kafka.produce(a, json([rec('a1')]));
  await k.kafka.produce(b, json([rec('b-before-1'), rec('b-before-2')]));
  await waitFor(async () => (await readTopic(k.kafka, out1)).length === 1);
  const sp = join(ws.root, 'sp');
  assert.equal((await cli(ws, ['stop', name, '--savepoint-dir', sp])).code, 0);
  await k.kafka.produce(a, json([rec('a2')]));

  for (const [position, expected] of [
    ['latest', ['a2', 'b-after']],
    ['earliest', ['a2', 'b-after', 'b-before-1', 'b-before-2']],
  ] as const) {
    const out = await topicOf(k, `np-out-${position}`);
    const run = await startRun(t, ws, name, [v2, ...params(out), '--from-savepoint', sp, '--new-partitions', position]);
    await waitFor(async () => ((await callJob(ws.jobsDir, name, 'status')) as RunnerStatus).operators[0]!.partitions!.length === 3);
    if (position === 'latest') await k.kafka.produce(b, json([rec('b-after')]));
    await waitFor(async () => (await readTopic(k.kafka, out)).length === expected.length, { message: `${expected.length} records from ${position}` });
    assert.deepEqual(values<{ id: string }>(await readTopic(k.kafka, out)).map((r) => r.id).sort(), [...expected].sort());
    assert.equal((await cli(ws, ['stop', name])).code, 0);
    await run.exited;
  }
});
