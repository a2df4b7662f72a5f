/**
 * base + delta == the full snapshot at the stop point, for every keyed operator kind:
 * a job's operators are driven through a base phase, a tracked savepoint is taken, a
 * second phase creates, changes and removes keys and fires timers; then a fresh job
 * restored from the base and given the delta must hold exactly what a fresh job
 * restored from the full snapshot holds — also at another parallelism and with a
 * state schema change (the same path a full restore takes).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { avroCodec, buildJob, defineJob, session, tumbling, valueState, listState, mapState, type JobDefinition, type JobEnv } from '../index.ts';
import { createOperators } from './operators.ts';
import { restoreOperators, takeJobSnapshot } from './snapshot.ts';
import { applyJobDelta, composeSnapshot, deltaKeyCount, takeJobDelta, trackChanges } from './delta.ts';
import { decodeDelta, encodeDelta } from './delta-file.ts';
import { KeyedOperator } from '../operators/keyed.ts';
import { UNKNOWN_SOURCE } from '../../lineage.ts';
import type { JobSnapshot } from '../snapshot/model.ts';

interface Ev {
  k: string;
  ts: number;
  n: number;
}
type Step = { ev: [string, number, number] } | { wm: number } | { pt: number };

const v1Schema = { type: 'record', name: 'Acc', fields: [{ name: 'sum', type: 'long' }] };
const v2Schema = { type: 'record', name: 'Acc', fields: [{ name: 'sum', type: 'long' }, { name: 'max', type: 'long', default: -1 }] };

function processJob(schema: object): JobDefinition {
  const acc = valueState<{ sum: number }>('acc', { codec: avroCodec(schema) });
  const recent = listState<number>('recent');
  const byTs = mapState<number, number>('byTs');
  return defineJob({
    name: 'delta',
    version: '1',
    maxParallelism: 16,
    build: (env: JobEnv) =>
      env
        .fromItems<Ev>({ uid: 'in', items: [], timestamp: (e) => e.ts })
        .keyBy((e) => e.k)
        .process<Ev>('proc', {
          states: [acc, recent, byTs],
          processElement(e, ctx) {
            if (e.n === 0) {
              // Removes the key: every state cleared, its timers deleted.
              ctx.state.value(acc).clear();
              ctx.state.list(recent).clear();
              ctx.state.map(byTs).clear();
              ctx.timers.deleteEventTime(e.ts + 10);
              return;
            }
            ctx.state.value(acc).update({ sum: (ctx.state.value(acc).value()?.sum ?? 0) + e.n });
            ctx.state.list(recent).update([...ctx.state.list(recent).get(), e.n].slice(-3));
            ctx.state.map(byTs).put(e.ts % 3, e.n);
            ctx.timers.eventTime(e.ts + 10);
            if (e.n % 2 === 1) ctx.timers.processingTime(ctx.timers.now() + 5);
          },
          onTimer(ts, ctx) {
            if (ctx.domain === 'event') ctx.state.list(recent).clear();
            else ctx.state.map(byTs).delete(0);
            ctx.emit({ k: String(ctx.key), ts, n: 0 });
          },
        })
        .toCallback({ uid: 'out', fn: () => undefined }),
  });
}

const reduceJob = defineJob({
  name: 'delta',
  version: '1',
  maxParallelism: 16,
  build: (env: JobEnv) => env.fromItems<Ev>({ uid: 'in', items: [], timestamp: (e) => e.ts }).keyBy((e) => e.k).reduce('sum', (a, b) => ({ ...a, n: a.n + b.n })).toCallback({ uid: 'out', fn: () => undefined }),
});

const windowJob = (assigner: ReturnType<typeof tumbling> | ReturnType<typeof session>) =>
  defineJob({
    name: 'delta',
    version: '1',
    maxParallelism: 16,
    build: (env: JobEnv) =>
      env
        .fromItems<Ev>({ uid: 'in', items: [], timestamp: (e) => e.ts })
        .keyBy((e) => e.k)
        .window(assigner)
        .allowedLateness(5)
        .aggregate('win', { createAccumulator: () => 0, add: (e, a) => a + e.n, getResult: (a) => a, merge: (a, b) => a + b })
        .toCallback({ uid: 'out', fn: () => undefined }),
  });

function instance(job: JobDefinition, parallelism: number) {
  const clock = { t: 1000, now: () => clock.t };
  const rt = { maxParallelism: job.maxParallelism, parallelism, clock, deadLetter: (_op: string, e: unknown) => assert.fail(`dead letter: ${String(e)}`) };
  const ops = createOperators(buildJob(job, {}).graph, rt, { send: async () => undefined, avroSerde: () => assert.fail('no Kafka sink here') });
  const keyed = ops.find((o): o is KeyedOperator => o instanceof KeyedOperator)!;
  const run = (steps: readonly Step[]) => {
    for (const s of steps) {
      if ('ev' in s) keyed.processElement({ k: s.ev[0], ts: s.ev[1], n: s.ev[2] }, s.ev[1], UNKNOWN_SOURCE);
      else if ('wm' in s) keyed.processWatermark(s.wm);
      else {
        clock.t = s.pt;
        keyed.onProcessingTime(s.pt);
      }
    }
  };
  return { ops, keyed, run, snapshot: () => takeJobSnapshot(job, ops, parallelism, clock.now(), 'savepoint') };
}

/** A snapshot's keyed state as sorted lines, so two with the same content compare equal. */
function contents(s: JobSnapshot): string[] {
  const hex = (b?: Buffer) => (b ? b.toString('hex') : '-');
  return s.operators.flatMap((o) =>
    o.keyGroups.flatMap((g) => [
      ...g.entries.map((e) => `${o.uid} kg${g.keyGroup} ${e.key.toString()} ${e.state} ${hex(e.mapKey)}=${hex(e.value)}`),
      ...g.timers.map((t) => `${o.uid} kg${g.keyGroup} ${t.key.toString()} timer ${t.domain}@${t.timestamp}/${t.namespace?.toString() ?? ''}`),
    ]),
  ).sort();
}

