import { test } from 'node:test';
import assert from 'node:assert/strict';
import { transition } from './transition.ts';
import { nextPromotionStep } from './plans.ts';
import { newDeployment, PHASES, type Deployment, type DeploymentEvent, type Effect, type Phase, type TransitionResult } from './model.ts';
import { SP, SPEC } from './test-support.ts';

/** A record in any phase, shaped as the controller would have left it there. */
function inPhase(phase: Phase, extra = ''): Deployment {
  const d = newDeployment(SPEC(extra), 0);
  const promoted = { strategy: 'savepoint-handoff' as const, mode: 'warm' as const, auto: false, startedAt: 1, steps: [], rollbackSavepoint: SP, completedAt: 2 };
  const by: Partial<Record<Phase, Partial<Deployment>>> = {
    Passed: { verdict: { status: 'pass', at: 1 } },
    Failed: { verdict: { status: 'fail', at: 1 } },
    Inconclusive: { verdict: { status: 'inconclusive', at: 1 } },
    Promoting: { verdict: { status: 'pass', at: 1 }, promotion: { ...promoted, completedAt: undefined }, pending: [{ id: 'fraud@1#0', effect: { type: 'stopAnalysis' } }] },
    Promoted: { verdict: { status: 'pass', at: 1 }, promotion: promoted },
    Aborted: { abort: { at: 1, by: 'user', reason: 'x' } },
    RolledBack: { promotion: promoted, rollback: { at: 3, steps: [], completedAt: 4 } },
  };
  return { ...d, phase, ...by[phase] };
}

const EVENTS: Record<string, DeploymentEvent> = {
  start: { type: 'start' },
  minimumReached: { type: 'minimumReached' },
  pass: { type: 'verdict', status: 'pass' },
  fail: { type: 'verdict', status: 'fail' },
  inconclusive: { type: 'verdict', status: 'inconclusive' },
  promote: { type: 'promote' },
  promoteOverride: { type: 'promote', override: { reason: 'known flaky check' } },
  abort: { type: 'abort', reason: 'operator said so' },
  rollback: { type: 'rollback' },
};

/**
 * The whole table: every phase × every external event → the next phase, or the
 * refusal code. Anything not listed would be a bug, so every cell is written out.
 */
