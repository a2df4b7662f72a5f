import { test } from 'node:test';
import assert from 'node:assert/strict';
import { transition } from './transition.ts';
import { RUNNER_PHASES, admits, initialLifecycle, reportedState, type LockedWork, type RunnerEffect, type RunnerEvent, type RunnerLifecycle, type RunnerPhase, type RunnerTransition } from './model.ts';
import type { JobDelta } from '../delta.ts';

const ERR = new Error('boom');
const DELTA = { job: { name: 'j', version: '1' }, maxParallelism: 4, sourceOffsets: [], watermarks: [], createdAt: 0, base: 'b', operators: [] } as unknown as JobDelta;

/** A lifecycle in each phase, shaped as the driver would have left it there. */
const IN: Record<RunnerPhase, RunnerLifecycle> = {
  paused: initialLifecycle(),
  starting: { phase: 'starting', frozen: false },
  running: { phase: 'running', frozen: false },
  quiesced: { phase: 'quiesced', frozen: true },
  stopping: { phase: 'stopping', frozen: false, stop: { reason: 'asked', from: 'running', drain: true, savepoint: true } },
  failing: { phase: 'failing', frozen: false, stop: { reason: 'failed', from: 'running', drain: false, savepoint: false }, failure: { error: ERR } },
  stopped: { phase: 'stopped', frozen: false, stop: { reason: 'asked', from: 'running', drain: false, savepoint: false } },
  finished: { phase: 'finished', frozen: false, stop: { reason: 'completed', from: 'running', drain: false, savepoint: false } },
  failed: { phase: 'failed', frozen: false, stop: { reason: 'failed', from: 'running', drain: false, savepoint: false }, failure: { error: ERR } },
};

const EVENTS = {
  begin: { type: 'begin' },
  beginDelta: { type: 'begin', delta: DELTA },
  partitionsAdded: { type: 'partitionsAdded' },
  quiesce: { type: 'quiesce' },
  stop: { type: 'stop', drain: false, savepoint: false },
  sourcesEnded: { type: 'sourcesEnded' },
  sourcesClosed: { type: 'sourcesClosed' },
  finalCommitted: { type: 'finalCommitted' },
  finalCommitFailed: { type: 'finalCommitFailed', error: new Error('commit failed') },
  outputClosed: { type: 'outputClosed' },
  fail: { type: 'fail', error: new Error('later') },
} satisfies Record<string, RunnerEvent>;
type EventName = keyof typeof EVENTS;

/** 'phase' (no effects), 'phase: effect effect …', or '!REFUSAL_CODE'. */
type Cell = string;
const ALREADY = '!ENGINE_ALREADY_STARTED';
/** Cells every phase not yet stopping shares: nothing but its own events moves it. */
const live = (p: RunnerPhase): Record<EventName, Cell> => ({
  begin: ALREADY, beginDelta: ALREADY, partitionsAdded: p, quiesce: 'quiesced: stopTimers', stop: 'stopping: stopTimers closeSources', sourcesEnded: p,
  sourcesClosed: p, finalCommitted: p, finalCommitFailed: p, outputClosed: p, fail: 'failing: logFailure stopTimers closeSources',
});
/** Cells every ended phase shares: only a late failure changes it (to failed). */
const ended = (p: RunnerPhase): Record<EventName, Cell> => ({
  begin: ALREADY, beginDelta: ALREADY, partitionsAdded: p, quiesce: `${p}: stopTimers`, stop: p, sourcesEnded: p,
  sourcesClosed: p, finalCommitted: p, finalCommitFailed: p, outputClosed: p, fail: p === 'failed' ? 'failed' : 'failed: logFailure',
});

/** The whole table: every phase × every event → the next phase and the effects, or the refusal. */
const TABLE: Record<RunnerPhase, Record<EventName, Cell>> = {
  paused: { ...live('paused'), begin: 'starting: addPartitions', beginDelta: 'starting: applyDelta addPartitions' },
  starting: { ...live('starting'), partitionsAdded: 'running: startTimers startSources' },
  running: { ...live('running'), sourcesEnded: 'stopping: stopTimers closeSources' },
  quiesced: { ...live('quiesced'), sourcesEnded: 'stopping: stopTimers closeSources' },
  stopping: {
    begin: ALREADY, beginDelta: ALREADY, partitionsAdded: 'stopping', quiesce: 'stopping: stopTimers', stop: 'stopping', sourcesEnded: 'stopping',
    sourcesClosed: 'stopping: finalCommit', finalCommitted: 'stopping: closeOutput', finalCommitFailed: 'stopping: abortOutput', outputClosed: 'stopped: settle', fail: 'failing: logFailure',
  },
  failing: {
    begin: ALREADY, beginDelta: ALREADY, partitionsAdded: 'failing', quiesce: 'failing: stopTimers', stop: 'failing', sourcesEnded: 'failing',
    sourcesClosed: 'failing: abortOutput', finalCommitted: 'failing: abortOutput', finalCommitFailed: 'failing: abortOutput', outputClosed: 'failed: settle', fail: 'failing',
  },
  stopped: ended('stopped'),
  finished: ended('finished'),
  failed: ended('failed'),
};

function outcome(r: RunnerTransition): Cell {
  if (!r.ok) return `!${r.code}`;
  return r.effects.length === 0 ? r.next.phase : `${r.next.phase}: ${r.effects.map((e) => e.type).join(' ')}`;
}

