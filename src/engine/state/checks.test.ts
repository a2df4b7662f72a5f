// Issue 12: a state write that does not fit its codec fails the record that made it
// (a dead letter naming state, field and type), is not applied, and every later
// snapshot still works.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../logger.ts';
import { isPitlaneError } from '../../errors.ts';
import { avroCodec, defineJob, jsonCodec, listState, mapState, reducingState, session, startJob, tumbling, valueState, type JobEnv, type JobSnapshot } from '../index.ts';

interface Tx {
  u: string;
  ts: number;
  amount: number;
}
interface Profile {
  count: number;
  total: number;
}
const profileCodec = avroCodec<Profile>({ type: 'record', name: 'Profile', fields: [{ name: 'count', type: 'int' }, { name: 'total', type: 'double' }] });
const deps = { logger: silentLogger() };
const POISON = { u: 'u1', ts: 2, amount: 'abc' as unknown as number };
const txs: Tx[] = [{ u: 'u1', ts: 1, amount: 10 }, POISON, { u: 'u1', ts: 3, amount: 20 }, { u: 'u2', ts: 4, amount: 5 }];

async function run<T>(items: readonly T[], build: (env: JobEnv, items: readonly T[]) => void) {
  const job = defineJob({ name: 'poison', version: '1', maxParallelism: 8, build: (env) => build(env, items) });
  const running = await startJob(job, deps);
  await running.finished;
  const snap = await running.snapshot('savepoint');
  return { running, snap, letters: running.deadLetters.recent };
}

/** avsc decodes records into class instances: compare them as data. */
const plain = (v: unknown): unknown => (v !== null && typeof v === 'object' ? { ...v } : v);

/** Every value of `state` in the snapshot, decoded, by key. */
function stateOf(snap: JobSnapshot, state: string, decode: (b: Buffer) => unknown): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const op of snap.operators) for (const b of op.keyGroups) for (const e of b.entries) if (e.state === state) (out[e.key.toString()] ??= []).push(plain(decode(e.value)));
  return out;
}

test('a value update of the wrong type fails its record with the field path; the state keeps its last good value, the job goes on and snapshots', async () => {
  const profile = valueState<Profile>('profile', { codec: profileCodec });
  const { running, snap, letters } = await run(txs, (env, items) =>
    env
      .fromItems({ uid: 'in', items, timestamp: (t) => t.ts })
      .keyBy((t) => t.u)
      .process('profile', {
        states: [profile],
        processElement(t, ctx) {
          const p = ctx.state.value(profile);
          const before = p.value() ?? { count: 0, total: 0 };
          p.update({ count: before.count + 1, total: before.total + t.amount });
        },
      }),
  );
  assert.equal(running.status().deadLetters, 1);
  const [letter] = letters;
  assert.equal(letter!.code, 'STATE_VALUE_INVALID');
  assert.equal(letter!.source.offset, 1);
  assert.equal(letter!.operator, 'process(profile)');
  assert.match(letter!.error, /state "profile" \(value\) of key "u1": field "total" must be double, not "10abc"\. The update was not applied\./);
  assert.deepEqual(stateOf(snap, 'profile', (b) => profileCodec.decode(b)), { '"u1"': [{ count: 2, total: 30 }], '"u2"': [{ count: 1, total: 5 }] });
});

test('a refused write fails its record even when the job code catches the error', async () => {
  const profile = valueState<Profile>('profile', { codec: profileCodec });
  const seen: string[] = [];
  const { letters, snap } = await run(txs, (env, items) =>
    env
      .fromItems({ uid: 'in', items, timestamp: (t) => t.ts })
      .keyBy((t) => t.u)
      .process('profile', {
        states: [profile],
        processElement(t, ctx) {
          try {
            ctx.state.value(profile).update({ count: 1, total: t.amount });
          } catch (e) {
            seen.push(isPitlaneError(e) ? e.code : 'other');
          }
        },
      }),
  );
  assert.deepEqual(seen, ['STATE_VALUE_INVALID']);
  assert.deepEqual(letters.map((l) => [l.code, l.source.offset]), [['STATE_VALUE_INVALID', 1]]);
  assert.deepEqual(stateOf(snap, 'profile', (b) => profileCodec.decode(b))['"u1"'], [{ count: 1, total: 20 }]);
});