const TABLE: Record<Phase, Record<keyof typeof EVENTS, Phase | `!${string}`>> = {
  Pending: { start: 'Forking', minimumReached: '!NOT_SHADOWING', pass: '!VERDICT_NOT_ACCEPTED', fail: '!VERDICT_NOT_ACCEPTED', inconclusive: '!VERDICT_NOT_ACCEPTED', promote: '!NO_VERDICT', promoteOverride: '!NO_VERDICT', abort: 'Aborted', rollback: '!NOT_PROMOTED' },
  Forking: { start: '!ALREADY_STARTED', minimumReached: '!NOT_SHADOWING', pass: '!VERDICT_NOT_ACCEPTED', fail: '!VERDICT_NOT_ACCEPTED', inconclusive: '!VERDICT_NOT_ACCEPTED', promote: '!NO_VERDICT', promoteOverride: '!NO_VERDICT', abort: 'Aborted', rollback: '!NOT_PROMOTED' },
  Shadowing: { start: '!ALREADY_STARTED', minimumReached: 'Analyzing', pass: '!MINIMUM_NOT_MET', fail: 'Failed', inconclusive: '!MINIMUM_NOT_MET', promote: '!NO_VERDICT', promoteOverride: '!NO_VERDICT', abort: 'Aborted', rollback: '!NOT_PROMOTED' },
  Analyzing: { start: '!ALREADY_STARTED', minimumReached: '!NOT_SHADOWING', pass: 'Passed', fail: 'Failed', inconclusive: 'Inconclusive', promote: '!NO_VERDICT', promoteOverride: '!NO_VERDICT', abort: 'Aborted', rollback: '!NOT_PROMOTED' },
  Passed: { start: '!ALREADY_STARTED', minimumReached: '!NOT_SHADOWING', pass: '!VERDICT_NOT_ACCEPTED', fail: 'Failed', inconclusive: '!VERDICT_NOT_ACCEPTED', promote: 'Promoting', promoteOverride: 'Promoting', abort: 'Aborted', rollback: '!NOT_PROMOTED' },
  Failed: { start: '!ALREADY_STARTED', minimumReached: '!NOT_SHADOWING', pass: '!VERDICT_NOT_ACCEPTED', fail: '!VERDICT_NOT_ACCEPTED', inconclusive: '!VERDICT_NOT_ACCEPTED', promote: '!VERDICT_NOT_PASS', promoteOverride: 'Promoting', abort: 'Aborted', rollback: '!NOT_PROMOTED' },
  Inconclusive: { start: '!ALREADY_STARTED', minimumReached: '!NOT_SHADOWING', pass: 'Passed', fail: 'Failed', inconclusive: 'Inconclusive', promote: '!VERDICT_NOT_PASS', promoteOverride: 'Promoting', abort: 'Aborted', rollback: '!NOT_PROMOTED' },
  Promoting: { start: '!ALREADY_STARTED', minimumReached: '!NOT_SHADOWING', pass: '!VERDICT_NOT_ACCEPTED', fail: '!VERDICT_NOT_ACCEPTED', inconclusive: '!VERDICT_NOT_ACCEPTED', promote: '!ALREADY_PROMOTING', promoteOverride: '!ALREADY_PROMOTING', abort: '!NOT_ABORTABLE', rollback: '!NOT_PROMOTED' },
  Promoted: { start: '!ALREADY_STARTED', minimumReached: '!NOT_SHADOWING', pass: '!VERDICT_NOT_ACCEPTED', fail: '!VERDICT_NOT_ACCEPTED', inconclusive: '!VERDICT_NOT_ACCEPTED', promote: '!ALREADY_PROMOTED', promoteOverride: '!ALREADY_PROMOTED', abort: '!NOT_ABORTABLE', rollback: 'RolledBack' },
  Aborted: { start: '!ALREADY_STARTED', minimumReached: '!NOT_SHADOWING', pass: '!VERDICT_NOT_ACCEPTED', fail: '!VERDICT_NOT_ACCEPTED', inconclusive: '!VERDICT_NOT_ACCEPTED', promote: '!DEPLOYMENT_FINISHED', promoteOverride: '!DEPLOYMENT_FINISHED', abort: '!NOT_ABORTABLE', rollback: '!NOT_PROMOTED' },
  RolledBack: { start: '!ALREADY_STARTED', minimumReached: '!NOT_SHADOWING', pass: '!VERDICT_NOT_ACCEPTED', fail: '!VERDICT_NOT_ACCEPTED', inconclusive: '!VERDICT_NOT_ACCEPTED', promote: '!DEPLOYMENT_FINISHED', promoteOverride: '!DEPLOYMENT_FINISHED', abort: '!NOT_ABORTABLE', rollback: '!ALREADY_ROLLED_BACK' },
};

function outcome(r: TransitionResult): string {
  return r.ok ? r.next.phase : `!${r.code}`;
}

test('every phase × every external event: the next phase or the refusal', async (t) => {
  assert.deepEqual(Object.keys(TABLE).sort(), [...PHASES].sort(), 'the table covers every phase');
  for (const phase of PHASES) {
    for (const [name, event] of Object.entries(EVENTS)) {
      await t.test(`${phase} + ${name}`, () => {
        const d = inPhase(phase);
        const r = transition(d, event, 100);
        assert.equal(outcome(r), TABLE[phase][name as keyof typeof EVENTS]);
        if (r.ok) {
          assert.equal(r.next.revision, d.revision + 1, 'every transition is one revision');
          assert.equal(r.next.updatedAt, 100);
          for (const p of r.next.pending.slice(d.pending.length)) assert.match(p.id, new RegExp(`^fraud@${d.revision + 1}#\\d+$`));
        } else {
          assert.ok(r.reason.length > 0 && r.hint.length > 0, 'a refusal says why and what to do');
        }
      });
    }
  }
});

