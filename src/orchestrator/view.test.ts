import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment } from './lifecycle/model.ts';
import { gateOutcome } from './view.ts';

test('gateOutcome: the gate answer per stored record', () => {
  const cases: [string, Partial<Deployment>, string][] = [
    ['no verdict yet', { phase: 'Shadowing' }, 'pending'],
    ['pass', { phase: 'Passed', verdict: { status: 'pass', at: 1 } }, 'pass'],
    ['promoted after a pass', { phase: 'Promoted', verdict: { status: 'pass', at: 1 } }, 'pass'],
    ['fail', { phase: 'Failed', verdict: { status: 'fail', at: 1 } }, 'fail'],
    ['auto-aborted on fail', { phase: 'Aborted', verdict: { status: 'fail', at: 1 }, abort: { at: 2, reason: 'gate failed', by: 'auto' } }, 'fail'],
    ['inconclusive', { phase: 'Inconclusive', verdict: { status: 'inconclusive', at: 1 } }, 'inconclusive'],
    ['preflight refusal is an error, not a verdict', { phase: 'Aborted', abort: { at: 1, reason: 'x', by: 'preflight' } }, 'error'],
    ['fork error', { phase: 'Aborted', abort: { at: 1, reason: 'x', by: 'error' } }, 'error'],
    ['aborted by a user before a verdict', { phase: 'Aborted', abort: { at: 1, reason: 'x', by: 'user' } }, 'error'],
  ];
  for (const [label, d, want] of cases) assert.equal(gateOutcome(d as Deployment), want, label);
});
