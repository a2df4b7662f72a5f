/**
 * A running job is a state machine (design.md §3), written as the orchestrator's
 * deployment is: these are its named phases, the facts it keeps, the events that
 * move it and the effects a transition asks the driver (../driver.ts) to perform.
 * Effects are data, never calls, so the transition (transition.ts) stays pure.
 *
 *   paused ──begin──▶ starting ──partitionsAdded──▶ running ──quiesce──▶ quiesced
 *      │                  │                           │                     │
 *      └──────────────────┴──── stop / fail ──────────┴── sourcesEnded ─────┘
 *                                    │                (bounded input done)
 *                                    ▼
 *        stopping ──sourcesClosed──▶ final commit ──finalCommitted──▶ output closed ──outputClosed──▶ stopped | finished
 *        failing  ──sourcesClosed────────────────────────────────────▶ output aborted ──outputClosed──▶ failed
 *
 * A `fail` moves any phase to `failing` (or a stopped/finished job to `failed`):
 * the first failure is kept and decides the end, whatever follows.
 */
import type { JobDelta } from '../delta.ts';
import type { RunnerState } from '../status.ts';

export const RUNNER_PHASES = ['paused', 'starting', 'running', 'quiesced', 'stopping', 'failing', 'stopped', 'finished', 'failed'] as const;
/**
 * - paused: built and restored (options.startPaused); reads, ticks and writes nothing until `begin`.
 * - starting: `begin` applies the delta (if any) and adds every source partition at its start position.
 * - running: sources read, timers tick, periodic commit points are taken.
 * - quiesced: frozen at a batch boundary, output committed; the state is final, nothing is processed.
 * - stopping: timers stopped, readers closing; then the final commit point, then the output closes.
 * - failing: stopping because of a failure: no commit point, the uncommitted output is aborted.
 * - stopped / finished / failed: ended — by a stop, by complete (bounded) input, by a failure.
 */
export type RunnerPhase = (typeof RUNNER_PHASES)[number];

/** Why the stop sequence began, and what its final commit point takes. */
export interface StopRequest {
  readonly reason: 'asked' | 'completed' | 'failed';
  /** The phase the stop began in: a job stopped before it ran still reports 'starting'. */
  readonly from: RunnerPhase;
  /** Advance every source's watermark to +∞ first, so every window and event-time timer fires. */
  readonly drain: boolean;
  /** Take the final commit point as a savepoint, and answer the stop with it. */
  readonly savepoint: boolean;
}

export interface RunnerLifecycle {
  readonly phase: RunnerPhase;
  /** Set by `quiesce` and never cleared: the state is final, so no input or tick changes it, even while stopping. */
  readonly frozen: boolean;
  /** Set once, when the stop sequence begins. */
  readonly stop?: StopRequest;
  /** The first failure. Once set the job ends failed, and its uncommitted output is discarded. */
  readonly failure?: { readonly error: unknown };
}

export type RunnerEvent =
  /** `begin()`, or startJob itself for a job not started paused. */
  | { readonly type: 'begin'; readonly delta?: JobDelta }
  | { readonly type: 'partitionsAdded' }
  /** `quiesce()`, dispatched under the batch lock so it falls between batches. */
  | { readonly type: 'quiesce' }
  | { readonly type: 'stop'; readonly drain: boolean; readonly savepoint: boolean }
  /** Every source loop returned by itself (bounded input done), or failed. */
  | { readonly type: 'sourcesEnded' }
  /** Readers closed and every source loop settled. */
  | { readonly type: 'sourcesClosed' }
  | { readonly type: 'finalCommitted' }
  | { readonly type: 'finalCommitFailed'; readonly error: unknown }
  | { readonly type: 'outputClosed' }
  /** A batch, tick, periodic commit or source failed; or a bad record met the `fail` policy. */
  | { readonly type: 'fail'; readonly error: unknown };

/** What the driver does; an effect that finishes something reports the event named beside it. */
export type RunnerEffect =
  | { readonly type: 'applyDelta'; readonly delta: JobDelta }
  /** → partitionsAdded */
  | { readonly type: 'addPartitions'; readonly delta?: JobDelta }
  /** The tick (idle partitions, processing-time timers) and, if configured, the periodic commit point. */
  | { readonly type: 'startTimers' }
  /** → sourcesEnded, when the loops end by themselves. */
  | { readonly type: 'startSources' }
  | { readonly type: 'stopTimers' }
  /** → sourcesClosed */
  | { readonly type: 'closeSources' }
  /** → finalCommitted | finalCommitFailed. With commit hooks or `savepoint`, a commit point with a snapshot. */
  | { readonly type: 'finalCommit'; readonly drain: boolean; readonly savepoint: boolean }
  /** → outputClosed */
  | { readonly type: 'closeOutput' }
  /** → outputClosed. A failed job's uncommitted output is discarded (exactly-once); recovery replays it. */
  | { readonly type: 'abortOutput' }
  | { readonly type: 'logFailure'; readonly error: unknown }
  /** The job has ended: `stop()` and `finished` are answered. */
  | { readonly type: 'settle' };

export type RunnerRefusal = { readonly ok: false; readonly code: 'ENGINE_ALREADY_STARTED' };
export type RunnerTransition = { readonly ok: true; readonly next: RunnerLifecycle; readonly effects: readonly RunnerEffect[] } | RunnerRefusal;

export const initialLifecycle = (): RunnerLifecycle => ({ phase: 'paused', frozen: false });

const STOP_BEGUN: ReadonlySet<RunnerPhase> = new Set(['stopping', 'failing', 'stopped', 'finished', 'failed']);

/** The stop sequence has begun (or ended): sources read no further, and `stop()`, `commit()` and `snapshot()` wait for it. */
export const stopBegun = (l: RunnerLifecycle): boolean => STOP_BEGUN.has(l.phase);

/** The state `status()` reports: the phase as the job's users see it (the CLI, the job host). */
export function reportedState(l: RunnerLifecycle): RunnerState {
  switch (l.phase) {
    case 'paused':
    case 'starting':
      return 'starting';
    case 'running':
    case 'quiesced':
      return 'running';
    case 'stopping':
      return l.stop?.from === 'running' || l.stop?.from === 'quiesced' ? 'stopping' : 'starting';
    case 'failing':
      return 'failed';
    default:
      return l.phase;
  }
}

/**
 * Work that takes the batch lock, and whether the lifecycle lets it through; asked
 * when the work holds the lock, so it sees every transition made before it.
 * - input: a slice of a fetched batch (or of items); not into a frozen state.
 * - tick: watermarks of idle partitions, processing-time timers; not in a frozen state.
 * - periodicCommit: the interval's commit point; only while running (a stop takes its own).
 * - commit: a `commit()`; not once the stop began (its final commit point covers it).
 */
export type LockedWork = 'input' | 'tick' | 'periodicCommit' | 'commit';

export function admits(l: RunnerLifecycle, work: LockedWork): boolean {
  switch (work) {
    case 'input':
    case 'tick':
      return !l.frozen;
    case 'periodicCommit':
      return l.phase === 'running';
    case 'commit':
      return !stopBegun(l);
  }
}
