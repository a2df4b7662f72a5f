// Stateful upgrades of RUNNING jobs through the real CLI on the real broker and real
// files: `pitlane run` → `pitlane savepoint trigger` (the job keeps running) →
// `pitlane stop` → `pitlane run v2 --from-savepoint`, and `pitlane stop --drain`.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { kafkaForTest, uniqueName, waitFor } from './support/kafka.ts';
import { json, values, waitForRecords, readTopic } from './engine-harness.ts';
import { cli, repo, startRun, workspace, type Workspace, topicOf } from './savepoint-runtime-support.ts';
import { countV2Schema } from '../examples/event-count/v2.ts';
import { callJob } from '../src/engines/embedded/control/client.ts';
import type { RunnerStatus } from '../src/engine/index.ts';
import { transformSavepoint } from '../src/engine/savepoint/index.ts';
import type { Flag, Transaction } from '../examples/fraud/model.ts';
import type { Alarm, RoomEvent } from '../examples/alarm/model.ts';
import type { Reading, WindowSum } from '../examples/window-sum/v1.ts';

const T = 1_700_000_000_000;

const status = async (ws: Workspace, name: string) => (await callJob(ws.jobsDir, name, 'status')) as RunnerStatus;
const sourceIn = async (ws: Workspace, name: string) => (await status(ws, name)).operators.find((o) => o.kind === 'source')!.recordsIn;

async function trigger(ws: Workspace, name: string, dir: string): Promise<string> {
  const r = await cli(ws, ['savepoint', 'trigger', name, '--dir', dir, '--json']);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { path: string }).path;
}

async function stop(ws: Workspace, name: string, extra: string[] = []): Promise<void> {
  const r = await cli(ws, ['stop', name, ...extra]);
  assert.equal(r.code, 0, r.stderr);
}

async function readState(ws: Workspace, dir: string, uid: string, state: string): Promise<{ key: unknown; value: unknown }[]> {
  const r = await cli(ws, ['savepoint', 'read', dir, '--uid', uid, '--state', state]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout
    .trim()
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as { key: unknown; value: unknown });
}

test('fraud v1 → savepoint of the running job → v2: same per-user state, the new profile field takes its default', async (t) => {
  const k = kafkaForTest(t);
  const ws = await workspace(t);
  const [inTopic, out1, out2, dlq] = [await topicOf(k, 'rt-fraud-in', 2), await topicOf(k, 'rt-fraud-out1'), await topicOf(k, 'rt-fraud-out2'), await topicOf(k, 'rt-fraud-dlq')];
  const tx = (i: number, userId: string, amount: number): Transaction => ({ txId: `tx-${i}`, userId, amount, ts: T + i * 1000 });
  const name = uniqueName('fraud');
  const common = ['--param', `input=${inTopic}`, '--dlq-topic', dlq];
  const v1 = await startRun(t, ws, name, ['examples/fraud/v1.ts', ...common, '--param', `output=${out1}`, '--parallelism', '2']);
  await k.kafka.produce(inTopic, json([tx(0, 'ann', 50), tx(1, 'bob', 150), tx(2, 'ann', 600)], (x: Transaction) => x.userId));
  await waitFor(async () => (await sourceIn(ws, name)) === 3);

  const sp = await trigger(ws, name, join(ws.root, 'sp-v1'));
  assert.equal((await status(ws, name)).state, 'running', 'the job keeps running after the trigger');
  await k.kafka.produce(inTopic, json([tx(3, 'dan', 700)], (x: Transaction) => x.userId));
  await waitFor(async () => (await sourceIn(ws, name)) === 4);
  await stop(ws, name);
  assert.equal(await v1.exited, 0);
  assert.deepEqual(values<Flag>(await readTopic(k.kafka, out1)).map((f) => f.txId).sort(), ['tx-1', 'tx-2', 'tx-3']);

  // v2 from the savepoint (taken before dan's transaction): dan's record is read again by v2.
  const v2 = await startRun(t, ws, name, ['examples/fraud/v2.ts', ...common, '--param', `output=${out2}`, '--from-savepoint', sp, '--parallelism', '3']);
  assert.match(v2.output().stderr, /restoring/);
  const restored = await trigger(ws, name, join(ws.root, 'sp-v2-restored'));
  const profiles = new Map((await readState(ws, restored, 'profile', 'profile')).map((e) => [e.key, e.value as { count: number; total: number; maxAmount: number }]));
  assert.deepEqual(profiles.get('ann'), { count: 2, total: 650, maxAmount: 0 });
  assert.deepEqual(profiles.get('bob'), { count: 1, total: 150, maxAmount: 0 });

  await k.kafka.produce(inTopic, json([tx(4, 'bob', 501), tx(5, 'ann', 20)], (x: Transaction) => x.userId));
  const flags = values<Flag>(await waitForRecords(k.kafka, out2, 2));
  // v2's threshold is 500; priorCount continues from v1's state (bob: 1); dan is new to v2 only through replay.
  assert.deepEqual(flags.map((f) => `${f.txId}:${f.threshold}:${f.priorCount}`).sort(), ['tx-3:500:0', 'tx-4:500:1']);
  await waitFor(async () => (await sourceIn(ws, name)) === 3);
  await stop(ws, name);
});