test('the effects of each legal external transition', () => {
  const effects = (d: Deployment, e: DeploymentEvent) => {
    const r = transition(d, e, 1);
    assert.ok(r.ok, JSON.stringify(r));
    return r.effects.map((x) => x.type);
  };
  assert.deepEqual(effects(inPhase('Pending'), EVENTS.start!), ['triggerSavepoint']);
  assert.deepEqual(effects(inPhase('Pending', 'start: earliest'), EVENTS.start!), ['startJob'], 'no fork: start the candidate from the input');
  assert.deepEqual(effects(inPhase('Pending'), EVENTS.abort!), []);
  assert.deepEqual(effects(inPhase('Forking'), EVENTS.abort!), ['cancelJob']);
  for (const p of ['Shadowing', 'Analyzing', 'Passed', 'Failed', 'Inconclusive'] as const) {
    assert.deepEqual(effects(inPhase(p), EVENTS.abort!), ['stopAnalysis', 'stopWithSavepoint'], `abort from ${p} keeps a debug savepoint`);
  }
  assert.deepEqual(effects(inPhase('Passed'), EVENTS.promote!), ['stopAnalysis']);
  assert.deepEqual(effects(inPhase('Promoted'), EVENTS.rollback!), ['stopWithSavepoint']);
  assert.deepEqual(effects(inPhase('Analyzing'), EVENTS.pass!), [], 'without auto, a pass waits for a person');
});

test('auto promotion: pass promotes, fail aborts keeping the candidate savepoint, inconclusive waits', () => {
  const d = inPhase('Analyzing', 'promotion: { auto: true }');
  const pass = transition(d, EVENTS.pass!, 1);
  assert.ok(pass.ok && pass.next.phase === 'Promoting' && pass.next.promotion?.auto === true);
  const fail = transition(d, EVENTS.fail!, 1);
  assert.ok(fail.ok && fail.next.phase === 'Aborted' && fail.next.abort?.by === 'auto');
  assert.deepEqual(fail.ok && fail.effects.map((e) => e.type), ['stopAnalysis', 'stopWithSavepoint']);
  const early = transition(inPhase('Shadowing', 'promotion: { auto: true }'), EVENTS.fail!, 1);
  assert.ok(early.ok && early.next.phase === 'Aborted', 'a failure before the minimum aborts too');
  const inc = transition(d, EVENTS.inconclusive!, 1);
  assert.ok(inc.ok && inc.next.phase === 'Inconclusive');
});

test('override promotion records its reason; an empty reason is refused', () => {
  const r = transition(inPhase('Failed'), EVENTS.promoteOverride!, 1);
  assert.ok(r.ok && r.next.promotion?.override?.reason === 'known flaky check');
  const empty = transition(inPhase('Inconclusive'), { type: 'promote', override: { reason: '  ' } }, 1);
  assert.equal(outcome(empty), '!VERDICT_NOT_PASS');
  const passed = transition(inPhase('Passed'), EVENTS.promoteOverride!, 1);
  assert.ok(passed.ok && passed.next.promotion?.override === undefined, 'a passed candidate needs no override');
});

test('abort and rollback refusals that depend on more than the phase', () => {
  assert.equal(outcome(transition(inPhase('Passed'), { type: 'abort', reason: '' }, 1)), '!REASON_REQUIRED');
  const noSp = inPhase('Promoted');
  assert.equal(outcome(transition({ ...noSp, promotion: { ...noSp.promotion!, rollbackSavepoint: undefined } }, EVENTS.rollback!, 1)), '!NO_ROLLBACK_SAVEPOINT');
  assert.equal(outcome(transition(inPhase('Promoted', 'rollback: { keepSavepoint: false }'), EVENTS.rollback!, 1)), '!NO_ROLLBACK_SAVEPOINT');
  const busy = { ...inPhase('Passed'), pending: [{ id: 'fraud@1#0', effect: { type: 'startAnalysis' as const } }] };
  assert.equal(outcome(transition(busy, EVENTS.promote!, 1)), '!EFFECTS_PENDING');
});

/** Drives a deployment by completing each pending effect with a canned result. */
function drive(d: Deployment, results: Partial<Record<string, object>> = {}): { d: Deployment; done: string[] } {
  const done: string[] = [];
  let cur = d;
  for (let n = 0; cur.pending.length > 0 && n < 50; n++) {
    const head = cur.pending[0]!;
    const r = transition(cur, { type: 'effectDone', id: head.id, result: (results[head.effect.type] ?? {}) as never }, 10 + n);
    assert.ok(r.ok, JSON.stringify(r));
    done.push(head.effect.type);
    cur = r.next;
  }
  return { d: cur, done };
}

