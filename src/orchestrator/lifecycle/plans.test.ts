/**
 * The plan choice as tables: engine adapters with and without each capability
 * (fakes of the narrow engine port: they implement the methods, none is called)
 * → what they can do → the plan a spec gets on them, or why it is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../errors.ts';
import { capabilitiesOf, hasFastColdHandoff, hasWarmHandoff, type EngineAdapter, type EngineKind } from '../../engines/adapter.ts';
import { choosePromotionPlan, nextPromotionStep, nextRollbackStep, planOf, requirePromotionPlan } from './plans.ts';
import { newDeployment, type Deployment, type Effect, type PromotionPlan } from './model.ts';
import { SPEC } from './test-support.ts';

const unused = () => Promise.reject(new Error('the plan choice calls no engine'));
const WARM = { hold: unused, runUntilOffsets: unused, switchSink: unused, resume: unused };
const FAST_COLD = { prepareStandby: unused, restoreStandby: unused, stopWithDelta: unused, discard: unused };

/** An adapter with the core and `extra`: with nothing extra, one that has no capability at all. */
function fakeAdapter(engine: EngineKind, extra: object = {}): EngineAdapter {
  return { engine, start: unused, savepoint: unused, stopWithSavepoint: unused, cancel: unused, status: unused, watermark: unused, metrics: unused, preflight: unused, checkJob: unused, disposeSavepoint: unused, ...extra };
}

const CORE = fakeAdapter('flink');
const FULL = fakeAdapter('embedded', { ...WARM, ...FAST_COLD });
const WARM_ONLY = fakeAdapter('embedded', WARM);
const FAST_ONLY = fakeAdapter('embedded', FAST_COLD);
/** Another engine with every capability: a delta still cannot cross between two engines. */
const OTHER_FULL = fakeAdapter('flink', { ...WARM, ...FAST_COLD });
/** Part of a capability is not the capability. */
const HALF = fakeAdapter('flink', { hold: unused, runUntilOffsets: unused, prepareStandby: unused });

test('what an adapter can do is found from the methods it implements, not from its name', () => {
  const cases: [string, EngineAdapter, boolean, boolean][] = [
    ['core only', CORE, false, false],
    ['everything', FULL, true, true],
    ['warm handoff only', WARM_ONLY, true, false],
    ['fast cold handoff only', FAST_ONLY, false, true],
    ['another engine with everything', OTHER_FULL, true, true],
    ['half of each', HALF, false, false],
  ];
  for (const [label, adapter, warm, fastCold] of cases) {
    assert.equal(hasWarmHandoff(adapter), warm, label);
    assert.equal(hasFastColdHandoff(adapter), fastCold, label);
    assert.deepEqual(capabilitiesOf(adapter), { engine: adapter.engine, warmHandoff: warm, fastColdHandoff: fastCold }, label);
  }
});

const CUTOVER = 'promotion: { strategy: cutover, downstreamGroups: [billing] }';
const COLD = 'promotion: { mode: cold }';
const NO_ROLLBACK = 'rollback: { keepSavepoint: false }';

