/**
 * Unit tests of the controller's logic with fakes for its narrow ports (an
 * engine adapter that deduplicates by requestId as the contract requires, and
 * an in-memory store that can "crash" the process around an append).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SavepointHistory } from '../savepoints/history.ts';
import { savepointRecord } from '../savepoints/record.ts';
import { DeploymentController } from './controller.ts';
import type { Clock } from '../../clock.ts';
import type { CutoverPort } from './ports.ts';
import { MemoryDeploymentStore } from '../store/port.ts';
import type { TransitionEntry } from '../lifecycle/model.ts';
import { SPEC as spec } from '../lifecycle/test-support.ts';
import { silentLogger } from '../../logger.ts';
import { ConfigError, PromotionError } from '../../errors.ts';
import type { EngineAdapter, FastColdHandoff, JobStatus, SavepointResult, WarmHandoff } from '../../engines/adapter.ts';
import type { TopicPartitionOffset } from '../../kafka/port.ts';

class Crash extends Error {}

/** Survives "controller restarts" like a real engine process would; acts once per requestId. */
class FakeEngine implements EngineAdapter, WarmHandoff, FastColdHandoff {
  readonly engine = 'embedded' as const;
  readonly actions: string[] = [];
  private readonly seen = new Map<string, unknown>();
  readonly jobs = new Map<string, { sink: string; state: JobStatus['state']; pos: number }>([['fraud', { sink: 'alerts', state: 'running', pos: 100 }]]);
  failNext: Partial<Record<string, Error>> = {};
  preflightOk = true;
  private spCount = 0;

  private once<T>(requestId: string, action: string, fn: () => T): T {
    if (this.seen.has(requestId)) return this.seen.get(requestId) as T;
    const err = this.failNext[action.split(' ')[0]!];
    if (err) {
      delete this.failNext[action.split(' ')[0]!];
      throw err;
    }
    this.actions.push(action);
    const r = fn();
    this.seen.set(requestId, r);
    return r;
  }
  private sp(jobId: string): SavepointResult {
    return { location: `/sp/${jobId}/${++this.spCount}`, sourceOffsets: [{ topic: 'payments', partition: 0, offset: this.jobs.get(jobId)?.pos ?? 0 }], completedAt: 1000 + this.spCount };
  }
  /** Standby job id → the base it restored ahead (restoreStandby). */
  readonly bases = new Map<string, string>();
  async restoreStandby(jobId: string, r: { requestId: string; savepoint: string }) {
    return this.once(r.requestId, `restore ${jobId}`, () => {
      if (this.jobs.get(jobId)?.state !== 'standby') throw new PromotionError('ENGINE_JOB_NOT_RUNNING', 'no standby');
      this.bases.set(jobId, r.savepoint);
      return { jobId, base: r.savepoint };
    });
  }
  async stopWithDelta(jobId: string, r: { requestId: string; base: string }) {
    return this.once(r.requestId, `stop-delta ${jobId}`, () => {
      this.jobs.get(jobId)!.state = 'finished';
      return { delta: { location: `${r.requestId}.delta`, base: r.base, keys: 42 }, savepointLocation: `/sp/${jobId}/final`, stoppedAt: 1500, lastOutputAt: 1490 };
    });
  }
  /** Paths discard() was asked to delete, in order. */
  readonly discarded: string[] = [];
  async discard(locations: readonly string[]) {
    this.discarded.push(...locations);
  }
  /** Savepoints disposeSavepoint() was asked to delete, in order. */
  readonly disposed: string[] = [];
  async disposeSavepoint(location: string) {
    this.disposed.push(location);
  }
  async start(r: Parameters<EngineAdapter['start']>[0]) {
    const standby = this.jobs.get(r.jobId)?.state === 'standby';
    const delta = 'delta' in r.from ? r.from.delta : undefined;
    if (delta && !this.seen.has(r.requestId) && (!standby || this.bases.get(r.jobId) !== delta.base)) {
      throw new PromotionError('ENGINE_DELTA_UNUSABLE', `no standby holds ${delta.base}`);
    }
    return this.once(r.requestId, `start ${r.jobId}→${r.sinkTopic}${standby ? ' (standby)' : ''}`, () => {
      this.jobs.set(r.jobId, { sink: r.sinkTopic, state: 'running', pos: 90 });
      return { jobId: r.jobId, ...(standby ? { standby: true } : {}) };
    });
  }

