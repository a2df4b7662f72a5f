import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../logger.ts';
import { JobDefinitionError } from '../../errors.ts';
import { defineJob, describeJob, buildJob, outputTag, startJob, tumbling, session, valueState, listState, mapState, type JobEnv } from '../index.ts';

interface Ev {
  k: string;
  ts: number;
  n: number;
}

const deps = { logger: silentLogger() };

async function collect<T>(build: (env: JobEnv, out: T[]) => void, opts: { parallelism?: number; maxParallelism?: number } = {}) {
  const out: T[] = [];
  const job = defineJob({ name: 'unit', version: '1', maxParallelism: opts.maxParallelism ?? 16, build: (env) => build(env, out) });
  const running = await startJob(job, deps, { parallelism: opts.parallelism ?? 1 });
  await running.finished;
  return { out, running };
}

test('a keyed reduce gives the same counts at every parallelism; subtasks split the keys', async () => {
  const items = Array.from({ length: 1000 }, (_, i) => ({ k: `key-${i % 37}`, ts: i, n: 1 }));
  let reference: Map<string, number> | undefined;
  for (const parallelism of [1, 3, 16]) {
    const { out, running } = await collect<Ev>(
      (env, o) =>
        env
          .fromItems({ uid: 'in', items, timestamp: (e) => e.ts })
          .keyBy((e) => e.k)
          .reduce('count', (a, b) => ({ ...a, n: a.n + b.n, ts: b.ts }))
          .toCallback({ uid: 'out', fn: (v) => o.push(v) }),
      { parallelism },
    );
    const last = new Map(out.map((e) => [e.k, e.n]));
    assert.equal(out.length, 1000);
    assert.equal(last.get('key-0'), 28);
    if (reference) assert.deepEqual(last, reference);
    reference = last;
    const reduce = running.status().operators.find((o) => o.kind === 'reduce')!;
    assert.equal(reduce.keysInState, 37);
    assert.equal(reduce.subtasks!.length, parallelism);
    assert.equal(reduce.subtasks!.reduce((s, x) => s + x.keys, 0), 37);
  }
});

test('tumbling windows fire on the watermark; late records within lateness update, later ones go to the side output', async () => {
  const late = outputTag<Ev>('late');
  // ooo 0: watermark = max ts − 1. Window [0,10) fires once ts 10 arrives (wm 9).
  const items: Ev[] = [
    { k: 'a', ts: 1, n: 1 },
    { k: 'a', ts: 5, n: 2 },
    { k: 'a', ts: 12, n: 4 }, // wm 11: [0,10) fires with 3
    { k: 'a', ts: 7, n: 8 }, // late, within lateness 5 (9 + 5 > 11): re-fires with 11
    { k: 'a', ts: 30, n: 16 }, // wm 29: [10,20) fires with 4; [0,10) is purged (9+5 ≤ 29)
    { k: 'a', ts: 3, n: 32 }, // too late: side output
  ];
  const sides: Ev[] = [];
  const { out, running } = await collect<{ key: string; start: number; end: number; value: number }>((env, o) => {
    const w = env
      .fromItems({ uid: 'in', items, timestamp: (e) => e.ts, batchSize: 1 })
      .keyBy((e) => e.k)
      .window(tumbling(10))
      .allowedLateness(5)
      .sideOutputLateData(late)
      .aggregate('sum', { createAccumulator: () => 0, add: (e, acc) => acc + e.n, getResult: (acc) => acc });
    w.toCallback({ uid: 'out', fn: (v) => o.push(v) });
    w.sideOutput(late).toCallback({ uid: 'late', fn: (v) => sides.push(v) });
  });
  assert.deepEqual(
    out.map((r) => `${r.start}-${r.end}:${r.value}`),
    ['0-10:3', '0-10:11', '10-20:4', '30-40:16'],
  );
  assert.deepEqual(sides.map((e) => e.n), [32]);
  assert.equal(running.status().operators.find((o) => o.kind === 'window')!.late, 1);
});