test('a stored value changed in place into a bad shape is dropped when its write is refused, so snapshots still work', async () => {
  const profile = valueState<Profile>('profile', { codec: profileCodec });
  const { letters, snap } = await run(txs, (env, items) =>
    env
      .fromItems({ uid: 'in', items, timestamp: (t) => t.ts })
      .keyBy((t) => t.u)
      .process('profile', {
        states: [profile],
        processElement(t, ctx) {
          const s = ctx.state.value(profile);
          const p = s.value() ?? { count: 0, total: 0 };
          p.count++;
          p.total += t.amount;
          s.update(p);
        },
      }),
  );
  assert.match(letters[0]!.error, /the stored value, changed in place to the same bad shape, was dropped/);
  // u1 starts again after the dropped value: only the record after the poison counts.
  assert.deepEqual(stateOf(snap, 'profile', (b) => profileCodec.decode(b))['"u1"'], [{ count: 1, total: 20 }]);
});

test('list, map (keys and values) and reducing state refuse bad writes and keep what they held', async () => {
  const amounts = listState<number>('amounts', { codec: avroCodec({ type: 'double' }) });
  const byTx = mapState<string, number>('byTx', { codec: avroCodec({ type: 'double' }), mapKeyCodec: avroCodec({ type: 'string' }) });
  const sum = reducingState<number>('sum', (a, b) => a + b, { codec: avroCodec({ type: 'double' }) });
  const history = listState<Profile>('history', { codec: profileCodec });
  const steps = ['list.add', 'list.update', 'map key', 'map value', 'reducing'];
  const items = [{ u: 'k', ts: 0, amount: 1 }, ...steps.map((_, i) => ({ u: 'k', ts: i + 1, amount: -1 }))];
  const { letters, snap } = await run(items, (env, xs) =>
    env
      .fromItems({ uid: 'in', items: xs, timestamp: (t) => t.ts })
      .keyBy((t) => t.u)
      .process('many', {
        states: [amounts, byTx, sum, history],
        processElement(t, ctx) {
          const bad = 'x' as unknown as number;
          if (t.amount > 0) {
            ctx.state.list(amounts).add(1);
            ctx.state.map(byTx).put('t0', 1);
            ctx.state.reducing(sum).add(1);
            ctx.state.list(history).add({ count: 1, total: 1 });
            return;
          }
          const step = steps[t.ts - 1];
          if (step === 'list.add') ctx.state.list(amounts).add(bad);
          if (step === 'list.update') ctx.state.list(history).update([{ count: 1, total: 1 }, { count: 2, total: bad }]);
          if (step === 'map key') ctx.state.map(byTx).put(7 as unknown as string, 1);
          if (step === 'map value') ctx.state.map(byTx).put('t1', bad);
          if (step === 'reducing') ctx.state.reducing(sum).add(bad);
        },
      }),
  );
  assert.deepEqual(letters.map((l) => l.code), steps.map(() => 'STATE_VALUE_INVALID'));
  assert.match(letters[0]!.error, /state "amounts" \(list\) of key "k": the list element must be double, not "x"/);
  assert.match(letters[1]!.error, /state "history" \(list\) .*field "1\.total" of the list must be double/);
  assert.match(letters[2]!.error, /state "byTx" \(map\) .*the map key must be string, not 7/);
  assert.match(letters[3]!.error, /state "byTx" \(map\) .*the map value at "t1" must be double, not "x"/);
  assert.match(letters[4]!.error, /state "sum" \(reducing\) .*the value must be double, not "1x"/);
  const dbl = (b: Buffer) => avroCodec({ type: 'double' }).decode(b);
  assert.deepEqual(stateOf(snap, 'amounts', dbl), { '"k"': [1] });
  assert.deepEqual(stateOf(snap, 'byTx', dbl), { '"k"': [1] });
  assert.deepEqual(stateOf(snap, 'sum', dbl), { '"k"': [1] });
  assert.equal(stateOf(snap, 'history', (b) => profileCodec.decode(b))['"k"']!.length, 1);
});