test('the plan a spec gets from the capabilities of its engines, or each key the engines cannot do', () => {
  const cases: [string, string, EngineAdapter, EngineAdapter, PromotionPlan | RegExp[]][] = [
    ['warm (the default) on full engines', '', FULL, FULL, { strategy: 'savepoint-handoff', mode: 'warm' }],
    ['cold on full engines: the fast path', COLD, FULL, FULL, { strategy: 'savepoint-handoff', mode: 'cold', fast: true }],
    ['cutover needs only the core', CUTOVER, CORE, CORE, { strategy: 'cutover' }],
    ['cutover, mixed engines', CUTOVER, FULL, CORE, { strategy: 'cutover' }],
    ['warm on capability-less engines', '', CORE, CORE, [
      /^promotion\.mode: a warm handoff needs engines that can hold, run to offsets and switch its sink; the flink engine \(authoritative\) cannot\. Use mode: cold .* or strategy: cutover\.$/,
      /^promotion\.mode: .*the flink engine \(candidate\) cannot/,
    ]],
    ['warm, only the candidate cannot', '', FULL, CORE, [/^promotion\.mode: .*the flink engine \(candidate\) cannot/]],
    ['warm, an engine with half of it', '', HALF, FULL, [/^promotion\.mode: .*the flink engine \(authoritative\) cannot/]],
    ['warm on engines that can hold but not hand over a delta', '', WARM_ONLY, WARM_ONLY, { strategy: 'savepoint-handoff', mode: 'warm' }],
    ['cold keeping its rollback on an engine that cannot hold: the rollback replays', COLD, CORE, CORE, { strategy: 'savepoint-handoff', mode: 'cold', fast: false, replayRollback: true }],
    ['cold without a rollback on capability-less engines: the plain handoff', `${COLD}\n${NO_ROLLBACK}`, CORE, CORE, { strategy: 'savepoint-handoff', mode: 'cold', fast: false }],
    ['cold, the candidate cannot prepare a standby', COLD, FULL, CORE, { strategy: 'savepoint-handoff', mode: 'cold', fast: false }],
    ['cold, the rollback engine can hold but hand over no delta', COLD, WARM_ONLY, FULL, { strategy: 'savepoint-handoff', mode: 'cold', fast: false }],
    ['cold between two engines that both could', COLD, FULL, OTHER_FULL, { strategy: 'savepoint-handoff', mode: 'cold', fast: false }],
    ['warm without a rollback still needs both engines to hold', NO_ROLLBACK, CORE, FULL, [/^promotion\.mode: .*\(authoritative\)/]],
  ];
  for (const [label, extra, authoritative, candidate, want] of cases) {
    const r = choosePromotionPlan(SPEC(extra), { authoritative: capabilitiesOf(authoritative), candidate: capabilitiesOf(candidate) });
    if (Array.isArray(want)) {
      assert.equal(r.ok, false, label);
      const refusals = r.ok ? [] : r.refusals;
      assert.equal(refusals.length, want.length, `${label}: ${refusals.join(' | ')}`);
      want.forEach((pattern, i) => assert.match(refusals[i] ?? '', pattern, label));
    } else {
      assert.deepEqual(r, { ok: true, plan: want }, label);
    }
  }
});

test('a refused spec is a ConfigError that names every key to change', () => {
  const core = capabilitiesOf(CORE);
  assert.throws(
    () => requirePromotionPlan(SPEC(), { authoritative: core, candidate: core }),
    (e: unknown) => e instanceof ConfigError && e.code === 'SPEC_PROMOTION_UNSUPPORTED' && /^fraud: its engines cannot promote it as the spec asks:\n {2}promotion\.mode: .*\(authoritative\).*\n {2}promotion\.mode: .*\(candidate\)/.test(e.message) && e.hint === 'Change the keys named above; nothing was started.',
  );
  assert.deepEqual(requirePromotionPlan(SPEC(CUTOVER), { authoritative: core, candidate: core }), { strategy: 'cutover' });
});

test('a recorded plan is followed; a record without one gets the plan it had on the embedded engine', () => {
  const cases: [string, string, PromotionPlan | undefined, PromotionPlan][] = [
    ['warm, recorded before plans were', '', undefined, { strategy: 'savepoint-handoff', mode: 'warm' }],
    ['cold, recorded before plans were', COLD, undefined, { strategy: 'savepoint-handoff', mode: 'cold', fast: true }],
    ['cutover, recorded before plans were', CUTOVER, undefined, { strategy: 'cutover' }],
    ['a recorded plain cold handoff', COLD, { strategy: 'savepoint-handoff', mode: 'cold', fast: false }, { strategy: 'savepoint-handoff', mode: 'cold', fast: false }],
  ];
  for (const [label, extra, recorded, want] of cases) assert.deepEqual(planOf(newDeployment(SPEC(extra), 0, undefined, recorded)), want, label);
});