test('session windows merge across a bridging record', async () => {
  const items: Ev[] = [
    { k: 'u', ts: 0, n: 1 },
    { k: 'u', ts: 20, n: 2 },
    { k: 'u', ts: 10, n: 4 }, // bridges [0,10) and [20,30) into [0,30)
    { k: 'u', ts: 100, n: 8 },
  ];
  const { out } = await collect<{ start: number; end: number; value: number }>((env, o) =>
    env
      .fromItems({ uid: 'in', items, timestamp: (e) => e.ts, watermark: { outOfOrderness: 50 } })
      .keyBy((e) => e.k)
      .window(session(10))
      .aggregate('s', { createAccumulator: () => 0, add: (e, a) => a + e.n, getResult: (a) => a, merge: (a, b) => a + b })
      .toCallback({ uid: 'out', fn: (v) => o.push(v) }),
  );
  assert.deepEqual(out.map((r) => `${r.start}-${r.end}:${r.value}`), ['0-30:7', '100-110:8']);
});

test('event-time timers fire in timestamp order across keys, with state and side outputs', async () => {
  const seen = valueState<number>('seen');
  const log = listState<number>('log');
  const tags = mapState<string, number>('tags');
  const side = outputTag<string>('side');
  const items: Ev[] = [
    { k: 'b', ts: 50, n: 1 },
    { k: 'a', ts: 10, n: 1 },
    { k: 'c', ts: 30, n: 1 },
    { k: 'a', ts: 20, n: 1 },
  ];
  const sides: string[] = [];
  const { out } = await collect<string>((env, o) => {
    const p = env
      .fromItems({ uid: 'in', items, timestamp: (e) => e.ts, watermark: { outOfOrderness: 1000 } })
      .keyBy((e) => e.k)
      .process<string>('timers', {
        states: [seen, log, tags],
        processElement(e, ctx) {
          ctx.state.value(seen).update((ctx.state.value(seen).value() ?? 0) + 1);
          ctx.state.list(log).add(e.ts);
          ctx.state.map(tags).put(`t${e.ts}`, e.ts);
          ctx.timers.eventTime(e.ts + 100);
          ctx.output(side, `saw ${ctx.key}`);
        },
        onTimer(ts, ctx) {
          ctx.emit(`${ctx.key}@${ts} seen=${ctx.state.value(seen).value()} log=${ctx.state.list(log).get().join(',')} tags=${ctx.state.map(tags).size} ${ctx.domain}`);
        },
      });
    p.toCallback({ uid: 'out', fn: (v) => o.push(v) });
    p.sideOutput(side).toCallback({ uid: 'side', fn: (v) => sides.push(v) });
  });
  assert.deepEqual(out, ['a@110 seen=2 log=10,20 tags=2 event', 'a@120 seen=2 log=10,20 tags=2 event', 'c@130 seen=1 log=30 tags=1 event', 'b@150 seen=1 log=50 tags=1 event']);
  assert.equal(sides.length, 4);
});

test('user code that throws is a dead letter; the other records still flow', async () => {
  const items = [1, 2, 3, 4, 5].map((n) => ({ k: 'x', ts: n, n }));
  const { out, running } = await collect<number>((env, o) =>
    env
      .fromItems({ uid: 'in', items, timestamp: (e) => e.ts })
      .map((e) => {
        if (e.n === 3) throw new Error('three is bad');
        return e.n;
      })
      .toCallback({ uid: 'out', fn: (v) => o.push(v) }),
  );
  assert.deepEqual(out, [1, 2, 4, 5]);
  assert.equal(running.status().deadLetters, 1);
  assert.equal(running.deadLetters.recent[0]!.error, 'three is bad');
  assert.equal(running.deadLetters.recent[0]!.operator, 'map#1');
  assert.equal(running.deadLetters.recent[0]!.source.offset, 2);
});