test('JSON state refuses what JSON cannot hold (a bigint), with its path', async () => {
  const seen = valueState<{ n: unknown }>('seen', { codec: jsonCodec() });
  const { letters } = await run([1, 2, 3], (env, xs) =>
    env
      .fromItems({ uid: 'in', items: xs, timestamp: (n) => n })
      .keyBy(() => 'k')
      .process('json', {
        states: [seen],
        processElement(n, ctx) {
          ctx.state.value(seen).update({ n: n === 2 ? 2n : n });
        },
      }),
  );
  assert.deepEqual(letters.map((l) => [l.code, l.source.offset]), [['STATE_VALUE_INVALID', 1]]);
  assert.match(letters[0]!.error, /field "n" must be a number \(JSON has no bigint\), not 2n/);
});

test('a rolling reduce and a window aggregate refuse accumulators their codec cannot encode; the windows keep their sums', async () => {
  const dbl = avroCodec<number>({ type: 'double' });
  const out: unknown[] = [];
  const windows: string[] = [];
  const { letters, snap } = await run(txs, (env, items) => {
    const input = env.fromItems({ uid: 'in', items, timestamp: (t) => t.ts });
    const keyed = input.keyBy((t) => t.u);
    input.map((t) => t.amount).keyBy(() => 'all').reduce('total', (a, b) => a + b, { codec: dbl }).toCallback({ uid: 'o1', fn: (v) => out.push(v) });
    keyed.window(tumbling(100)).aggregate('sum', { createAccumulator: () => 0, add: (t, acc) => acc + t.amount, getResult: (a) => a }, { codec: dbl }).toCallback({ uid: 'o2', fn: (r) => windows.push(`${r.key} sum ${r.value}`) });
    keyed
      .window(session(100))
      .aggregate('sessions', { createAccumulator: () => ({ count: 0, total: 0 }), add: (t, acc: Profile) => ({ count: acc.count + 1, total: acc.total + t.amount }), getResult: (a) => a, merge: (a, b) => ({ count: a.count + b.count, total: a.total + b.total }) }, { codec: profileCodec })
      .toCallback({ uid: 'o3', fn: (r) => windows.push(`${r.key} session ${r.value.count}/${r.value.total}`) });
    // An aggregate that changes its accumulator in place: the spoilt window is dropped, later records start a new one.
    const addInPlace = (t: Tx, acc: Profile) => Object.assign(acc, { count: acc.count + 1, total: acc.total + t.amount });
    keyed
      .window(tumbling(100))
      .aggregate('inplace', { createAccumulator: () => ({ count: 0, total: 0 }), add: addInPlace, getResult: (a) => ({ ...a }) }, { codec: profileCodec })
      .toCallback({ uid: 'o4', fn: (r) => windows.push(`${r.key} inplace ${r.value.count}/${r.value.total}`) });
  });
  assert.deepEqual(letters.map((l) => [l.operator, l.code, l.source.offset]).sort(), [
    ['reduce(total)', 'STATE_VALUE_INVALID', 1],
    ['window.session(sessions)', 'STATE_VALUE_INVALID', 1],
    ['window.tumbling(inplace)', 'STATE_VALUE_INVALID', 1],
    ['window.tumbling(sum)', 'STATE_VALUE_INVALID', 1],
  ]);
  assert.match(letters.find((l) => l.operator === 'window.session(sessions)')!.error, /state "windows" \(window accumulator\) of key "u1": field "total" must be double/);
  assert.deepEqual(out, [10, 30, 35]);
  assert.deepEqual(stateOf(snap, 'reduce', (b) => dbl.decode(b)), { '"all"': [35] });
  // The bounded input ends with every window fired: the poison record is in none of them.
  assert.deepEqual(windows.sort(), ['u1 inplace 1/20', 'u1 session 2/30', 'u1 sum 30', 'u2 inplace 1/5', 'u2 session 1/5', 'u2 sum 5']);
});