  async prepareStandby(r: Parameters<FastColdHandoff['prepareStandby']>[0]) {
    return this.once(r.requestId, `standby ${r.jobId}`, () => {
      if (!this.jobs.has(r.jobId)) this.jobs.set(r.jobId, { sink: r.sinkTopic, state: 'standby', pos: 0 });
      return { jobId: r.jobId };
    });
  }
  async savepoint(jobId: string, r: { requestId: string }) {
    return this.once(r.requestId, `savepoint ${jobId}`, () => this.sp(jobId));
  }
  async stopWithSavepoint(jobId: string, r: { requestId: string; targetDir?: string }) {
    return this.once(r.requestId, `stop ${jobId}`, () => {
      this.jobs.get(jobId)!.state = 'finished';
      return r.targetDir ? { ...this.sp(jobId), location: r.targetDir } : this.sp(jobId);
    });
  }
  async cancel(jobId: string, r: { requestId: string }) {
    return this.once(r.requestId, `cancel ${jobId}`, () => {
      const j = this.jobs.get(jobId);
      if (j) j.state = 'cancelled';
    });
  }
  async status(jobId: string): Promise<JobStatus> {
    const j = this.jobs.get(jobId);
    return { jobId, state: j?.state ?? 'unknown', positions: j ? [{ topic: 'payments', partition: 0, offset: j.pos }] : [], sinkTopic: j?.sink ?? '' };
  }
  async watermark() {
    return { watermark: 0, perPartition: [] };
  }
  async metrics() {
    return { recordsIn: 0, recordsOut: 0, inputLag: 0, inRate: 0, lastOutputAt: 500, firstOutputAt: 700 };
  }
  async runUntilOffsets(jobId: string, offsets: readonly TopicPartitionOffset[], r: { requestId: string }) {
    return this.once(r.requestId, `hold ${jobId}@${offsets.map((o) => o.offset).join(',')}`, () => {
      const j = this.jobs.get(jobId)!;
      if (j.pos > offsets[0]!.offset) throw new PromotionError('ENGINE_PAST_OFFSETS', 'past');
      j.pos = offsets[0]!.offset;
      j.state = 'holding';
      return { positions: offsets, lastOutputAt: 600 };
    });
  }
  async hold(jobId: string, r: { requestId: string }) {
    return this.once(r.requestId, `pause ${jobId}`, () => {
      const j = this.jobs.get(jobId)!;
      j.state = 'holding';
      return { positions: [{ topic: 'payments', partition: 0, offset: j.pos }], lastOutputAt: 600 };
    });
  }
  async switchSink(jobId: string, to: string, r: { requestId: string; keepHold?: boolean }) {
    return this.once(r.requestId, `switch ${jobId}→${to}`, () => {
      const j = this.jobs.get(jobId)!;
      const from = j.sink;
      j.sink = to;
      if (!r.keepHold) j.state = 'running';
      return { from, to, firstOutputAt: 640 };
    });
  }
  async resume() {}
  async checkJob() {}

  async preflight() {
    return { compatible: this.preflightOk, refusals: this.preflightOk ? [] : ['process(profile): state "score" changed type'], notes: [] };
  }
}

/** A store that can die around an append, as a process killed with -9 would. */
class CrashingStore extends MemoryDeploymentStore {
  crash: ((e: TransitionEntry) => 'before' | 'after' | undefined) | undefined;
  override async append(e: TransitionEntry, savepoints?: Parameters<MemoryDeploymentStore['append']>[1]) {
    const when = this.crash?.(e);
    if (when === 'before') throw new Crash(`crash before ${e.revision}`);
    await super.append(e, savepoints);
    if (when === 'after') throw new Crash(`crash after ${e.revision}`);
  }
}

const clock = (): Clock => {
  let t = 0;
  return { now: () => ++t };
};

/** The fake engine seen through the core port only: an engine with no capability at all. */
function coreOnly(e: FakeEngine, prepared = false): EngineAdapter {
  return {
    ...(prepared ? { prepareStart: async (j: { job: string }) => void e.actions.push(`prepare ${j.job}`) } : {}),
    engine: 'flink',
    checkJob: () => e.checkJob(),
    start: (r) => e.start(r),
    savepoint: (j, r) => e.savepoint(j, r),
    stopWithSavepoint: (j, r) => e.stopWithSavepoint(j, r),
    cancel: (j, r) => e.cancel(j, r),
    status: (j) => e.status(j),
    watermark: () => e.watermark(),
    metrics: () => e.metrics(),
    preflight: () => e.preflight(),
    disposeSavepoint: (l) => e.disposeSavepoint(l),
  };
}