test('fork: savepoint → preflight → start candidate → Shadowing', () => {
  const started = transition(inPhase('Pending'), EVENTS.start!, 1);
  assert.ok(started.ok);
  const { d, done } = drive(started.next, { triggerSavepoint: { savepoint: SP }, preflight: { report: { compatible: true, refusals: [], notes: [] } } });
  assert.deepEqual(done, ['triggerSavepoint', 'preflight', 'startJob', 'startAnalysis']);
  assert.equal(d.phase, 'Shadowing');
  assert.equal(d.fork?.savepoint.location, '/sp/1');
});

test('preflight refusal stops at Aborted with the report, nothing stopped', () => {
  const started = transition(inPhase('Pending'), EVENTS.start!, 1);
  assert.ok(started.ok);
  const { d, done } = drive(started.next, { triggerSavepoint: { savepoint: SP }, preflight: { report: { compatible: false, refusals: ['process(profile): state "score" changed type; add a default'], notes: [] } } });
  assert.deepEqual(done, ['triggerSavepoint', 'preflight']);
  assert.equal(d.phase, 'Aborted');
  assert.equal(d.abort?.by, 'preflight');
  assert.match(d.abort?.reason ?? '', /state "score"/);
  assert.equal(d.pending.length, 0, 'no stop or cancel of anything');
});

test('a candidate that crashes at start aborts the fork and cancels it', () => {
  const d0 = inPhase('Pending', 'start: latest');
  const s = transition(d0, EVENTS.start!, 1);
  assert.ok(s.ok);
  const f = transition(s.next, { type: 'effectFailed', id: s.next.pending[0]!.id, error: { code: 'ENGINE_JOB_FAILED', message: 'boom', retriable: false } }, 2);
  assert.ok(f.ok && f.next.phase === 'Aborted' && f.next.abort?.by === 'error');
  assert.deepEqual(f.next.pending.map((p) => p.effect.type), ['cancelJob']);
});

test('a failed promotion step stays pending for a retry; the promotion is never skipped', () => {
  const p = transition(inPhase('Passed'), EVENTS.promote!, 1);
  assert.ok(p.ok);
  const id = p.next.pending[0]!.id;
  const f = transition(p.next, { type: 'effectFailed', id, error: { code: 'X', message: 'broker down', retriable: true } }, 2);
  assert.ok(f.ok && f.next.phase === 'Promoting' && f.next.pending[0]?.id === id && f.next.lastError?.code === 'X');
});

test('completions are accepted only for the head pending effect (no double advance)', () => {
  const p = transition(inPhase('Passed'), EVENTS.promote!, 1);
  assert.ok(p.ok);
  const id = p.next.pending[0]!.id;
  const once = transition(p.next, { type: 'effectDone', id, result: {} }, 2);
  assert.ok(once.ok);
  assert.equal(outcome(transition(once.next, { type: 'effectDone', id, result: {} }, 3)), '!EFFECT_NOT_PENDING');
  assert.equal(outcome(transition(p.next, { type: 'effectDone', id: 'fraud@99#0', result: {} }, 3)), '!EFFECT_NOT_PENDING');
});

