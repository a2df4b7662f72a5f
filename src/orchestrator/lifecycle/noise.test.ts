/**
 * The noise replica in the lifecycle: started after the candidate from the same
 * fork, stopped on every way out (promotion of each strategy, abort, a failed
 * fork, rollback), never started twice, and absent when the spec does not ask.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { transition } from './transition.ts';
import { newDeployment, noiseReplicaOf, type Deployment, type DeploymentEvent, type Effect, type Phase } from './model.ts';
import { SP, SPEC } from './test-support.ts';

const NOISE = 'analysis: { noiseReplica: true }';
const OK_PREFLIGHT = { report: { compatible: true, refusals: [], notes: [] } };

function inPhase(phase: Phase, extra = NOISE): Deployment {
  const d = newDeployment(SPEC(extra), 0);
  const promoted = { strategy: 'savepoint-handoff' as const, mode: 'warm' as const, auto: false, startedAt: 1, steps: [], rollbackSavepoint: SP, completedAt: 2 };
  const by: Partial<Record<Phase, Partial<Deployment>>> = {
    Shadowing: { fork: { savepoint: SP } },
    Passed: { fork: { savepoint: SP }, verdict: { status: 'pass', at: 1 } },
    Promoted: { verdict: { status: 'pass', at: 1 }, promotion: promoted, jobs: { ...d.jobs, live: d.jobs.candidate } },
  };
  return { ...d, phase, ...by[phase] };
}

/** Completes each pending effect with a canned result; returns the effects in the order performed. */
function drive(d: Deployment, results: Partial<Record<string, object>> = {}): { d: Deployment; done: Effect[] } {
  const done: Effect[] = [];
  let cur = d;
  for (let n = 0; cur.pending.length > 0 && n < 50; n++) {
    const head = cur.pending[0]!;
    const r = transition(cur, { type: 'effectDone', id: head.id, result: (results[head.effect.type] ?? {}) as never }, 10 + n);
    assert.ok(r.ok, JSON.stringify(r));
    done.push(head.effect);
    cur = r.next;
  }
  return { d: cur, done };
}

function after(d: Deployment, e: DeploymentEvent): Deployment {
  const r = transition(d, e, 1);
  assert.ok(r.ok, JSON.stringify(r));
  return r.next;
}

const label = (e: Effect) => (e.type === 'startJob' || e.type === 'cancelJob' || e.type === 'stopNoiseReplica' || e.type === 'stopWithSavepoint' ? `${e.type}:${e.jobId}` : e.type);

test('the spec names the replica only when it is on; its job and topic', () => {
  assert.equal(noiseReplicaOf(newDeployment(SPEC(), 0)), undefined);
  assert.deepEqual(noiseReplicaOf(newDeployment(SPEC(NOISE), 0)), { jobId: 'fraud.noise', topic: 'alerts-canary.noise' });
  assert.deepEqual(noiseReplicaOf(newDeployment(SPEC('analysis: { noiseReplica: true, noiseTopic: alerts-twin }'), 0)), { jobId: 'fraud.noise', topic: 'alerts-twin' });
});

test('fork: the replica starts after the candidate, from the same savepoint, as the authoritative version on its own topic', () => {
  const { d, done } = drive(after(inPhase('Pending'), { type: 'start' }), { triggerSavepoint: { savepoint: SP }, preflight: OK_PREFLIGHT });
  assert.deepEqual(done.map(label), ['triggerSavepoint', 'preflight', 'startJob:fraud.candidate', 'startJob:fraud.noise', 'startAnalysis']);
  assert.equal(d.phase, 'Shadowing');
  const [cand, noise] = done.filter((e) => e.type === 'startJob') as Extract<Effect, { type: 'startJob' }>[];
  assert.deepEqual(noise!.from, { savepoint: '/sp/1' }, 'the same fork savepoint as the candidate');
  assert.deepEqual(cand!.from, { savepoint: '/sp/1', allowNonRestoredState: false });
  assert.equal(noise!.job, 'v1.ts', 'the authoritative version');
  assert.equal(noise!.sinkTopic, 'alerts-canary.noise');
  assert.notEqual(noise!.identity, cand!.identity, 'its own consumer identity');
  assert.notEqual(noise!.sinkTopic, 'alerts', 'never the authoritative topic');
});

