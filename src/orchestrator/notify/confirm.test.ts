/**
 * The confirm hook in the controller: asked once a promote is accepted and before
 * anything is recorded or performed. A no holds the promotion (nothing recorded,
 * no engine call); a yes lets it begin; an auto-promotion that is held is recorded
 * as Passed. The HTTP side is a fake port here (http.test.ts covers the real one).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryDeploymentStore } from '../store/port.ts';
import { DeploymentController } from '../controller/controller.ts';
import { silentLogger } from '../../logger.ts';
import { PromotionError } from '../../errors.ts';
import type { EngineAdapter } from '../../engines/adapter.ts';
import { httpConfirm } from './confirm.ts';
import type { PostJson, PostOutcome, PostRequest } from './http.ts';
import { LINKS, done, history, pass } from './test-support.ts';
import { heldAutoPromotion } from '../analysis/shadow.ts';
import type { ComparisonReport } from '../../compare/index.ts';

const CONFIRM = 'promotion: { confirm: { url: "http://127.0.0.1:9/approve?key=s3cret", timeout: 2s }AUTO }\nnotify: [{ url: "http://127.0.0.1:9/hook" }]\n';

/** An engine every call of which is recorded and refused: what a held promotion must never reach. */
function recordingEngine(calls: string[]): EngineAdapter {
  return new Proxy({ engine: 'embedded' } as EngineAdapter, {
    get: (target, prop) => (prop === 'engine' ? target.engine : async (...args: unknown[]) => {
      calls.push(`${String(prop)} ${String(args[0])}`);
      throw new PromotionError('FAKE_ENGINE', 'not in this test');
    }),
  });
}

async function setup(phase: 'Passed' | 'Analyzing', answers: PostOutcome[], auto = false) {
  const steps = [
    [{ type: 'start' }, { phase: 'Forking' }],
    [done('a'), { phase: 'Shadowing' }],
    [{ type: 'minimumReached' }, { phase: 'Analyzing' }],
    ...(phase === 'Passed' ? [[{ type: 'verdict', status: 'pass' }, { phase: 'Passed', verdict: pass }]] : []),
  ] as Parameters<typeof history>[0];
  const store = new MemoryDeploymentStore();
  for (const e of history(steps, CONFIRM.replace('AUTO', auto ? ', auto: true' : ''))) await store.append(e);
  const asked: PostRequest[] = [];
  const post: PostJson = async (r) => {
    asked.push(r);
    return answers[Math.min(asked.length, answers.length) - 1]!;
  };
  const calls: string[] = [];
  const kicks: string[] = [];
  const controller = new DeploymentController({ store, engines: { adapter: () => recordingEngine(calls) }, clock: { now: () => 100_000 }, logger: silentLogger(), confirm: httpConfirm(post, () => LINKS), notifier: { kick: (n) => kicks.push(n) } });
  return { store, controller, asked, calls, kicks };
}

const no: PostOutcome = { answered: true, status: 403, excerpt: 'change freeze until Monday' };
const yes: PostOutcome = { answered: true, status: 200, excerpt: '' };

test('a 403 holds the promotion: a clear error, nothing recorded, nothing stopped; promote again later works', async () => {
  const s = await setup('Passed', [no, yes]);
  const before = await s.store.load('fraud');
  await assert.rejects(s.controller.dispatch('fraud', { type: 'promote', by: 'alice via cli' }), (e: unknown) => {
    assert.ok(e instanceof PromotionError);
    assert.equal(e.code, 'PROMOTION_HELD');
    assert.equal(e.message, 'the confirm hook at http://127.0.0.1:9/approve answered 403 ("change freeze until Monday"): the promotion of fraud is held. Nothing was stopped; fraud stays Passed.');
    assert.match(e.hint ?? '', /--skip-confirm/);
    return true;
  });
  assert.deepEqual(await s.store.load('fraud'), before, 'nothing recorded');
  assert.deepEqual(s.calls, [], 'no engine call');
  const body = s.asked[0]!.body as { event: string; deployment: string; phase: string; action: { by: string } };
  assert.deepEqual([body.event, body.deployment, body.phase, body.action.by], ['confirm-promotion', 'fraud', 'Passed', 'alice via cli']);
  assert.equal(s.asked[0]!.timeoutMs, 2000);

  // The hook approves now: the promotion begins (this test's engine then refuses the handoff step).
  await assert.rejects(s.controller.dispatch('fraud', { type: 'promote', by: 'alice via cli' }), /DEPLOYMENT_STEP_FAILED|warmHandoff/);
  assert.equal((await s.store.load('fraud'))?.phase, 'Promoting');
  assert.ok(s.calls.length > 0);
});

