/**
 * Fixtures of the notify unit tests: deployment histories built step by step (the
 * event and the record changes it made), with two webhooks in the spec.
 */
import { newDeployment, type Deployment, type TransitionEntry } from '../lifecycle/model.ts';
import { SPEC } from '../lifecycle/test-support.ts';

export const HOOKS = 'notify:\n  - { url: "http://127.0.0.1:9/all" }\n  - { url: "http://127.0.0.1:9/promoted?token=s3cret", on: [promoted] }\n';
export const LINKS = { json: '/s/report.json', html: '/s/report.html' };

/** A history built step by step: each step is the event and the record's changes it made. */
export function history(steps: readonly [TransitionEntry['event'], Partial<Deployment>][], extra = HOOKS): TransitionEntry[] {
  let d = newDeployment(SPEC(extra), 1000);
  const out: TransitionEntry[] = [{ name: d.name, revision: d.revision, at: d.updatedAt, from: null, to: d.phase, event: { type: 'create' }, record: d }];
  for (const [event, changes] of steps) {
    const next: Deployment = { ...d, ...changes, revision: d.revision + 1, updatedAt: d.updatedAt + 1000 };
    out.push({ name: d.name, revision: next.revision, at: next.updatedAt, from: d.phase, to: next.phase, event, record: next });
    d = next;
  }
  return out;
}

export const done = (id: string) => ({ type: 'effectDone' as const, id, result: {} });
export const pass = { status: 'pass' as const, at: 5000, reason: 'all checks passed' };

export const PROMOTED = history([
  [{ type: 'start' }, { phase: 'Forking' }],
  [done('a'), { phase: 'Shadowing' }],
  [{ type: 'minimumReached' }, { phase: 'Analyzing' }],
  [{ type: 'verdict', status: 'pass', reason: 'all checks passed' }, { phase: 'Passed', verdict: pass }],
  [{ type: 'promote', by: 'alice via cli' }, { phase: 'Promoting', promotion: { strategy: 'savepoint-handoff', mode: 'warm', auto: false, startedAt: 6000, steps: [] } }],
  [done('b'), { phase: 'Promoting' }],
  [done('c'), { phase: 'Promoted', promotion: { strategy: 'savepoint-handoff', mode: 'warm', auto: false, startedAt: 6000, steps: [], completedAt: 8000, pitStop: { outputGapMs: 12 } } }],
  [{ type: 'rollback', reason: 'latency', by: 'bob via cli' }, { phase: 'RolledBack', rollback: { at: 9000, reason: 'latency', steps: [] } }],
  [done('d'), { rollback: { at: 9000, reason: 'latency', steps: [], completedAt: 10_000 } }],
]);

