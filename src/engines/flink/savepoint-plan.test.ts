import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planFlinkRestore, refusalLines } from './savepoint-plan.ts';
import type { CandidateOperator, SavedOperator, SavepointFacts, Verdict } from './savepoint-tool.ts';

const POJO_V1 = 'PojoSerializer<dev.pitlane.flink.fraud.Profile>';

function saved(uid: string | null, id: string, o: Partial<SavedOperator> = {}): SavedOperator {
  return { operatorId: id, uid, name: uid, parallelism: 4, maxParallelism: 128, hasState: true, bytes: 100, operatorStates: [], keyType: null, keyedStates: [], readError: null, ...o };
}

function next(uid: string | null, ids: string[], o: Partial<CandidateOperator> = {}): CandidateOperator {
  return { operatorIds: ids, uid, name: uid ?? 'anonymous', parallelism: 4, maxParallelism: 128, keyType: null, states: [], ...o };
}

function verdict(id: string, state: string | null, result: Verdict['result'], o: Partial<Verdict> = {}): Verdict {
  return { operatorId: id, state, kind: state === null ? 'key' : 'VALUE', saved: POJO_V1, candidate: POJO_V1, via: 'class', result, ...o };
}

const source = saved('transactions', 'a1', { operatorStates: ['SourceReaderState'] });
const profile = saved('profile', 'b2', { keyType: 'StringSerializer', keyedStates: [{ name: 'profile', kind: 'VALUE', type: POJO_V1 }] });
const filter = saved(null, 'c3', { hasState: false });

function facts(candidate: CandidateOperator[], compatibility: Verdict[] = [], ops: SavedOperator[] = [source, profile, filter]): SavepointFacts {
  return { savepoint: ops, candidate: { jobName: 'fraud v2', operators: candidate }, compatibility };
}

const sameShape = [next('transactions', ['a1']), next('profile', ['b2'], { keyType: 'StringSerializer' })];

test('the same operators, the same max parallelism, compatible types: compatible; an evolved POJO is a note', () => {
  const plan = planFlinkRestore(facts(sameShape, [verdict('b2', null, 'COMPATIBLE_AS_IS', { via: 'key' }), verdict('b2', 'profile', 'COMPATIBLE_AFTER_MIGRATION')]));
  assert.equal(plan.compatible, true);
  assert.deepEqual(plan.problems, []);
  assert.ok(plan.notes.some((n) => /uid "profile"\/profile: the saved .* migrates/.test(n)), plan.notes.join('\n'));
});

test('state whose uid the candidate lacks is refused, naming the uid, the state and both fixes; a stateless operator is not', () => {
  const plan = planFlinkRestore(facts([next('transactions', ['a1']), next('profile-renamed', ['ff'])]));
  assert.equal(plan.compatible, false);
  assert.equal(plan.problems.length, 1);
  const [p] = plan.problems;
  assert.equal(p!.code, 'STATE_NOT_RESTORED');
  assert.equal(p!.uid, 'uid "profile"');
  assert.equal(p!.state, 'profile');
  assert.match(p!.message, /"profile" \(value PojoSerializer<dev\.pitlane\.flink\.fraud\.Profile>\)/);
  assert.match(p!.fix, /uid "profile" again/);
  assert.match(p!.fix, /--allow-non-restored-state/);
  assert.ok(plan.notes.some((n) => n.startsWith('uid "profile-renamed": not in the savepoint')) === false, 'a stateless new operator is not noted');
  assert.match(refusalLines(plan)[0]!, /Fix: give the operator/);
});

test('with allow-non-restored-state the unmatched state is dropped, as a note', () => {
  const plan = planFlinkRestore(facts([next('transactions', ['a1'])]), { allowNonRestoredState: true });
  assert.equal(plan.compatible, true);
  assert.ok(plan.notes.some((n) => /^uid "profile": dropped/.test(n)), plan.notes.join('\n'));
});

