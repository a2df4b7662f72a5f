/**
 * The running job's state machine as one pure function: `transition(lifecycle,
 * event)` → the next lifecycle and the effects to perform, or a refusal. No I/O,
 * no clock, no logging; the driver (../driver.ts) performs the effects and reports
 * what they finish as further events.
 *
 * Rules it keeps, in whatever order events arrive:
 * - only a paused job begins, and only once;
 * - the stop sequence runs once: a second stop, or the end of input during a stop,
 *   changes nothing; partitions added after a stop began start no source or timer;
 * - the first failure wins: it is logged once, skips (or outlives) the final commit
 *   point, aborts the uncommitted output, and the job ends failed.
 */
import type { RunnerEffect, RunnerEvent, RunnerLifecycle, RunnerPhase, RunnerTransition, StopRequest } from './model.ts';
import { stopBegun } from './model.ts';

const to = (l: RunnerLifecycle, changes: Partial<RunnerLifecycle>, effects: readonly RunnerEffect[] = []): RunnerTransition => ({ ok: true, next: { ...l, ...changes }, effects });
const stay = (l: RunnerLifecycle): RunnerTransition => ({ ok: true, next: l, effects: [] });

/** Phases a job can be frozen or stopped from: it has not begun to stop. */
const LIVE: readonly RunnerPhase[] = ['paused', 'starting', 'running', 'quiesced'];

export function transition(l: RunnerLifecycle, event: RunnerEvent): RunnerTransition {
  switch (event.type) {
    case 'begin':
      if (l.phase !== 'paused') return { ok: false, code: 'ENGINE_ALREADY_STARTED' };
      return to(l, { phase: 'starting' }, [...(event.delta ? [{ type: 'applyDelta', delta: event.delta } as const] : []), { type: 'addPartitions', ...(event.delta ? { delta: event.delta } : {}) }]);
    case 'partitionsAdded':
      return l.phase === 'starting' ? to(l, { phase: 'running' }, [{ type: 'startTimers' }, { type: 'startSources' }]) : stay(l);
    case 'quiesce':
      // Timers stop in any phase (a no-op where none run); a stop already under way keeps its phase.
      return to(l, { frozen: true, ...(LIVE.includes(l.phase) ? { phase: 'quiesced' } : {}) }, [{ type: 'stopTimers' }]);
    case 'stop':
      return LIVE.includes(l.phase) ? beginStop(l, { reason: 'asked', from: l.phase, drain: event.drain, savepoint: event.savepoint }) : stay(l);
    case 'sourcesEnded':
      // Sources end by themselves only with bounded input (a stop or a failure closes them first).
      return l.phase === 'running' || l.phase === 'quiesced' ? beginStop(l, { reason: 'completed', from: l.phase, drain: false, savepoint: false }) : stay(l);
    case 'sourcesClosed':
      if (l.phase === 'stopping') return to(l, {}, [{ type: 'finalCommit', drain: l.stop?.drain ?? false, savepoint: l.stop?.savepoint ?? false }]);
      return l.phase === 'failing' ? to(l, {}, [{ type: 'abortOutput' }]) : stay(l);
    case 'finalCommitted':
      // A failure during the final commit point still discards the output.
      if (l.phase === 'stopping') return to(l, {}, [{ type: 'closeOutput' }]);
      return l.phase === 'failing' ? to(l, {}, [{ type: 'abortOutput' }]) : stay(l);
    case 'finalCommitFailed':
      // The job keeps reporting 'stopping' until the output is aborted, then ends failed.
      if (l.phase !== 'stopping' && l.phase !== 'failing') return stay(l);
      return to(l, l.failure ? {} : { failure: { error: event.error } }, [{ type: 'abortOutput' }]);
    case 'outputClosed':
      if (l.phase !== 'stopping' && l.phase !== 'failing') return stay(l);
      return to(l, { phase: l.failure ? 'failed' : l.stop?.reason === 'completed' ? 'finished' : 'stopped' }, [{ type: 'settle' }]);
    case 'fail':
      return fail(l, event.error);
  }
}

function beginStop(l: RunnerLifecycle, stop: StopRequest): RunnerTransition {
  return to(l, { phase: 'stopping', stop }, [{ type: 'stopTimers' }, { type: 'closeSources' }]);
}

function fail(l: RunnerLifecycle, error: unknown): RunnerTransition {
  if (l.failure) return stay(l);
  const failure = { error };
  const log = { type: 'logFailure', error } as const;
  if (!stopBegun(l)) return to(l, { phase: 'failing', failure, stop: { reason: 'failed', from: l.phase, drain: false, savepoint: false } }, [log, { type: 'stopTimers' }, { type: 'closeSources' }]);
  // A stop under way carries on, now towards `failed`; a job that had ended becomes failed.
  return to(l, { phase: l.phase === 'stopping' ? 'failing' : 'failed', failure }, [log]);
}