const ev = (k: string, ts: number, n: number): Step => ({ ev: [k, ts, n] });
const keys = Array.from({ length: 12 }, (_, i) => `k${i}`);
const basePhase: Step[] = [...keys.map((k, i) => ev(k, 100 + i, i + 1)), { wm: 95 }, { pt: 1003 }];
// After the base: changed keys, new keys, removed keys, event and processing timers fired.
const afterPhase: Step[] = [ev('k1', 120, 3), ev('k2', 121, 0), ev('new1', 122, 5), ev('new2', 123, 2), ev('k5', 110, 7), { wm: 112 }, { pt: 1010 }, ev('new2', 130, 0), ev('k7', 131, 9), { wm: 118 }];

const cases: { name: string; job: JobDefinition; target?: JobDefinition; parallelism?: number; touched?: number }[] = [
  { name: 'process: value, list and map state, event and processing timers', job: processJob(v1Schema) },
  { name: 'process, restored at another parallelism', job: processJob(v1Schema), parallelism: 3 },
  { name: 'process, restored into a new state schema (a field with a default)', job: processJob(v1Schema), target: processJob(v2Schema), parallelism: 2 },
  // k1, k2, new1, new2, k5, k7: a reduce has no timers, so only records touch keys.
  { name: 'reduce', job: reduceJob, touched: 6 },
  { name: 'tumbling window with allowed lateness (namespaced timers)', job: windowJob(tumbling(10)) },
  { name: 'session window (merges, purges)', job: windowJob(session(4)) },
];

test('base + delta restores exactly what the full snapshot at the stop point restores', async (t) => {
  for (const c of cases) {
    await t.test(c.name, () => {
      const old = instance(c.job, 2);
      old.run(basePhase);
      const base = old.snapshot();
      trackChanges(old.ops, 'base-1');
      old.run(afterPhase);
      const delta = takeJobDelta(c.job, old.ops, 2, 'base-1', 2000);
      assert.ok(delta, 'tracking the base gives a delta');
      assert.equal(takeJobDelta(c.job, old.ops, 2, 'another-base', 2000), undefined, 'a delta against another base is refused');
      const full = old.snapshot();
      if (c.touched !== undefined) assert.equal(deltaKeyCount(delta), c.touched, 'only the touched keys travel');
      assert.notDeepEqual(contents(base), contents(full), 'the phase after the base changed something');

      const target = c.target ?? c.job;
      const p = c.parallelism ?? 2;
      const fromFull = instance(target, p);
      restoreOperators(fromFull.ops, full.operators, target.maxParallelism);
      const fromDelta = instance(target, p);
      restoreOperators(fromDelta.ops, base.operators, target.maxParallelism);
      // Through the file encoding, as the hand-over does it.
      applyJobDelta(fromDelta.ops, decodeDelta(encodeDelta(delta)), target.maxParallelism);
      assert.deepEqual(contents(fromDelta.snapshot()), contents(fromFull.snapshot()));
      assert.equal(fromDelta.keyed.store.size, fromFull.keyed.store.size, 'removed keys are gone');
      // Composed offline (a stopped job that died before writing its full savepoint).
      assert.deepEqual(contents(composeSnapshot(base, delta)), contents(full));
    });
  }
});

test('the delta carries the stop point: offsets and watermarks, and a corrupt file is refused', () => {
  const old = instance(reduceJob, 1);
  old.run(basePhase);
  trackChanges(old.ops, 'b');
  old.run(afterPhase);
  const delta = takeJobDelta(reduceJob, old.ops, 1, 'b', 5)!;
  const file = encodeDelta(delta);
  const back = decodeDelta(file);
  assert.equal(back.base, 'b');
  assert.deepEqual(back.sourceOffsets, delta.sourceOffsets);
  assert.equal(deltaKeyCount(back), deltaKeyCount(delta));
  const bad = Buffer.from(file);
  bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 0xff;
  assert.throws(() => decodeDelta(bad), (e: Error & { code?: string }) => e.code === 'DELTA_CORRUPT');
});