/** The cold promotion's steps, done one after the other with empty results, under a plan. */
function coldSteps(plan: PromotionPlan | undefined): string[] {
  let d: Deployment = { ...newDeployment(SPEC(COLD), 0, undefined, plan), phase: 'Promoting', promotion: { strategy: 'savepoint-handoff', mode: 'cold', auto: false, startedAt: 1, steps: [] } };
  const types: string[] = [];
  for (let next = nextPromotionStep(d); next; next = nextPromotionStep(d)) {
    types.push(next.type);
    d = { ...d, promotion: { ...d.promotion!, steps: [...d.promotion!.steps, { id: `s${types.length}`, type: next.type, result: {} }] } };
  }
  return types;
}

test('a cold handoff prepares a standby only when the plan is fast', () => {
  assert.deepEqual(coldSteps({ strategy: 'savepoint-handoff', mode: 'cold', fast: true }), ['stopAnalysis', 'cancelJob', 'prepareStandby', 'restoreStandby', 'coldHandoff']);
  assert.deepEqual(coldSteps(undefined), ['stopAnalysis', 'cancelJob', 'prepareStandby', 'restoreStandby', 'coldHandoff'], 'as before plans were recorded');
  assert.deepEqual(coldSteps({ strategy: 'savepoint-handoff', mode: 'cold', fast: false }), ['stopAnalysis', 'cancelJob', 'coldHandoff']);
});

/** The rollback's steps after a cold handoff under a plan, done one after the other (the stop reports offsets X). */
function rollbackSteps(plan: PromotionPlan): Effect[] {
  const kept = { location: '/sp/kept', sourceOffsets: [{ topic: 'payments', partition: 0, offset: 10 }], completedAt: 1 };
  let d: Deployment = { ...newDeployment(SPEC(COLD), 0, undefined, plan), phase: 'RolledBack', jobs: { authoritative: 'fraud', candidate: 'fraud.candidate', live: 'fraud.promoted' }, promotion: { strategy: 'savepoint-handoff', mode: 'cold', auto: false, startedAt: 1, steps: [], rollbackSavepoint: kept }, rollback: { at: 2, steps: [] } };
  const out: Effect[] = [];
  for (let next = nextRollbackStep(d); next; next = nextRollbackStep(d)) {
    out.push(next);
    const result = next.type === 'stopWithSavepoint' ? { savepoint: { location: '/sp/x', sourceOffsets: [{ topic: 'payments', partition: 0, offset: 20 }], completedAt: 3 } } : {};
    d = { ...d, rollback: { ...d.rollback!, steps: [...d.rollback!.steps, { id: `r${out.length}`, type: next.type, result }] } };
  }
  return out;
}

test('a cold handoff on an engine that cannot hold rolls back by replay: the new job stops, the old one restarts from the kept savepoint on the authoritative topic', () => {
  const replay = rollbackSteps({ strategy: 'savepoint-handoff', mode: 'cold', fast: false, replayRollback: true });
  assert.deepEqual(replay.map((e) => e.type), ['stopWithSavepoint', 'startJob']);
  assert.deepEqual(replay[0], { type: 'stopWithSavepoint', jobId: 'fraud.promoted', keep: 'debug' });
  const start = replay[1] as Extract<Effect, { type: 'startJob' }>;
  assert.deepEqual([start.jobId, start.from, start.sinkTopic, start.identity, start.holdAtStart], ['fraud', { savepoint: '/sp/kept' }, SPEC().authoritative.output, 'pitlane.fraud.fraud.rollback', undefined]);
  const aligned = rollbackSteps({ strategy: 'savepoint-handoff', mode: 'cold', fast: false });
  assert.deepEqual(aligned.map((e) => e.type), ['stopWithSavepoint', 'startJob', 'runUntil', 'switchSink'], 'an engine that can hold replays nothing');
});
