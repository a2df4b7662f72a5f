import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment } from '../../orchestrator/lifecycle/model.ts';
import { gateAnswer } from './canary-gate.ts';

test('gateAnswer: the verdict, except a withdrawn deployment without a fail verdict (exit 4)', () => {
  const pass = { status: 'pass' as const, at: 1, reason: 'all checks passed' };
  const cases: [string, Partial<Deployment>, string, number][] = [
    ['no verdict yet', { phase: 'Shadowing' }, 'pending', 2],
    ['pass', { phase: 'Passed', verdict: pass }, 'pass', 0],
    ['promoted after a pass', { phase: 'Promoted', verdict: pass }, 'pass', 0],
    ['aborted by a person after a pass', { phase: 'Aborted', verdict: pass, abort: { at: 2, reason: 'release cancelled', by: 'user' } }, 'withdrawn', 4],
    ['rolled back after a pass', { phase: 'RolledBack', verdict: pass, rollback: { at: 3, steps: [], reason: 'alarms' } }, 'withdrawn', 4],
    ['aborted by a person before a verdict', { phase: 'Aborted', abort: { at: 2, reason: 'wrong spec', by: 'user' } }, 'withdrawn', 4],
    ['aborted after an inconclusive verdict', { phase: 'Aborted', verdict: { status: 'inconclusive', at: 1 }, abort: { at: 2, reason: 'x', by: 'user' } }, 'withdrawn', 4],
    ['auto-aborted on fail stays a fail', { phase: 'Aborted', verdict: { status: 'fail', at: 1 }, abort: { at: 2, reason: 'gate failed', by: 'auto' } }, 'fail', 1],
    ['rolled back after an override of a fail stays a fail', { phase: 'RolledBack', verdict: { status: 'fail', at: 1 }, rollback: { at: 3, steps: [] } }, 'fail', 1],
    ['a preflight refusal is an error', { phase: 'Aborted', abort: { at: 1, reason: 'x', by: 'preflight' } }, 'error', 3],
    ['a fork error is an error', { phase: 'Aborted', abort: { at: 1, reason: 'x', by: 'error' } }, 'error', 3],
  ];
  for (const [label, d, outcome, code] of cases) {
    const a = gateAnswer(d as Deployment);
    assert.deepEqual([a.outcome, a.exitCode], [outcome, code], label);
  }
  assert.match(gateAnswer({ phase: 'RolledBack', verdict: pass, rollback: { at: 3, steps: [], reason: 'alarms' } } as unknown as Deployment).because, /rolled back \(alarms\) after verdict pass: all checks passed/);
});