function setup(extra = '', o: { coreOnly?: boolean; prepared?: boolean; history?: boolean } = {}) {
  const store = new CrashingStore();
  const engine = new FakeEngine();
  const history = o.history ? new SavepointHistory(store, (r) => engine.disposeSavepoint(r.location), { now: () => 10_000 }, silentLogger()) : undefined;
  const cutovers: string[] = [];
  const cutover: CutoverPort = {
    cutover: async (r) => {
      cutovers.push(`${r.requestId}:${r.from}→${r.to}`);
      return r.groups.map((g) => ({ groupId: g, offsets: [], forced: false }));
    },
  };
  const port = o.coreOnly ? coreOnly(engine, o.prepared) : engine;
  const controller = () => new DeploymentController({ store, engines: { adapter: () => port }, clock: clock(), logger: silentLogger(), cutover, ...(history ? { savepoints: history } : {}) });
  return { store, engine, controller, cutovers, history, spec: spec(extra) };
}

async function toPassed(s: ReturnType<typeof setup>) {
  const c = s.controller();
  await c.create(s.spec);
  await c.dispatch('fraud', { type: 'start' });
  await c.dispatch('fraud', { type: 'minimumReached' });
  return c.dispatch('fraud', { type: 'verdict', status: 'pass' });
}

test('a full run: fork, shadow, pass, warm handoff, with each engine action once', async () => {
  const s = setup();
  const passed = await toPassed(s);
  assert.equal(passed.phase, 'Passed');
  const d = await s.controller().dispatch('fraud', { type: 'promote' });
  assert.equal(d.phase, 'Promoted');
  assert.deepEqual(s.engine.actions, ['savepoint fraud', 'start fraud.candidate→alerts-canary', 'pause fraud', 'pause fraud.candidate', 'hold fraud@100', 'hold fraud.candidate@100', 'switch fraud→alerts-canary', 'switch fraud.candidate→alerts', 'stop fraud']);
  assert.deepEqual(d.promotion?.steps.map((x) => x.type), ['stopAnalysis', 'warmHandoff']);
  assert.deepEqual(d.promotion?.pitStop?.outputGapMs, 40);
  assert.equal(s.engine.jobs.get('fraud.candidate')?.sink, 'alerts');
  const hist = await s.store.history('fraud');
  assert.deepEqual(hist.map((h) => h.revision), hist.map((_, i) => i + 1), 'every transition appended, revisions contiguous');
});

test('crash after an effect but before its append: resume repeats the call, the engine acts once', async (t) => {
  for (const type of ['warmHandoff'] as const) {
    await t.test(type, async () => {
      const s = setup();
      await toPassed(s);
      s.store.crash = (e) => (e.event.type === 'effectDone' && e.record.promotion?.steps.at(-1)?.type === type ? 'before' : undefined);
      await assert.rejects(s.controller().dispatch('fraud', { type: 'promote' }), Crash);
      s.store.crash = undefined;
      assert.equal((await s.store.load('fraud'))?.phase, 'Promoting');
      const d = await s.controller().resume('fraud');
      assert.equal(d.phase, 'Promoted');
      assert.equal(s.engine.actions.filter((a) => a.startsWith('stop fraud')).length, 1, 'the old job stopped once');
      assert.equal(s.engine.actions.filter((a) => a.startsWith('switch fraud.candidate')).length, 1, 'the sink switched once');
      await assert.rejects(s.controller().dispatch('fraud', { type: 'promote' }), (e: unknown) => e instanceof PromotionError && e.code === 'DEPLOYMENT_ALREADY_PROMOTED');
    });
  }
});