test('alarm v1 → savepoint → v2: rooms armed under v1 still alarm under v2', async (t) => {
  const k = kafkaForTest(t);
  const ws = await workspace(t);
  const [inTopic, out1, out2, dlq] = [await topicOf(k, 'rt-alarm-in'), await topicOf(k, 'rt-alarm-out1'), await topicOf(k, 'rt-alarm-out2'), await topicOf(k, 'rt-alarm-dlq')];
  const name = uniqueName('alarm');
  const ev = (room: string, type: RoomEvent['type'], ms: number): RoomEvent => ({ room, type, ts: T + ms });
  await startRun(t, ws, name, ['examples/alarm/v1.ts', '--param', `input=${inTopic}`, '--param', `output=${out1}`, '--dlq-topic', dlq, '--parallelism', '4']);
  await k.kafka.produce(inTopic, json([ev('kitchen', 'motion', 0), ev('kitchen', 'activate', 1000), ev('hall', 'activate', 2000)], (e: RoomEvent) => e.room));
  await waitFor(async () => (await sourceIn(ws, name)) === 3);
  const sp = await trigger(ws, name, join(ws.root, 'sp'));
  await stop(ws, name);
  assert.equal((await readTopic(k.kafka, out1)).length, 0);

  await startRun(t, ws, name, ['examples/alarm/v2.ts', '--param', `input=${inTopic}`, '--param', `output=${out2}`, '--param', 'graceMs=10000', '--dlq-topic', dlq, '--from-savepoint', sp, '--parallelism', '2']);
  await k.kafka.produce(inTopic, json([ev('kitchen', 'motion', 5000), ev('hall', 'motion', 20_000), ev('kitchen', 'motion', 30_000)], (e: RoomEvent) => e.room));
  const alarms = values<Alarm>(await waitForRecords(k.kafka, out2, 2));
  assert.deepEqual(alarms.map((a) => `${a.room}:${a.reason}`).sort(), ['hall:motion 18000 ms after arming', 'kitchen:motion 29000 ms after arming']);
  await stop(ws, name);
});

test('window-sum: stop --drain fires the pending windows and writes them before the savepoint', async (t) => {
  const k = kafkaForTest(t);
  const ws = await workspace(t);
  const [inTopic, outTopic, lateTopic, dlq] = [await topicOf(k, 'rt-ws-in'), await topicOf(k, 'rt-ws-out'), await topicOf(k, 'rt-ws-late'), await topicOf(k, 'rt-ws-dlq')];
  const name = uniqueName('ws');
  const M = 60_000;
  const T0 = T - (T % M);
  const r = (key: string, value: number, ms: number): Reading => ({ key, value, ts: T0 + ms });
  const run = await startRun(t, ws, name, ['examples/window-sum/v1.ts', '--param', `input=${inTopic}`, '--param', `output=${outTopic}`, '--param', `late=${lateTopic}`, '--dlq-topic', dlq, '--parallelism', '2']);
  await k.kafka.produce(inTopic, json([r('a', 1, 0), r('b', 10, 1000), r('a', 2, 59_999), r('a', 4, M + 5000)]));
  // The first minute closed when a's record of the second minute arrived; the second minute is pending.
  const first = values<WindowSum>(await waitForRecords(k.kafka, outTopic, 2));
  assert.deepEqual(first.map((s) => `${s.key}:${(s.windowStart - T0) / M}:${s.sum}`).sort(), ['a:0:3', 'b:0:10']);
  await waitFor(async () => (await sourceIn(ws, name)) === 4);
  const sp = join(ws.root, 'sp-drained');
  await stop(ws, name, ['--savepoint-dir', sp, '--drain']);
  assert.equal(await run.exited, 0);
  const all = values<WindowSum>(await readTopic(k.kafka, outTopic));
  assert.deepEqual(all.slice(2).map((s) => `${s.key}:${(s.windowStart - T0) / M}:${s.sum}:${s.count}`), ['a:1:4:1']);
  assert.ok(existsSync(join(sp, '_metadata')), 'the savepoint was written after the drain');
  const inspect = await cli(ws, ['savepoint', 'inspect', sp, '--json']);
  assert.equal(inspect.code, 0, inspect.stderr);
  const summary = JSON.parse(inspect.stdout) as { operators: { uid: string; keys: number }[] };
  assert.equal(summary.operators.find((o) => o.uid === 'sum-per-minute')!.keys, 0, 'drained: no window left in state');
});