test('promotion sequences per strategy, pit stop, active topic and live job', async (t) => {
  const cases: [string, string, string[], Partial<Deployment>][] = [
    ['warm handoff', '', ['stopAnalysis', 'warmHandoff'], { activeTopic: 'alerts' }],
    ['cold handoff', 'promotion: { mode: cold }', ['stopAnalysis', 'cancelJob', 'prepareStandby', 'restoreStandby', 'coldHandoff'], { activeTopic: 'alerts' }],
    ['cutover', 'promotion: { strategy: cutover, downstreamGroups: [billing] }', ['stopAnalysis', 'cutoverGroups', 'stopWithSavepoint'], { activeTopic: 'alerts-canary' }],
  ];
  for (const [label, extra, steps, want] of cases) {
    await t.test(label, () => {
      const p = transition(inPhase('Passed', extra), EVENTS.promote!, 1);
      assert.ok(p.ok);
      const { d, done } = drive(p.next, {
        alignJobs: { positions: SP.sourceOffsets, lastOutputAt: 1000 },
        stopWithSavepoint: { savepoint: { ...SP, completedAt: 1010 }, lastOutputAt: 1000 },
        switchSink: { firstOutputAt: 1040, at: 1030 },
        warmHandoff: { positions: SP.sourceOffsets, lastOutputAt: 1000, fencedAt: 1020, savepoint: { ...SP, completedAt: 1060 }, firstOutputAt: 1040, at: 1065 },
        startJob: { firstOutputAt: 2500, at: 2400 },
        restoreStandby: { savepoint: { ...SP, location: '/sp/base', completedAt: 900 } },
        // With a delta the full savepoint is written after the new job's first output: the stop is stoppedAt.
        coldHandoff: { savepoint: { ...SP, completedAt: 3000 }, stoppedAt: 1010, lastOutputAt: 1000, firstOutputAt: 2500, standby: true, at: 3010 },
        cutoverGroups: { groups: [{ groupId: 'billing', offsets: [], forced: false }] },
      });
      assert.deepEqual(done, steps);
      assert.equal(d.phase, 'Promoted');
      assert.equal(d.activeTopic, want.activeTopic);
      assert.deepEqual(d.promotion?.rollbackSavepoint?.location, '/sp/1', 'the old job savepoint is kept for rollback');
      if (label === 'warm handoff') assert.deepEqual(d.promotion?.pitStop, { outputGapMs: 40, noWriterMs: 20 });
      if (label === 'cold handoff') {
        assert.deepEqual(d.promotion?.pitStop, { outputGapMs: 1500, noWriterMs: 1490 });
        assert.equal(d.jobs.live, 'fraud.promoted');
        assert.equal(d.promotion?.steps.find((s) => s.type === 'coldHandoff')?.result.standby, true);
      }
      if (label === 'warm handoff') assert.equal(d.jobs.live, 'fraud.candidate');
      // Never twice.
      assert.equal(outcome(transition(d, EVENTS.promote!, 99)), '!ALREADY_PROMOTED');
    });
  }
});

test('cold handoff: the standby is the job the handoff starts, on the authoritative topic, with its own identity', () => {
  const p = transition(inPhase('Passed', 'promotion: { mode: cold }'), EVENTS.promote!, 1);
  assert.ok(p.ok);
  let d = p.next;
  const seen: Effect[] = [];
  const results = [{}, {}, {}, { savepoint: { ...SP, location: '/sp/base' } }, { savepoint: { ...SP, location: '/sp/final' } }];
  for (const result of results) {
    seen.push(d.pending[0]!.effect);
    const r = transition(d, { type: 'effectDone', id: d.pending[0]!.id, result }, 2);
    assert.ok(r.ok);
    d = r.next;
  }
  const [, cancel, standby, restore, handoff] = seen;
  assert.ok(cancel?.type === 'cancelJob' && cancel.jobId === 'fraud.candidate', 'the shadow candidate stops first');
  assert.ok(standby?.type === 'prepareStandby' && restore?.type === 'restoreStandby' && handoff?.type === 'coldHandoff');
  const { type: _, ...prepared } = standby;
  assert.deepEqual({ ...handoff.start, allowNonRestoredState: false }, { ...prepared, allowNonRestoredState: false }, 'the standby is exactly the job the handoff starts');
  assert.deepEqual(restore.standby, handoff.start, 'the base goes into that same standby');
  assert.equal(restore.from, 'fraud');
  assert.equal(handoff.base, '/sp/base', 'the handoff hands over the changes since the base the standby restored');
  assert.equal(handoff.from, 'fraud');
  assert.equal(standby.sinkTopic, 'alerts');
  assert.notEqual(standby.identity, 'pitlane.fraud.fraud', 'never the old job\'s transactional identity');
  assert.equal(d.promotion?.rollbackSavepoint?.location, '/sp/final');
});

