import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newDeployment, type Deployment, type Effect } from '../lifecycle/model.ts';
import { SPEC } from '../lifecycle/test-support.ts';
import { retentionJobsAfter, savepointsTaken } from './taken.ts';

const sp = { location: '/sp/1', sourceOffsets: [], completedAt: 1 };

test('savepointsTaken: each step that takes a savepoint, with its job and why', () => {
  const cases: [Effect, [string, string][]][] = [
    [{ type: 'triggerSavepoint', jobId: 'fraud' }, [['fraud', 'fork']]],
    [{ type: 'stopWithSavepoint', jobId: 'fraud', keep: 'rollback' }, [['fraud', 'handoff']]],
    [{ type: 'stopWithSavepoint', jobId: 'fraud.candidate', keep: 'debug' }, [['fraud.candidate', 'debug']]],
    [{ type: 'warmHandoff', from: 'fraud', to: 'fraud.candidate', jobId: 'fraud.candidate', fence: 'can' }, [['fraud', 'handoff']]],
    [{ type: 'coldHandoff', from: 'fraud', start: { jobId: 'fraud.promoted', job: 'v2.ts', sinkTopic: 'out', identity: 'i', allowNonRestoredState: false } }, [['fraud', 'handoff']]],
    [{ type: 'restoreStandby', from: 'fraud', standby: { jobId: 'fraud.promoted', job: 'v2.ts', sinkTopic: 'out', identity: 'i', allowNonRestoredState: false } }, []],
    [{ type: 'cancelJob', jobId: 'fraud' }, []],
  ];
  for (const [effect, want] of cases) assert.deepEqual(savepointsTaken(effect, { savepoint: sp }).map((t) => [t.jobId, t.trigger]), want, effect.type);
  assert.deepEqual(savepointsTaken({ type: 'triggerSavepoint', jobId: 'fraud' }, {}), [], 'no savepoint in the result, none recorded');
});

test('retentionJobsAfter: never inside a promotion or rollback; every job once one completes', () => {
  const d = newDeployment(SPEC(), 0);
  const at = (phase: Deployment['phase'], more: Partial<Deployment> = {}): Deployment => ({ ...d, phase, ...more });
  const stop: Effect = { type: 'stopWithSavepoint', jobId: 'fraud', keep: 'rollback' };
  const all = ['fraud', 'fraud.candidate', 'fraud.promoted'];
  const cases: [string, Effect, Deployment, Deployment, string[]][] = [
    ['the fork', { type: 'triggerSavepoint', jobId: 'fraud' }, at('Forking'), at('Forking'), ['fraud']],
    ['the stop of a plain cold handoff: the new job is not started yet', stop, at('Promoting'), at('Promoting'), []],
    ['the promotion completes', { type: 'startJob', jobId: 'fraud.promoted', job: 'v2.ts', from: { savepoint: '/sp/1' }, sinkTopic: 'out', identity: 'i' }, at('Promoting'), at('Promoted'), all],
    ['a rollback in flight', stop, at('Promoted'), at('RolledBack', { rollback: { at: 1, steps: [] } }), []],
    ['a rollback completes', stop, at('RolledBack', { rollback: { at: 1, steps: [] } }), at('RolledBack', { rollback: { at: 1, steps: [], completedAt: 2 } }), all],
    ['an abort\'s debug savepoint', { type: 'stopWithSavepoint', jobId: 'fraud.candidate', keep: 'debug' }, at('Aborted'), at('Aborted'), ['fraud.candidate']],
  ];
  for (const [label, effect, before, after, want] of cases) assert.deepEqual(retentionJobsAfter(effect, { savepoint: sp }, before, after).sort(), want.sort(), label);
});