test('the fail policy stops the job with the error', async () => {
  const job = defineJob({
    name: 'strict',
    version: '1',
    maxParallelism: 4,
    deadLetters: { policy: 'fail' },
    build: (env) =>
      env
        .fromItems({ uid: 'in', items: [1, 2], timestamp: () => 0 })
        .map(() => {
          throw new Error('boom');
        })
        .toCallback({ uid: 'out', fn: () => undefined }),
  });
  const running = await startJob(job, deps);
  await assert.rejects(running.finished, /map#1 failed .*boom/);
  assert.equal(running.status().state, 'failed');
});

test('snapshot and restore: counts continue after a restore at another parallelism', async () => {
  const job = (items: Ev[], out: Ev[]) =>
    defineJob({
      name: 'counts',
      version: '1',
      maxParallelism: 8,
      build: (env) =>
        env
          .fromItems({ uid: 'in', items, timestamp: (e) => e.ts })
          .keyBy((e) => e.k)
          .reduce('count', (a, b) => ({ ...b, n: a.n + b.n }))
          .toCallback({ uid: 'out', fn: (v) => out.push(v) }),
    });
  const keys = ['a', 'b', 'c', 'd', 'e'];
  const first: Ev[] = [];
  const one = await startJob(job(keys.map((k, i) => ({ k, ts: i, n: 1 })), first), deps, { parallelism: 2 });
  await one.finished;
  const snap = await one.snapshot();
  assert.equal(snap.operators.find((o) => o.uid === 'count')!.keyGroups.reduce((s, b) => s + b.entries.length, 0), 5);
  const second: Ev[] = [];
  const two = await startJob(job(keys.map((k, i) => ({ k, ts: 10 + i, n: 1 })), second), deps, { parallelism: 5, restore: snap });
  await two.finished;
  assert.deepEqual(second.map((e) => `${e.k}=${e.n}`), keys.map((k) => `${k}=2`));
});

test('a stateful operator without a uid is refused at build time, naming the operator', () => {
  const job = defineJob({
    name: 'nouid',
    version: '1',
    maxParallelism: 4,
    build: (env) =>
      env
        .fromItems<Ev>({ uid: 'in', items: [], timestamp: (e) => e.ts })
        .keyBy((e) => e.k)
        .process(undefined as unknown as string, { processElement: () => undefined }),
  });
  assert.throws(
    () => buildJob(job),
    (e: unknown) => e instanceof JobDefinitionError && e.code === 'JOB_MISSING_UID' && /process operator \(#1 after fromItems\(in\)\)/.test(e.message),
  );
  const dup = defineJob({ name: 'dup', version: '1', maxParallelism: 4, build: (env) => env.fromItems({ uid: 'x', items: [1] }).toCallback({ uid: 'x', fn: () => undefined }) });
  assert.throws(() => buildJob(dup), /uid "x" is used by both/);
});

test('describeJob lists uids, kinds, key fingerprints and state codecs', () => {
  const profile = valueState<{ n: number }>('profile');
  const job = defineJob({
    name: 'desc',
    version: '2',
    maxParallelism: 64,
    build: (env) =>
      env
        .fromKafka<Ev>({ uid: 'src', topics: ['in'] })
        .keyBy((e) => e.k)
        .process('p', { states: [profile], processElement: () => undefined })
        .toKafka({ uid: 'sink', topic: 'out' }),
  });
  const d = describeJob(job);
  assert.deepEqual(d.operators.map((o) => `${o.kind}:${o.uid}`), ['source:src', 'process:p', 'sink:sink']);
  assert.deepEqual(d.operators[1]!.states, [{ name: 'profile', kind: 'value', codec: { type: 'json' } }]);
  assert.match(d.operators[1]!.keyFingerprint!, /^[0-9a-f]{16}$/);
  assert.deepEqual(d.inputTopics, ['in']);
});

test('processing-time timers read the injected clock', async () => {
  let now = 1000;
  const out: string[] = [];
  const job = defineJob({
    name: 'ptime',
    version: '1',
    maxParallelism: 4,
    build: (env) =>
      env
        .fromItems({ uid: 'in', items: [{ k: 'a', ts: 0, n: 1 }], timestamp: (e: Ev) => e.ts })
        .keyBy((e) => e.k)
        .process<string>('p', {
          processElement: (_e, ctx) => ctx.timers.processingTime(ctx.timers.now() + 500),
          onTimer: (ts, ctx) => {
            out.push(`${ctx.key}@${ts} ${ctx.domain}`);
          },
        })
        .toCallback({ uid: 'out', fn: () => undefined }),
  });
  const running = await startJob(job, { logger: silentLogger(), clock: { now: () => now } }, { tickMs: 60_000 });
  await running.finished.catch(() => undefined);
  // The bounded source finished; the job is stopped, but the operator can still be ticked by hand.
  await running.tick();
  assert.deepEqual(out, []);
  now = 1500;
  await running.tick();
  assert.deepEqual(out, ['a@1500 processing']);
});