test('fork without a savepoint: the replica starts at the same input position as the candidate', () => {
  const { done } = drive(after(inPhase('Pending', `${NOISE}\nstart: latest`), { type: 'start' }));
  assert.deepEqual(done.map(label), ['startJob:fraud.candidate', 'startJob:fraud.noise', 'startAnalysis']);
  const noise = done[1] as Extract<Effect, { type: 'startJob' }>;
  assert.deepEqual(noise.from, { input: 'latest' });
});

test('without noiseReplica nothing changes: no replica is started or stopped', () => {
  const { done } = drive(after(inPhase('Pending', ''), { type: 'start' }), { triggerSavepoint: { savepoint: SP }, preflight: OK_PREFLIGHT });
  assert.deepEqual(done.map(label), ['triggerSavepoint', 'preflight', 'startJob:fraud.candidate', 'startAnalysis']);
  const abort = transition(inPhase('Shadowing', ''), { type: 'abort', reason: 'x' }, 1);
  assert.ok(abort.ok);
  assert.ok(!abort.effects.some((e) => e.type === 'stopNoiseReplica'));
});

test('a resumed fork never starts a second replica: its completion is accepted once', () => {
  let d = after(inPhase('Pending'), { type: 'start' });
  d = drive(d, { triggerSavepoint: { savepoint: SP }, preflight: OK_PREFLIGHT }).d;
  const started = transition({ ...d, pending: [] }, { type: 'effectDone', id: 'fraud@5#0', result: {} }, 1);
  assert.equal(started.ok, false, 'a repeated completion is refused (EFFECT_NOT_PENDING)');
});

test('every way out stops the replica', async (t) => {
  const cases: [string, () => Deployment, string[]][] = [
    ['abort while shadowing', () => after(inPhase('Shadowing'), { type: 'abort', reason: 'x' }), ['stopAnalysis', 'stopWithSavepoint:fraud.candidate', 'stopNoiseReplica:fraud.noise']],
    ['abort while forking', () => after(inPhase('Forking'), { type: 'abort', reason: 'x' }), ['cancelJob:fraud.candidate', 'stopNoiseReplica:fraud.noise']],
    ['warm handoff', () => after(inPhase('Passed'), { type: 'promote' }), ['stopAnalysis', 'stopNoiseReplica:fraud.noise', 'warmHandoff']],
    ['cold handoff', () => after(inPhase('Passed', `${NOISE}\npromotion: { mode: cold }`), { type: 'promote' }), ['stopAnalysis', 'stopNoiseReplica:fraud.noise', 'cancelJob:fraud.candidate', 'prepareStandby', 'restoreStandby', 'coldHandoff']],
    ['cutover', () => after(inPhase('Passed', `${NOISE}\npromotion: { strategy: cutover, downstreamGroups: [billing] }`), { type: 'promote' }), ['stopAnalysis', 'stopNoiseReplica:fraud.noise', 'cutoverGroups', 'stopWithSavepoint:fraud']],
    ['rollback', () => after(inPhase('Promoted'), { type: 'rollback' }), ['stopNoiseReplica:fraud.noise', 'stopWithSavepoint:fraud.candidate', 'startJob:fraud', 'runUntil', 'switchSink']],
  ];
  for (const [name, begin, want] of cases) {
    await t.test(name, () => {
      const { d, done } = drive(begin(), { stopWithSavepoint: { savepoint: SP }, warmHandoff: { savepoint: SP, positions: [] }, coldHandoff: { savepoint: SP } });
      assert.deepEqual(done.map(label), want);
      assert.equal(d.pending.length, 0);
      if (d.phase === 'Promoted') assert.ok(d.promotion?.rollbackSavepoint, 'the plan still finds its own steps');
    });
  }
});

test('a fork that fails at the replica aborts and stops both new jobs; the authoritative job is untouched', () => {
  let d = after(inPhase('Pending'), { type: 'start' });
  for (const result of [{ savepoint: SP }, OK_PREFLIGHT, {}]) d = after(d, { type: 'effectDone', id: d.pending[0]!.id, result });
  assert.equal(label(d.pending[0]!.effect), 'startJob:fraud.noise');
  const f = transition(d, { type: 'effectFailed', id: d.pending[0]!.id, error: { code: 'ENGINE_JOB_START_FAILED', message: 'boom', retriable: false } }, 2);
  assert.ok(f.ok && f.next.phase === 'Aborted' && f.next.abort?.by === 'error');
  assert.deepEqual(f.next.pending.map((p) => label(p.effect)), ['cancelJob:fraud.candidate', 'stopNoiseReplica:fraud.noise']);
});