test('an operator the savepoint names only by id is reported by its id', () => {
  const plan = planFlinkRestore(facts([], [], [saved(null, 'dead', { keyedStates: [{ name: 'count', kind: 'VALUE', type: 'LongSerializer' }] })]));
  assert.equal(plan.problems[0]!.uid, 'operator dead');
  assert.match(plan.problems[0]!.fix, /its old uid/);
});

test('a changed max parallelism is refused per operator with the saved value in the fix; unset takes the saved one', () => {
  const changed = planFlinkRestore(facts([next('transactions', ['a1'], { maxParallelism: 256 }), next('profile', ['b2'], { maxParallelism: 256 })]));
  assert.deepEqual(changed.problems.map((p) => [p.code, p.uid]), [['MAX_PARALLELISM_CHANGED', 'uid "transactions"'], ['MAX_PARALLELISM_CHANGED', 'uid "profile"']]);
  assert.match(changed.problems[1]!.message, /saved with max parallelism 128; the candidate sets 256/);
  assert.match(changed.problems[1]!.fix, /back to 128/);
  const unset = planFlinkRestore(facts([next('transactions', ['a1'], { maxParallelism: -1 }), next('profile', ['b2'], { maxParallelism: -1 })]));
  assert.equal(unset.compatible, true);
});

test('a parallelism above the max parallelism the restore will have is refused', () => {
  const plan = planFlinkRestore(facts([next('transactions', ['a1'], { maxParallelism: -1, parallelism: 200 }), next('profile', ['b2'], { maxParallelism: -1, parallelism: 200 })]));
  assert.deepEqual(plan.problems.map((p) => p.code), ['BAD_PARALLELISM', 'BAD_PARALLELISM']);
  assert.match(plan.problems[1]!.message, /parallelism 200, above its max parallelism 128/);
  assert.match(plan.problems[1]!.fix, /128 or less/);
});

test('an incompatible state type and key type are refused with Flink\'s verdict; an unknown one is left to the restore', () => {
  const plan = planFlinkRestore(
    facts(sameShape, [
      verdict('b2', null, 'INCOMPATIBLE', { via: 'key', saved: 'StringSerializer', candidate: 'LongSerializer' }),
      verdict('b2', 'profile', 'INCOMPATIBLE', { candidate: 'PojoSerializer<dev.pitlane.flink.fraud.Profile>', detail: 'field count int → long' }),
      verdict('a1', 'offsets', 'UNKNOWN', { candidate: null, via: 'none' }),
    ]),
  );
  assert.deepEqual(plan.problems.map((p) => [p.code, p.uid, p.state]), [['KEY_CHANGED', 'uid "profile"', undefined], ['STATE_TYPE_CHANGED', 'uid "profile"', 'profile']]);
  assert.match(plan.problems[1]!.message, /State "profile" of operator uid "profile" changed type incompatibly \(.*: field count int → long\)/);
  assert.match(plan.problems[1]!.fix, /not change a field's type/);
  assert.ok(plan.notes.some((n) => /uid "transactions"\/offsets: .* checked by the candidate's own restore/.test(n)), plan.notes.join('\n'));
});

test('saved state the candidate\'s classes cannot read is refused', () => {
  const plan = planFlinkRestore(facts(sameShape, [], [source, { ...profile, readError: 'its keyed state\'s serializers cannot be read with the candidate\'s classes: ClassNotFoundException: Profile' }]));
  assert.deepEqual(plan.problems.map((p) => p.code), ['STATE_UNREADABLE']);
  assert.match(plan.problems[0]!.fix, /keep the classes/);
});

test('a new stateful operator starts empty (a note)', () => {
  const plan = planFlinkRestore(facts([...sameShape, next('dedupe', ['d4'], { keyType: 'StringSerializer', states: [{ name: 'seen', type: 'BooleanSerializer' }] })]));
  assert.equal(plan.compatible, true);
  assert.ok(plan.notes.includes('uid "dedupe": not in the savepoint, starts empty'), plan.notes.join('\n'));
});