test('a cold promotion recorded before restoreStandby existed resumes: its handoff has no base, and nothing follows it', () => {
  const base = inPhase('Passed', 'promotion: { mode: cold }');
  const steps = ['stopAnalysis', 'cancelJob', 'prepareStandby'].map((type, i) => ({ id: `x${i}`, type: type as Effect['type'], result: {} }));
  const d = { ...base, phase: 'Promoting' as const, promotion: { strategy: 'savepoint-handoff' as const, mode: 'cold' as const, auto: false, startedAt: 1, steps } };
  assert.equal(nextPromotionStep(d)?.type, 'restoreStandby', 'a fresh plan restores the standby first');
  const pendingOld = { ...d, pending: [{ id: 'fraud@9#0', effect: { type: 'coldHandoff' as const, from: 'fraud', start: { jobId: 'fraud.promoted', job: 'v2.ts', sinkTopic: 'alerts', identity: 'pitlane.fraud.fraud.promoted', allowNonRestoredState: false } } }] };
  const r = transition(pendingOld, { type: 'effectDone', id: 'fraud@9#0', result: { savepoint: SP } }, 5);
  assert.ok(r.ok);
  assert.equal(r.next.phase, 'Promoted');
});

test('a cold promotion recorded by the two-step plan (stop, then start) still finishes', () => {
  const base = inPhase('Passed', 'promotion: { mode: cold }');
  const steps = [
    { id: 'a', type: 'stopAnalysis' as const, result: {} },
    { id: 'b', type: 'cancelJob' as const, result: {} },
    { id: 'c', type: 'stopWithSavepoint' as const, result: { savepoint: { ...SP, location: '/sp/old' } } },
  ];
  const d = { ...base, phase: 'Promoting' as const, promotion: { strategy: 'savepoint-handoff' as const, mode: 'cold' as const, auto: false, startedAt: 1, steps } };
  const next = nextPromotionStep(d);
  assert.ok(next?.type === 'startJob' && 'savepoint' in next.from && next.from.savepoint === '/sp/old');
  assert.equal(nextPromotionStep({ ...d, promotion: { ...d.promotion, steps: [...steps, { id: 'd', type: 'startJob' as const, result: {} }] } }), null);
});

test('rollback sequences: handoff replays to the stop offsets before taking the topic; cutover moves groups back', () => {
  const hand = transition(inPhase('Promoted'), EVENTS.rollback!, 1);
  assert.ok(hand.ok);
  const h = drive(hand.next, { stopWithSavepoint: { savepoint: { ...SP, sourceOffsets: [{ topic: 'payments', partition: 0, offset: 99 }] } } });
  assert.deepEqual(h.done, ['stopWithSavepoint', 'startJob', 'runUntil', 'switchSink']);
  const runUntil = h.d.rollback?.steps.find((s) => s.type === 'runUntil');
  assert.ok(runUntil);
  assert.equal(h.d.jobs.live, 'fraud');
  assert.equal(h.d.activeTopic, 'alerts');
  assert.ok(h.d.rollback?.completedAt !== undefined);

  const cut = inPhase('Promoted', 'promotion: { strategy: cutover, downstreamGroups: [billing] }');
  const c = transition({ ...cut, activeTopic: 'alerts-canary', promotion: { ...cut.promotion!, strategy: 'cutover', mode: undefined } }, EVENTS.rollback!, 1);
  assert.ok(c.ok);
  const cd = drive(c.next);
  assert.deepEqual(cd.done, ['startJob', 'cutoverGroups', 'stopWithSavepoint']);
  assert.equal(cd.d.activeTopic, 'alerts');
});

test('an abort whose candidate is down already goes on without its debug savepoint; any other failure of the stop stays pending', () => {
  const a = transition(inPhase('Analyzing'), EVENTS.abort!, 1);
  assert.ok(a.ok);
  const stop = a.next.pending.find((p) => p.effect.type === 'stopWithSavepoint')!;
  const atStop = { ...a.next, pending: a.next.pending.slice(a.next.pending.indexOf(stop)) };
  const down = transition(atStop, { type: 'effectFailed', id: stop.id, error: { code: 'ENGINE_JOB_NOT_RUNNING', message: 'Job fraud.candidate is not running on Flink', retriable: false } }, 2);
  assert.ok(down.ok);
  assert.deepEqual([down.next.phase, down.next.pending.length, down.next.abort?.debugSavepoint, down.next.lastError?.code], ['Aborted', 0, undefined, 'ENGINE_JOB_NOT_RUNNING']);
  const other = transition(atStop, { type: 'effectFailed', id: stop.id, error: { code: 'FLINK_UNREACHABLE', message: 'no answer', retriable: true } }, 2);
  assert.ok(other.ok);
  assert.equal(other.next.pending[0]?.id, stop.id, 'retried by resume');
});