test('crash right after an append: resume continues with the next step', async (t) => {
  for (const at of ['promote', 'stopAnalysis', 'warmHandoff']) {
    await t.test(at, async () => {
      const s = setup();
      await toPassed(s);
      s.store.crash = (e) => (e.event.type === at || (e.event.type === 'effectDone' && e.record.promotion?.steps.at(-1)?.type === at) ? 'after' : undefined);
      await assert.rejects(s.controller().dispatch('fraud', { type: 'promote' }), Crash);
      s.store.crash = undefined;
      const d = await s.controller().resume('fraud');
      assert.equal(d.phase, 'Promoted');
      assert.equal(s.engine.actions.length, 9, `no engine action repeated: ${s.engine.actions.join(' | ')}`);
    });
  }
});

test('crash while Shadowing, then resume: nothing is repeated and the deployment goes on', async () => {
  const s = setup();
  const c = s.controller();
  await c.create(s.spec);
  s.store.crash = (e) => (e.to === 'Shadowing' ? 'after' : undefined);
  await assert.rejects(c.dispatch('fraud', { type: 'start' }), Crash);
  s.store.crash = undefined;
  const d = await s.controller().resume('fraud');
  assert.equal(d.phase, 'Shadowing');
  assert.deepEqual(s.engine.actions, ['savepoint fraud', 'start fraud.candidate→alerts-canary']);
});

test('a failed candidate is never promoted, also across a crash after the verdict', async () => {
  const s = setup();
  const c = s.controller();
  await c.create(s.spec);
  await c.dispatch('fraud', { type: 'start' });
  s.store.crash = (e) => (e.to === 'Failed' ? 'after' : undefined);
  await assert.rejects(c.dispatch('fraud', { type: 'verdict', status: 'fail', reason: 'key coverage 0.91' }), Crash);
  s.store.crash = undefined;
  const c2 = s.controller();
  await c2.resume('fraud');
  await assert.rejects(c2.dispatch('fraud', { type: 'promote' }), (e: unknown) => e instanceof PromotionError && e.code === 'DEPLOYMENT_VERDICT_NOT_PASS');
  await assert.rejects(c2.dispatch('fraud', { type: 'verdict', status: 'pass' }), (e: unknown) => e instanceof PromotionError && e.code === 'DEPLOYMENT_VERDICT_NOT_ACCEPTED');
  assert.ok(!s.engine.actions.some((a) => a.startsWith('stop fraud') || a.startsWith('switch')), 'the authoritative job was never touched');
});

