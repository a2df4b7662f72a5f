import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newDeployment, type Deployment } from '../lifecycle/model.ts';
import { SPEC } from '../lifecycle/test-support.ts';
import { savepointId, type SavepointRecord, type SavepointTrigger } from './record.ts';
import { pinsOf, planRetention, policyProblem, type Pin } from './retention.ts';

const DAY = 86_400_000;
const NOW = 100 * DAY;

/** A savepoint of `job` taken `ageDays` before NOW. */
function sp(name: string, ageDays: number, job = 'fraud', more: Partial<SavepointRecord> = {}): SavepointRecord {
  const location = `/sp/${name}`;
  return { id: savepointId(location), location, engine: 'embedded', job, trigger: 'manual' as SavepointTrigger, takenAt: NOW - ageDays * DAY, ...more };
}

const names = (list: readonly { record: SavepointRecord }[]) => list.map((d) => d.record.location.slice(4)).sort();

test('planRetention: what each policy keeps and disposes of, per job', () => {
  const history = [sp('a1', 10), sp('a2', 8), sp('a3', 3), sp('a4', 1), sp('a5', 0), sp('b1', 20, 'other'), sp('b2', 9, 'other')];
  const cases: [string, Parameters<typeof planRetention>[1], string[]][] = [
    ['no limits: everything kept', {}, []],
    ['keep the last 2 of each job', { keepLast: 2 }, ['a1', 'a2', 'a3']],
    ['keep the last 1: only the newest of each job', { keepLast: 1 }, ['a1', 'a2', 'a3', 'a4', 'b1']],
    ['keep more than there are', { keepLast: 10 }, []],
    ['younger than 7 days; the newest of a job is kept whatever its age', { maxAgeMs: 7 * DAY }, ['a1', 'a2', 'b1']],
    ['max age 0: only the newest of each job', { maxAgeMs: 0 }, ['a1', 'a2', 'a3', 'a4', 'b1']],
    ['both limits: either one disposes', { keepLast: 4, maxAgeMs: 5 * DAY }, ['a1', 'a2', 'b1']],
  ];
  for (const [label, policy, disposed] of cases) {
    const plan = planRetention(history, policy, new Map(), NOW);
    assert.deepEqual(names(plan.dispose), disposed, label);
    assert.equal(plan.keep.length + plan.dispose.length, history.length, `${label}: every savepoint decided once`);
  }
});

test('planRetention: a pinned savepoint is kept, whatever the policy, and says why', () => {
  const history = [sp('a1', 10), sp('a2', 8), sp('a3', 3), sp('a4', 0)];
  const pins = new Map<string, Pin>([[savepointId('/sp/a1'), { deployment: 'fraud', reason: 'rollback' }]]);
  for (const policy of [{ keepLast: 1 }, { maxAgeMs: 0 }, { keepLast: 1, maxAgeMs: 0 }]) {
    const plan = planRetention(history, policy, pins, NOW);
    assert.deepEqual(names(plan.dispose), ['a2', 'a3'], JSON.stringify(policy));
    const a1 = plan.keep.find((k) => k.record.location === '/sp/a1')!;
    assert.equal(a1.pin?.deployment, 'fraud');
    assert.match(a1.reason, /deployment fraud needs it for a rollback/);
  }
});

test('planRetention: ties in time are broken by id, so every process disposes of the same ones', () => {
  const same = [sp('x', 1), sp('y', 1), sp('z', 1)];
  const one = planRetention(same, { keepLast: 1 }, new Map(), NOW);
  const other = planRetention([...same].reverse(), { keepLast: 1 }, new Map(), NOW);
  assert.deepEqual(names(one.dispose), names(other.dispose));
  assert.equal(one.dispose.length, 2);
});

test('pinsOf: what each deployment still needs', () => {
  const base = newDeployment(SPEC(), 0);
  const fork = { location: '/sp/fork', sourceOffsets: [], completedAt: 1 };
  const handoff = { location: '/sp/handoff', sourceOffsets: [], completedAt: 2 };
  const took = [sp('fork', 1, 'fraud', { deployment: 'fraud', generation: 1, trigger: 'fork' }), sp('other-gen', 1, 'fraud', { deployment: 'fraud', generation: 2 }), sp('standby', 1, 'fraud', { deployment: 'fraud', generation: 1, trigger: 'handoff' }), sp('manual', 1)];
  const promotion = { strategy: 'savepoint-handoff' as const, auto: false, startedAt: 1, steps: [], rollbackSavepoint: handoff };
  const cases: [string, Partial<Deployment>, Record<string, Pin['reason']>][] = [
    ['shadowing: the fork source, and what it took', { phase: 'Shadowing', fork: { savepoint: fork } }, { fork: 'fork source', standby: 'in flight' }],
    ['promoting: the rollback savepoint too', { phase: 'Promoting', fork: { savepoint: fork }, promotion }, { fork: 'fork source', handoff: 'rollback', standby: 'in flight' }],
    ['promoted: only the rollback savepoint', { phase: 'Promoted', fork: { savepoint: fork }, promotion }, { handoff: 'rollback' }],
    ['rolling back: still needed', { phase: 'RolledBack', fork: { savepoint: fork }, promotion, rollback: { at: 3, steps: [] } }, { fork: 'fork source', handoff: 'rollback', standby: 'in flight' }],
    ['rolled back: nothing', { phase: 'RolledBack', fork: { savepoint: fork }, promotion, rollback: { at: 3, steps: [], completedAt: 4 } }, {}],
    ['aborted: nothing (the debug savepoint is the user\'s)', { phase: 'Aborted', fork: { savepoint: fork }, abort: { at: 3, reason: 'x', by: 'user' } }, {}],
    ['aborted with a step still pending: what it took', { phase: 'Aborted', fork: { savepoint: fork }, pending: [{ id: 'x', effect: { type: 'cancelJob', jobId: 'c' } }] }, { fork: 'fork source', standby: 'in flight' }],
  ];
  for (const [label, d, want] of cases) {
    const pins = pinsOf([{ ...base, ...d } as Deployment], took);
    const got = Object.fromEntries([...pins.entries()].map(([id, p]) => [['fork', 'handoff', 'other-gen', 'standby', 'manual'].find((n) => savepointId(`/sp/${n}`) === id), p.reason]));
    assert.deepEqual(got, want, label);
    for (const p of pins.values()) assert.equal(p.deployment, 'fraud', label);
  }
});

test('policyProblem: refuses what cannot be a policy', () => {
  assert.equal(policyProblem({ keepLast: 3, maxAgeMs: DAY }), undefined);
  assert.match(policyProblem({ keepLast: 0 }) ?? '', /at least 1/);
  assert.match(policyProblem({ keepLast: 1.5 }) ?? '', /whole number/);
  assert.match(policyProblem({ maxAgeMs: -1 }) ?? '', /max-age/);
});