test('a timeout or a refused connection holds it too, and says so', async () => {
  const s = await setup('Passed', [{ answered: false, error: 'did not answer within 2000ms (timeout)' }]);
  await assert.rejects(s.controller.dispatch('fraud', { type: 'promote' }), /confirm hook at http:\/\/127\.0\.0\.1:9\/approve did not answer within 2000ms \(timeout\): the promotion of fraud is held/);
  assert.equal((await s.store.load('fraud'))?.phase, 'Passed');
});

test('--override-verdict still asks the hook (and tells it); --skip-confirm does not ask, and needs a reason', async () => {
  const failed = await setup('Analyzing', [no]);
  await failed.controller.dispatch('fraud', { type: 'verdict', status: 'fail', reason: 'count' });
  await assert.rejects(failed.controller.dispatch('fraud', { type: 'promote', override: { reason: 'known count change' } }), /PROMOTION_HELD|is held/);
  assert.equal((failed.asked[0]!.body as { override: string }).override, 'known count change');
  assert.equal((await failed.store.load('fraud'))?.phase, 'Failed');

  const s = await setup('Passed', [no]);
  await assert.rejects(s.controller.dispatch('fraud', { type: 'promote', skipConfirm: { reason: ' ' } }), /needs a reason/);
  await assert.rejects(s.controller.dispatch('fraud', { type: 'promote', skipConfirm: { reason: 'approved by phone, CHG-1' }, by: 'bob via cli' }), /DEPLOYMENT_STEP_FAILED|warmHandoff/);
  assert.equal(s.asked.length, 0, 'the hook was not asked');
  const h = await s.store.history('fraud');
  assert.deepEqual(h.find((e) => e.to === 'Promoting')?.event, { type: 'promote', skipConfirm: { reason: 'approved by phone, CHG-1' }, by: 'bob via cli' });
});

test('auto promotion held by the hook: the pass is recorded as Passed (with why), and the webhooks are told', async () => {
  const s = await setup('Analyzing', [no], true);
  const d = await s.controller.dispatch('fraud', { type: 'verdict', status: 'pass', reason: 'all good' });
  assert.equal(d.phase, 'Passed');
  assert.deepEqual(s.calls, []);
  const last = (await s.store.history('fraud')).at(-1)!;
  assert.equal(last.event.type === 'verdict' && last.event.held, 'the confirm hook at http://127.0.0.1:9/approve answered 403 ("change freeze until Monday")');
  assert.deepEqual(s.kicks, ['fraud'], 'the passed event is owed to the webhook');
  // The supervisor asks again while the candidate keeps passing.
  const report = { verdict: 'Successful' } as ComparisonReport;
  assert.deepEqual(heldAutoPromotion(d, report), { type: 'promote', by: 'auto (the confirm hook asked again)' });
  assert.equal(heldAutoPromotion(d, { verdict: 'Failed' } as ComparisonReport), undefined);
  assert.equal(heldAutoPromotion({ ...d, spec: { ...d.spec, promotion: { ...d.spec.promotion, auto: false } } }, report), undefined);
});

test('without a confirm hook nothing is asked', async () => {
  const store = new MemoryDeploymentStore();
  for (const e of history([[{ type: 'start' }, { phase: 'Forking' }], [{ type: 'verdict', status: 'pass' }, { phase: 'Passed', verdict: pass }]], '')) await store.append(e);
  let asked = 0;
  const c = new DeploymentController({ store, engines: { adapter: () => recordingEngine([]) }, clock: { now: () => 1 }, logger: silentLogger(), confirm: httpConfirm(async () => (asked++, yes), () => LINKS) });
  await assert.rejects(c.dispatch('fraud', { type: 'promote' }), /DEPLOYMENT_STEP_FAILED|warmHandoff/);
  assert.equal(asked, 0);
});

test('no delivery competes with a promotion in flight: its events wait for its end (or a resume)', async () => {
  const s = await setup('Analyzing', [yes], true);
  await assert.rejects(s.controller.dispatch('fraud', { type: 'verdict', status: 'pass' }), /DEPLOYMENT_STEP_FAILED|warmHandoff/);
  const d = await s.store.load('fraud');
  assert.equal(d?.phase, 'Promoting');
  assert.ok(d!.pending.length > 0, 'a step is still pending');
  assert.deepEqual(s.kicks, [], 'the passed event is owed, but not sent mid-promotion');
  await assert.rejects(s.controller.resume('fraud'));
  assert.deepEqual(s.kicks, ['fraud'], 'resume hands what is owed to the notifier');
});