/**
 * examples/event-count v1 run through the CLI on three events (click, view, click), a
 * savepoint of it, stopped: what the event-count upgrade tests start from.
 */
async function eventCountV1Savepoint(t: TestContext, tag: string) {
  const k = kafkaForTest(t);
  const ws = await workspace(t);
  const [inTopic, out1, out2, dlq] = [await topicOf(k, `rt-${tag}-in`), await topicOf(k, `rt-${tag}-out1`), await topicOf(k, `rt-${tag}-out2`), await topicOf(k, `rt-${tag}-dlq`)];
  const name = uniqueName(tag);
  const e = (type: string, ms: number) => ({ type, ts: T + ms });
  await startRun(t, ws, name, ['examples/event-count/v1.ts', '--param', `input=${inTopic}`, '--param', `output=${out1}`, '--dlq-topic', dlq]);
  await k.kafka.produce(inTopic, json([e('click', 0), e('view', 10), e('click', 20)]));
  await waitFor(async () => (await sourceIn(ws, name)) === 3);
  const sp = await trigger(ws, name, join(ws.root, 'sp-v1'));
  await stop(ws, name);
  return { k, ws, inTopic, out2, dlq, name, e, sp };
}

test('event-count v1 → savepoint → the preflight (CLI) sees the reduce state change: migrated by v2\'s default, refused without it; v2 restores from it', async (t) => {
  const { k, ws, inTopic, out2, dlq, name, e, sp } = await eventCountV1Savepoint(t, 'ecd');

  // The savepoint keeps v1's declared schema of the reduce state.
  const inspect = await cli(ws, ['savepoint', 'check', sp, '--job', 'examples/event-count/v2.ts', '--param', `input=${inTopic}`, '--json']);
  assert.equal(inspect.code, 0, inspect.stdout + inspect.stderr);
  const plan = JSON.parse(inspect.stdout) as { migrations: { uid: string; state: string; from: { type: string; schema?: { fields: { name: string }[] } }; to: { type: string } }[]; unchecked: unknown[] };
  assert.deepEqual(plan.migrations.map((m) => [m.uid, m.state, m.from.type, m.from.schema?.fields.map((f) => f.name)]), [['counts', 'reduce', 'json', ['type', 'count']]]);
  assert.deepEqual(plan.unchecked, []);
  const human = await cli(ws, ['savepoint', 'check', sp, '--job', 'examples/event-count/v2.ts', '--param', `input=${inTopic}`]);
  assert.equal(human.code, 0, human.stdout + human.stderr);
  assert.match(human.stdout, /^compatible: event-count 1 → event-count 2/);
  assert.match(human.stdout, /schema evolves: counts\/reduce \(JSON values read by the new schema: new fields get their defaults/);

  // The same v2 with no default for maxTs: refused, exit 1, with the fix.
  // In a folder of its own that says its modules are ES modules, as a user's job project would.
  await mkdir(join(ws.root, 'jobs-variant'));
  await writeFile(join(ws.root, 'jobs-variant', 'package.json'), '{"type":"module"}');
  const noDefault = join(ws.root, 'jobs-variant', 'v2-no-default.ts');
  const v2 = await readFile(join(repo, 'examples/event-count/v2.ts'), 'utf8');
  const variant = v2.replace("{ name: 'maxTs', type: 'long', default: 0 }", "{ name: 'maxTs', type: 'long' }").replace(/'\.\/v1\.ts'/, `'${pathToFileURL(join(repo, 'examples/event-count/v1.ts')).href}'`).replace(/'\.\.\/\.\.\/src\/engine\/index\.ts'/, `'${pathToFileURL(join(repo, 'src/engine/index.ts')).href}'`);
  assert.ok(variant.includes("{ name: 'maxTs', type: 'long' }") && !variant.includes('./v1.ts'), 'the variant differs from v2 only in the default (and imports)');
  await writeFile(noDefault, variant);
  const refused = await cli(ws, ['savepoint', 'check', sp, '--job', noDefault, '--param', `input=${inTopic}`]);
  assert.equal(refused.code, 1, refused.stdout + refused.stderr);
  assert.match(refused.stdout, /✗ \[NEW_FIELD_WITHOUT_DEFAULT\] State "reduce" of operator "counts" \(reduce\(counts\)\): new field "maxTs" has no default/);
  assert.match(refused.stdout, /fix: .*state processor \(transformSavepoint\).*--allow-non-restored-state/);

  // v2 restores v1's counts with maxTs 0 (the default); the next event of a type sets it.
  await startRun(t, ws, name, ['examples/event-count/v2.ts', '--param', `input=${inTopic}`, '--param', `output=${out2}`, '--dlq-topic', dlq, '--from-savepoint', sp]);
  await k.kafka.produce(inTopic, json([e('click', 30), e('buy', 40)]));
  const out = values<{ type: string; count: number; maxTs: number }>(await waitForRecords(k.kafka, out2, 2));
  assert.deepEqual(out.map((c) => `${c.type}:${c.count}:${c.maxTs - T}`), ['click:3:30', 'buy:1:40']);
  await stop(ws, name);
});

test('event-count v1 → savepoint → state processor transform → v2 continues from the migrated state', async (t) => {
  const { k, ws, inTopic, out2, dlq, name, e, sp } = await eventCountV1Savepoint(t, 'ec');

  // Instead of v2's default, the migration sets a marker value, written under v2's schema.
  const MIGRATED = T + 1_000_000;
  const migrated = join(ws.root, 'sp-v2');
  const descriptor = { name: 'reduce', kind: 'reducing', codec: { type: 'json', schema: countV2Schema } } as const;
  await transformSavepoint(sp, migrated, { uid: 'counts', state: 'reduce', jobVersion: '2', descriptor, transform: ({ value }) => ({ ...(value as object), maxTs: MIGRATED }) });
  const check = await cli(ws, ['savepoint', 'check', migrated, '--job', 'examples/event-count/v2.ts', '--param', `input=${inTopic}`]);
  assert.equal(check.code, 0, check.stdout + check.stderr);
  assert.doesNotMatch(check.stdout, /schema evolves|unchecked/, 'written under v2\'s schema: nothing left to migrate');

  await startRun(t, ws, name, ['examples/event-count/v2.ts', '--param', `input=${inTopic}`, '--param', `output=${out2}`, '--dlq-topic', dlq, '--from-savepoint', migrated]);
  await k.kafka.produce(inTopic, json([e('click', 30), e('buy', 40)]));
  const out = values<{ type: string; count: number; maxTs: number }>(await waitForRecords(k.kafka, out2, 2));
  assert.deepEqual(out.map((c) => `${c.type}:${c.count}:${c.maxTs - T}`), ['click:3:1000000', 'buy:1:40']);
  await stop(ws, name);
});

test('rescaling through run/stop/run: 4 → 8 → 3 subtasks keep every key\'s state', async (t) => {
  const k = kafkaForTest(t);
  const ws = await workspace(t);
  const [inTopic, outTopic, dlq] = [await topicOf(k, 'rt-rs-in', 3), await topicOf(k, 'rt-rs-out', 3), await topicOf(k, 'rt-rs-dlq')];
  const name = uniqueName('rescale');
  const types = Array.from({ length: 200 }, (_, i) => `type-${i}`);
  const round = (r: number) => json(types.flatMap((type, i) => Array.from({ length: 1 + (i % 3) }, (_, j) => ({ type, ts: T + r * 10_000 + j }))));
  const perRound = types.reduce((n, _, i) => n + 1 + (i % 3), 0);
  const args = (p: number, from?: string) => ['examples/event-count/v1.ts', '--param', `input=${inTopic}`, '--param', `output=${outTopic}`, '--dlq-topic', dlq, '--parallelism', String(p), ...(from ? ['--from-savepoint', from] : [])];

  let from: string | undefined;
  for (const [r, p] of [4, 8, 3].entries()) {
    await startRun(t, ws, name, args(p, from));
    await k.kafka.produce(inTopic, round(r));
    await waitFor(async () => (await sourceIn(ws, name)) === perRound);
    const s = await status(ws, name);
    const counts = s.operators.find((o) => o.uid === 'counts')!;
    assert.equal(counts.subtasks!.length, p);
    assert.equal(counts.keysInState, types.length);
    from = join(ws.root, `sp-${r}`);
    await stop(ws, name, ['--savepoint-dir', from]);
  }
  // The last count per type: three rounds of (1 + i % 3) events each.
  const last = new Map<string, number>();
  for (const c of values<{ type: string; count: number }>(await readTopic(k.kafka, outTopic))) last.set(c.type, c.count);
  assert.equal(last.size, types.length);
  for (const [i, type] of types.entries()) assert.equal(last.get(type), 3 * (1 + (i % 3)), type);
  const inspect = JSON.parse((await cli(ws, ['savepoint', 'inspect', from!, '--json'])).stdout) as { operators: { uid: string; parallelism: number; keys: number }[] };
  assert.deepEqual(inspect.operators.filter((o) => o.uid === 'counts').map((o) => [o.parallelism, o.keys]), [[3, 200]]);
});