test('auto promotion aborts a failed candidate and keeps its savepoint', async () => {
  const s = setup('promotion: { auto: true }');
  const c = s.controller();
  await c.create(s.spec);
  await c.dispatch('fraud', { type: 'start' });
  const d = await c.dispatch('fraud', { type: 'verdict', status: 'fail', reason: 'keys dropped' });
  assert.equal(d.phase, 'Aborted');
  assert.equal(d.abort?.by, 'auto');
  assert.match(d.abort?.debugSavepoint?.location ?? '', /^\/sp\/fraud\.candidate\//);
  assert.equal(s.engine.jobs.get('fraud')?.state, 'running', 'the authoritative job keeps running');
});

test('preflight refusal: stops with the report, the authoritative job untouched, no candidate started', async () => {
  const s = setup();
  s.engine.preflightOk = false;
  const c = s.controller();
  await c.create(s.spec);
  const d = await c.dispatch('fraud', { type: 'start' });
  assert.equal(d.phase, 'Aborted');
  assert.equal(d.preflight?.compatible, false);
  assert.deepEqual(s.engine.actions, ['savepoint fraud']);
});

test('a candidate that crashes at start aborts the deployment and is cancelled', async () => {
  const s = setup();
  s.engine.failNext.start = new PromotionError('ENGINE_JOB_FAILED', 'candidate exited with code 1');
  const c = s.controller();
  await c.create(s.spec);
  const d = await c.dispatch('fraud', { type: 'start' });
  assert.equal(d.phase, 'Aborted');
  assert.match(d.abort?.reason ?? '', /exited with code 1/);
  assert.deepEqual(s.engine.actions, ['savepoint fraud', 'cancel fraud.candidate']);
});

test('a failing promotion step stays pending; resume retries it once the cause is gone', async () => {
  const s = setup();
  await toPassed(s);
  s.engine.failNext.stop = new PromotionError('ENGINE_UNREACHABLE', 'engine not answering', { retriable: true });
  await assert.rejects(s.controller().dispatch('fraud', { type: 'promote' }), (e: unknown) => e instanceof PromotionError && e.code === 'DEPLOYMENT_STEP_FAILED' && e.retriable);
  const stuck = await s.store.load('fraud');
  assert.equal(stuck?.phase, 'Promoting');
  assert.equal(stuck?.lastError?.code, 'ENGINE_UNREACHABLE');
  const d = await s.controller().resume('fraud');
  assert.equal(d.phase, 'Promoted');
  assert.equal(d.lastError, undefined);
});

test('cold handoff: the standby comes up first, then stop and start are one step; rollback savepoint kept', async () => {
  const s = setup('promotion: { mode: cold }');
  await toPassed(s);
  const d = await s.controller().dispatch('fraud', { type: 'promote' });
  assert.equal(d.phase, 'Promoted');
  assert.deepEqual(d.promotion?.steps.map((x) => x.type), ['stopAnalysis', 'cancelJob', 'prepareStandby', 'restoreStandby', 'coldHandoff']);
  // The base is taken and restored while the old job runs; at the stop only the delta moves, and
  // the full savepoint (kept for rollback) is written once the new job writes.
  assert.deepEqual(s.engine.actions.slice(-7), ['cancel fraud.candidate', 'standby fraud.promoted', 'savepoint fraud', 'restore fraud.promoted', 'stop-delta fraud', 'start fraud.promoted→alerts (standby)', 'stop fraud']);
  const cold = d.promotion?.steps.at(-1)?.result;
  assert.equal(cold?.standby, true);
  assert.deepEqual(cold?.delta, { applied: true, keys: 42, location: `${d.promotion?.steps.at(-1)?.id}/stop.delta`, base: d.promotion?.steps.find((x) => x.type === 'restoreStandby')?.result.savepoint?.location });
  assert.equal(d.promotion?.rollbackSavepoint?.location, '/sp/fraud/final');
  assert.equal(d.jobs.live, 'fraud.promoted');
  // Recorded done, the step never runs again: its base and delta go, the rollback savepoint stays.
  assert.deepEqual(s.engine.discarded, [cold?.delta?.location, cold?.delta?.base]);
});

test('cold handoff: a standby that lost its base gets the full savepoint instead of the delta', async () => {
  const s = setup('promotion: { mode: cold }');
  await toPassed(s);
  s.store.crash = (e) => (e.event.type === 'effectDone' && e.record.promotion?.steps.at(-1)?.type === 'restoreStandby' ? 'after' : undefined);
  await assert.rejects(s.controller().dispatch('fraud', { type: 'promote' }), Crash);
  s.store.crash = undefined;
  s.engine.bases.delete('fraud.promoted'); // e.g. the standby process was replaced
  const d = await s.controller().resume('fraud');
  assert.equal(d.phase, 'Promoted');
  const cold = d.promotion?.steps.at(-1)?.result;
  assert.equal(cold?.delta?.applied, false);
  assert.match(cold?.delta?.reason ?? '', /no standby holds/);
  assert.deepEqual(s.engine.actions.slice(-3), ['stop-delta fraud', 'stop fraud', 'start fraud.promoted→alerts (standby)'], 'the full savepoint first, then the start from it');
  assert.equal(d.promotion?.rollbackSavepoint?.location, '/sp/fraud/final');
});

test('cold handoff resumed after a crash: neither the stop nor the start is repeated; a gone standby means a plain start', async (t) => {
  await t.test('crash after the handoff, before its append', async () => {
    const s = setup('promotion: { mode: cold }');
    await toPassed(s);
    s.store.crash = (e) => (e.event.type === 'effectDone' && e.record.promotion?.steps.at(-1)?.type === 'coldHandoff' ? 'before' : undefined);
    await assert.rejects(s.controller().dispatch('fraud', { type: 'promote' }), Crash);
    s.store.crash = undefined;
    const d = await s.controller().resume('fraud');
    assert.equal(d.phase, 'Promoted');
    assert.equal(s.engine.actions.filter((a) => a === 'stop fraud').length, 1);
    assert.equal(s.engine.actions.filter((a) => a === 'stop-delta fraud').length, 1);
    assert.equal(s.engine.actions.filter((a) => a.startsWith('start fraud.promoted')).length, 1);
  });
  await t.test('the standby is gone by the time of the handoff', async () => {
    const s = setup('promotion: { mode: cold }');
    await toPassed(s);
    s.store.crash = (e) => (e.event.type === 'effectDone' && e.record.promotion?.steps.at(-1)?.type === 'prepareStandby' ? 'after' : undefined);
    await assert.rejects(s.controller().dispatch('fraud', { type: 'promote' }), Crash);
    s.store.crash = undefined;
    s.engine.jobs.delete('fraud.promoted');
    const d = await s.controller().resume('fraud');
    assert.equal(d.phase, 'Promoted');
    assert.equal(d.promotion?.steps.at(-1)?.result.standby, false);
    assert.ok(s.engine.actions.includes('start fraud.promoted→alerts'));
  });
});

test('cold handoff: a start that fails after the old job stopped says so, stays pending, and resumes without a second stop', async () => {
  const s = setup('promotion: { mode: cold }');
  await toPassed(s);
  s.engine.failNext.start = new PromotionError('ENGINE_JOB_START_FAILED', 'restore ran out of memory');
  await assert.rejects(s.controller().dispatch('fraud', { type: 'promote' }), (e: unknown) => e instanceof PromotionError && e.code === 'DEPLOYMENT_STEP_FAILED' && /stopped with savepoint .*no job writes alerts now.*out of memory/.test(e.message));
  const stuck = await s.store.load('fraud');
  assert.equal(stuck?.phase, 'Promoting');
  assert.equal(stuck?.lastError?.code, 'PROMOTION_COLD_START_FAILED');
  assert.equal(s.engine.jobs.get('fraud')?.state, 'finished');
  const d = await s.controller().resume('fraud');
  assert.equal(d.phase, 'Promoted');
  assert.equal(s.engine.actions.filter((a) => a === 'stop-delta fraud').length, 1, 'the old job stopped once');
});

test('two controllers racing on one deployment: promoted once', async () => {
  const s = setup();
  await toPassed(s);
  const results = await Promise.allSettled([s.controller().dispatch('fraud', { type: 'promote' }), s.controller().dispatch('fraud', { type: 'promote' })]);
  assert.ok(results.some((r) => r.status === 'fulfilled'));
  const d = await s.controller().resume('fraud');
  assert.equal(d.phase, 'Promoted');
  assert.equal(s.engine.actions.filter((a) => a.startsWith('switch fraud.candidate')).length, 1);
  assert.equal((await s.store.history('fraud')).filter((h) => h.event.type === 'promote').length, 1, 'one promote recorded');
});

test('another writer appends between a command\'s load and its append: the command is judged again and goes through', async () => {
  const s = setup();
  const c = s.controller();
  await c.create(s.spec);
  await c.dispatch('fraud', { type: 'start' });
  await c.dispatch('fraud', { type: 'minimumReached' });
  await c.dispatch('fraud', { type: 'verdict', status: 'inconclusive' });
  // The shadow supervisor records its next verdict while `canary promote --override-verdict` is between load and append.
  let raced = false;
  const appendOf = s.store.append.bind(s.store);
  s.store.append = async (e, sp) => {
    if (e.event.type === 'promote' && !raced) {
      raced = true;
      await s.controller().dispatch('fraud', { type: 'verdict', status: 'inconclusive' });
    }
    return appendOf(e, sp);
  };
  const d = await s.controller().dispatch('fraud', { type: 'promote', override: { reason: 'release train' } });
  assert.ok(raced);
  assert.equal(d.phase, 'Promoted');
  const events = (await s.store.history('fraud')).map((h) => h.event.type);
  assert.equal(events.filter((t) => t === 'promote').length, 1, 'one promote recorded');
  assert.ok(events.indexOf('promote') > events.lastIndexOf('verdict'), 'the promote came after the other writer\'s verdict');
});

test('a command the other writer made invalid is refused, not retried forever', async () => {
  const s = setup();
  await toPassed(s);
  let raced = false;
  const appendOf = s.store.append.bind(s.store);
  s.store.append = async (e, sp) => {
    if (e.event.type === 'promote' && !raced) {
      raced = true;
      // Another orchestrator aborts first: the promote's append is then stale, and a promote of an aborted deployment is refused.
      await s.controller().dispatch('fraud', { type: 'abort', reason: 'operator' });
    }
    return appendOf(e, sp);
  };
  await assert.rejects(s.controller().dispatch('fraud', { type: 'promote' }), (e: unknown) => e instanceof PromotionError && e.code.startsWith('DEPLOYMENT_'));
  assert.equal((await s.store.history('fraud')).filter((h) => h.event.type === 'promote').length, 0);
});

test('cutover and rollback go through the cutover port in both directions', async () => {
  const s = setup('promotion: { strategy: cutover, downstreamGroups: [billing] }');
  await toPassed(s);
  const p = await s.controller().dispatch('fraud', { type: 'promote' });
  assert.equal(p.activeTopic, 'alerts-canary');
  const r = await s.controller().dispatch('fraud', { type: 'rollback', reason: 'p99 latency' });
  assert.equal(r.phase, 'RolledBack');
  assert.equal(r.activeTopic, 'alerts');
  assert.deepEqual(s.cutovers.map((c) => c.split(':')[1]), ['alerts→alerts-canary', 'alerts-canary→alerts']);
  await assert.rejects(s.controller().dispatch('fraud', { type: 'rollback' }), (e: unknown) => e instanceof PromotionError && e.code === 'DEPLOYMENT_ALREADY_ROLLED_BACK');
});

test('a name is reused only after its deployment finished; history spans generations', async () => {
  const s = setup();
  const c = s.controller();
  await c.create(s.spec);
  await assert.rejects(c.create(s.spec), (e: unknown) => e instanceof PromotionError && e.code === 'DEPLOYMENT_EXISTS');
  await c.dispatch('fraud', { type: 'abort', reason: 'changed my mind' });
  const again = await c.create(s.spec);
  assert.equal(again.generation, 2);
  assert.equal(again.revision, 3);
});


test('an engine without a capability: what needs it is refused at create, before anything is recorded or started', async () => {
  const s = setup('', { coreOnly: true });
  await assert.rejects(s.controller().create(s.spec), (e: unknown) => e instanceof ConfigError && e.code === 'SPEC_PROMOTION_UNSUPPORTED' && /warm handoff needs engines that can hold, run to offsets and switch its sink; the flink engine \(authoritative\) cannot/.test(e.message));
  assert.equal(await s.store.load('fraud'), undefined);
  assert.deepEqual(s.engine.actions, []);
});

test('an engine that cannot hold rolls a cold handoff back by replay: the new job stops, the old one restarts from the kept savepoint on the authoritative topic', async () => {
  const s = setup('promotion: { mode: cold }', { coreOnly: true });
  await toPassed(s);
  assert.deepEqual((await s.store.load('fraud'))?.plan, { strategy: 'savepoint-handoff', mode: 'cold', fast: false, replayRollback: true });
  const p = await s.controller().dispatch('fraud', { type: 'promote' });
  assert.equal(p.phase, 'Promoted');
  assert.ok(p.promotion?.rollbackSavepoint, 'the stop savepoint is kept for the rollback');
  const r = await s.controller().dispatch('fraud', { type: 'rollback' });
  assert.deepEqual(r.rollback?.steps.map((x) => x.type), ['stopWithSavepoint', 'startJob']);
  assert.deepEqual(s.engine.actions.slice(-2), ['stop fraud.promoted', 'start fraud→alerts']);
  assert.deepEqual([r.jobs.live, r.activeTopic], ['fraud', 'alerts']);
});

test('an engine without the fast cold handoff gets the plain one: stop with a full savepoint, then start from it', async () => {
  const s = setup('promotion: { mode: cold }\nrollback: { keepSavepoint: false }', { coreOnly: true });
  await toPassed(s);
  assert.deepEqual((await s.store.load('fraud'))?.plan, { strategy: 'savepoint-handoff', mode: 'cold', fast: false });
  const d = await s.controller().dispatch('fraud', { type: 'promote' });
  assert.equal(d.phase, 'Promoted');
  assert.deepEqual(d.promotion?.steps.map((x) => x.type), ['stopAnalysis', 'cancelJob', 'coldHandoff']);
  assert.deepEqual(s.engine.actions.slice(-3), ['cancel fraud.candidate', 'stop fraud', 'start fraud.promoted→alerts']);
  assert.equal(d.promotion?.steps.at(-1)?.result.standby, false);
  assert.equal(d.jobs.live, 'fraud.promoted');
});

test('the plain cold handoff on an engine that prepares starts: the new job\'s start is prepared beside the old job\'s stop, before the start', async () => {
  const s = setup('promotion: { mode: cold }\nrollback: { keepSavepoint: false }', { coreOnly: true, prepared: true });
  await toPassed(s);
  const d = await s.controller().dispatch('fraud', { type: 'promote' });
  assert.equal(d.phase, 'Promoted');
  assert.deepEqual(s.engine.actions.slice(-4), ['cancel fraud.candidate', `prepare ${d.spec.candidate.job}`, 'stop fraud', 'start fraud.promoted→alerts']);
});

test('an engine without capabilities promotes and rolls back by consumer cutover', async () => {
  const s = setup('promotion: { strategy: cutover, downstreamGroups: [billing] }', { coreOnly: true });
  await toPassed(s);
  const p = await s.controller().dispatch('fraud', { type: 'promote' });
  assert.equal(p.activeTopic, 'alerts-canary');
  const r = await s.controller().dispatch('fraud', { type: 'rollback' });
  assert.equal(r.activeTopic, 'alerts');
  assert.deepEqual(s.cutovers.map((c) => c.split(':')[1]), ['alerts→alerts-canary', 'alerts-canary→alerts']);
});

test('the embedded engine (every capability) records the plan its spec asks for', async (t) => {
  const cases: [string, unknown][] = [
    ['', { strategy: 'savepoint-handoff', mode: 'warm' }],
    ['promotion: { mode: cold }', { strategy: 'savepoint-handoff', mode: 'cold', fast: true }],
    ['promotion: { strategy: cutover, downstreamGroups: [billing] }', { strategy: 'cutover' }],
  ];
  for (const [extra, plan] of cases) {
    await t.test(extra || 'warm', async () => {
      const s = setup(extra);
      assert.deepEqual((await s.controller().create(s.spec)).plan, plan);
    });
  }
});

test('every savepoint a deployment takes is in the history; the spec\'s retention never disposes of the rollback savepoint', async () => {
  const s = setup('savepoints: { keepLast: 1 }', { history: true });
  // Two savepoints of the authoritative job taken before, outside the deployment.
  for (const [at, n] of [[1, 'a'], [2, 'b']] as const) await s.history!.record(savepointRecord({ location: `/manual/${n}`, completedAt: at }, { engine: 'embedded', job: 'fraud', trigger: 'manual' }));
  await toPassed(s);
  const shadowing = await s.history!.list();
  const fork = shadowing.find((r) => r.trigger === 'fork')!;
  assert.deepEqual([fork.job, fork.deployment, fork.generation, fork.pin?.reason], ['fraud', 'fraud', 1, 'fork source']);
  // keepLast 1 after the fork: the older manual ones went, the fork (newest) stays.
  assert.deepEqual(s.engine.disposed, ['/manual/b', '/manual/a']);
  const d = await s.controller().dispatch('fraud', { type: 'promote' });
  assert.equal(d.phase, 'Promoted');
  const after = await s.history!.list({ deployment: 'fraud' });
  assert.deepEqual(after.map((r) => [r.trigger, r.pin?.reason ?? null]), [['handoff', 'rollback']], 'the fork went by retention once the deployment no longer needed it');
  assert.equal(after[0]!.location, d.promotion?.rollbackSavepoint?.location);
  await assert.rejects(s.history!.dispose(after[0]!), (e: unknown) => e instanceof PromotionError && e.code === 'SAVEPOINT_PINNED' && /deployment fraud needs it for a rollback/.test(e.message));
  assert.equal(s.engine.disposed.includes(after[0]!.location), false);
});

test('a step\'s savepoint is recorded with the step: a crash before the append records neither, the resumed step both, once', async () => {
  const s = setup('', { history: true });
  const c = s.controller();
  await c.create(s.spec);
  s.store.crash = (e) => (e.event.type === 'effectDone' && e.record.fork ? 'before' : undefined);
  await assert.rejects(c.dispatch('fraud', { type: 'start' }), Crash);
  assert.deepEqual(await s.store.savepoints(), []);
  s.store.crash = undefined;
  await s.controller().resume('fraud');
  assert.deepEqual((await s.history!.list()).map((r) => [r.trigger, r.location]), [['fork', (await s.store.load('fraud'))?.fork?.savepoint.location]]);
  assert.equal(s.engine.actions.filter((a) => a.startsWith('savepoint')).length, 1, 'the engine took one savepoint');
});