test('every phase × every event: the next phase and its effects, or the refusal', async (t) => {
  assert.deepEqual(Object.keys(TABLE).sort(), [...RUNNER_PHASES].sort(), 'the table covers every phase');
  for (const phase of RUNNER_PHASES) {
    for (const [name, event] of Object.entries(EVENTS)) {
      await t.test(`${phase} + ${name}`, () => {
        const before = structuredClone(IN[phase]);
        assert.equal(outcome(transition(IN[phase], event)), TABLE[phase][name as EventName]);
        assert.deepEqual(IN[phase], before, 'the transition does not change the lifecycle it is given');
      });
    }
  }
});

/** Plays events from `start`, as the driver would; returns the last lifecycle and every effect asked for. */
function play(start: RunnerLifecycle, events: readonly RunnerEvent[]): { l: RunnerLifecycle; effects: RunnerEffect[] } {
  let l = start;
  const effects: RunnerEffect[] = [];
  for (const e of events) {
    const r = transition(l, e);
    assert.ok(r.ok, `${e.type} is accepted in ${l.phase}`);
    l = r.next;
    effects.push(...r.effects);
  }
  return { l, effects };
}

test('a stop carries drain and savepoint to its final commit point; only the first stop counts', () => {
  const { l, effects } = play(IN.running, [{ type: 'stop', drain: true, savepoint: true }, { type: 'stop', drain: false, savepoint: false }, { type: 'sourcesClosed' }]);
  assert.deepEqual(effects.at(-1), { type: 'finalCommit', drain: true, savepoint: true });
  assert.deepEqual(l.stop, { reason: 'asked', from: 'running', drain: true, savepoint: true });
});

test('how a job ends: stopped when asked, finished when its input completed, failed after any failure', () => {
  const end = (events: RunnerEvent[]) => play(IN.running, [...events, { type: 'sourcesClosed' }, { type: 'finalCommitted' }, { type: 'outputClosed' }]).l;
  assert.equal(end([{ type: 'stop', drain: false, savepoint: false }]).phase, 'stopped');
  assert.equal(end([{ type: 'sourcesEnded' }]).phase, 'finished');
  const failedWhileStopping = end([{ type: 'sourcesEnded' }, { type: 'fail', error: ERR }]);
  assert.equal(failedWhileStopping.phase, 'failed');
  assert.equal(failedWhileStopping.failure?.error, ERR);
  const commitFailed = play(IN.running, [{ type: 'stop', drain: false, savepoint: false }, { type: 'sourcesClosed' }, { type: 'finalCommitFailed', error: ERR }, { type: 'outputClosed' }]);
  assert.equal(commitFailed.l.phase, 'failed');
  assert.deepEqual(commitFailed.effects.map((e) => e.type), ['stopTimers', 'closeSources', 'finalCommit', 'abortOutput', 'settle']);
});

test('the first failure wins and is logged once; a failed job skips the final commit point', () => {
  const first = new Error('first');
  const { l, effects } = play(IN.running, [{ type: 'fail', error: first }, { type: 'fail', error: ERR }, { type: 'sourcesClosed' }, { type: 'finalCommitFailed', error: ERR }, { type: 'outputClosed' }]);
  assert.equal(l.failure?.error, first);
  assert.deepEqual(effects, [{ type: 'logFailure', error: first }, { type: 'stopTimers' }, { type: 'closeSources' }, { type: 'abortOutput' }, { type: 'abortOutput' }, { type: 'settle' }]);
});

test('a quiesced job stays frozen while it stops; partitions added after a stop start nothing', () => {
  const frozen = play(IN.running, [{ type: 'quiesce' }, { type: 'stop', drain: false, savepoint: true }]).l;
  assert.equal(frozen.frozen, true);
  assert.equal(admits(frozen, 'input'), false);
  assert.equal(admits(frozen, 'tick'), false);
  const { l, effects } = play(IN.paused, [{ type: 'begin' }, { type: 'stop', drain: false, savepoint: false }, { type: 'partitionsAdded' }]);
  assert.equal(l.phase, 'stopping');
  assert.deepEqual(effects.map((e) => e.type), ['addPartitions', 'stopTimers', 'closeSources']);
});

test('the state status() reports for each lifecycle', () => {
  const cases: [RunnerLifecycle, string][] = [
    [IN.paused, 'starting'],
    [IN.starting, 'starting'],
    [IN.running, 'running'],
    [IN.quiesced, 'running'],
    [IN.stopping, 'stopping'],
    [{ ...IN.stopping, stop: { reason: 'asked', from: 'quiesced', drain: false, savepoint: false } }, 'stopping'],
    // A job stopped before it ran never reported running.
    [{ ...IN.stopping, stop: { reason: 'asked', from: 'paused', drain: false, savepoint: false } }, 'starting'],
    // A failed final commit point shows once the output is aborted.
    [{ ...IN.stopping, failure: { error: ERR } }, 'stopping'],
    [IN.failing, 'failed'],
    [IN.stopped, 'stopped'],
    [IN.finished, 'finished'],
    [IN.failed, 'failed'],
  ];
  for (const [l, state] of cases) assert.equal(reportedState(l), state, `${l.phase} from ${l.stop?.from ?? '-'}`);
});

test('what each phase lets through the lock', () => {
  const works: LockedWork[] = ['input', 'tick', 'periodicCommit', 'commit'];
  const TABLE: Record<RunnerPhase, string> = {
    paused: 'input tick commit',
    starting: 'input tick commit',
    running: 'input tick periodicCommit commit',
    quiesced: 'commit',
    stopping: 'input tick',
    failing: 'input tick',
    stopped: 'input tick',
    finished: 'input tick',
    failed: 'input tick',
  };
  for (const phase of RUNNER_PHASES) assert.equal(works.filter((w) => admits(IN[phase], w)).join(' '), TABLE[phase], phase);
});
