/**
 * The job host's lifecycle as one pure function, written the way the deployment's
 * is (orchestrator/lifecycle/transition.ts): `transition(state, event)` → the next
 * state and the effects the driver (host.ts) performs. No I/O, no clock, no logging.
 *
 * States:
 * - `standby`: up, connected, nothing read or written; waits for `activate` (or `prerestore`).
 * - `prerestored`: a standby with a base savepoint restored (or restoring) ahead, paused.
 * - `activating`: the job is being started from `from` (a host that is not a standby
 *   starts here at once).
 * - `running`: the job runs; its controls answer.
 * - `closed`: shut down, or shutting down. It remembers the state it closed from:
 *   until the channel is gone, commands are answered as they were then.
 *
 * Events: `prerestore`, `activate` (requests on the channel), `launched` and
 * `launchFailed` (the start's outcome), `stopWaiting` (a stop without a savepoint
 * while no job runs), `jobEnded` (the job finished, stopped or failed), `close`
 * (a signal, or a stop that has answered).
 *
 * Invariants: a host is activated at most once — a repeated `activate` with the
 * same start joins the first, another start is refused; a base is restored ahead
 * only while nothing was activated; a closed host starts nothing.
 */
import type { HostStart } from '../control/protocol.ts';

export type LiveState =
  | { readonly name: 'standby' }
  | { readonly name: 'prerestored'; readonly base: string }
  /** `base`: the base restored ahead that a delta is applied to, while it is. */
  | { readonly name: 'activating'; readonly from: HostStart; readonly base?: string }
  | { readonly name: 'running'; readonly from: HostStart };

export type HostState = LiveState | { readonly name: 'closed'; readonly was: LiveState };

export type HostEvent =
  | { readonly type: 'prerestore'; readonly base: string }
  /** `base`: the activation applies a delta to this base restored ahead (checked by the driver first). */
  | { readonly type: 'activate'; readonly from: HostStart; readonly base?: string }
  | { readonly type: 'launched' }
  | { readonly type: 'launchFailed' }
  | { readonly type: 'stopWaiting' }
  | { readonly type: 'jobEnded' }
  | { readonly type: 'close' };

export type Refusal = 'activatedElsewhere' | 'notWaiting' | 'closed';

export type HostEffect =
  /** Build the job from `base`, paused (replacing any base restored before). */
  | { readonly type: 'restoreBase'; readonly base: string }
  /** Answer as the restore of the current base does. */
  | { readonly type: 'joinRestore' }
  /** Start the job from `from` (with the base restored ahead and a delta when `withBase`). */
  | { readonly type: 'launch'; readonly from: HostStart; readonly withBase: boolean }
  /** Answer as the activation in flight (or done) does. */
  | { readonly type: 'joinActivation' }
  | { readonly type: 'refuse'; readonly reason: Refusal }
  /** Stop the job, release what no job took over, close the channel. `deferred`: after the current answer has gone out. */
  | { readonly type: 'shutdown'; readonly deferred: boolean }
  /** A job that finished starting after the host closed: stop it. */
  | { readonly type: 'discardJob' };

export interface Transition {
  readonly state: HostState;
  readonly effects: readonly HostEffect[];
}

const sameStart = (a: HostStart, b: HostStart) => JSON.stringify(a) === JSON.stringify(b);
const stay = (state: HostState, ...effects: HostEffect[]): Transition => ({ state, effects });
const close = (was: LiveState, deferred: boolean): Transition => ({ state: { name: 'closed', was }, effects: [{ type: 'shutdown', deferred }] });

/** The start an activation was asked for, if the host has had one. */
export function activationOf(state: HostState): HostStart | undefined {
  const s = state.name === 'closed' ? state.was : state;
  return s.name === 'activating' || s.name === 'running' ? s.from : undefined;
}

export function transition(state: HostState, event: HostEvent): Transition {
  if (state.name === 'closed') return closedTransition(state, event);
  switch (event.type) {
    case 'prerestore':
      if (state.name === 'standby') return { state: { name: 'prerestored', base: event.base }, effects: [{ type: 'restoreBase', base: event.base }] };
      if (state.name === 'prerestored') return state.base === event.base ? stay(state, { type: 'joinRestore' }) : { state: { name: 'prerestored', base: event.base }, effects: [{ type: 'restoreBase', base: event.base }] };
      return stay(state, { type: 'refuse', reason: 'notWaiting' });
    case 'activate': {
      const from = activationOf(state);
      if (from) return stay(state, sameStart(from, event.from) ? { type: 'joinActivation' } : { type: 'refuse', reason: 'activatedElsewhere' });
      const next: LiveState = { name: 'activating', from: event.from, ...(event.base !== undefined ? { base: event.base } : {}) };
      return { state: next, effects: [{ type: 'launch', from: event.from, withBase: event.base !== undefined }] };
    }
    case 'launched':
      return state.name === 'activating' ? { state: { name: 'running', from: state.from }, effects: [] } : stay(state);
    case 'launchFailed':
      // A job that failed to start is no use to anyone: the host goes away, so a
      // retried start begins a fresh process (and reports the cause again).
      return state.name === 'activating' ? close(state, true) : stay(state);
    case 'stopWaiting':
      return state.name === 'standby' || state.name === 'prerestored' ? close(state, true) : stay(state);
    case 'jobEnded':
      return state.name === 'running' ? close(state, false) : stay(state);
    case 'close':
      return close(state, false);
  }
}

function closedTransition(state: Extract<HostState, { name: 'closed' }>, event: HostEvent): Transition {
  switch (event.type) {
    case 'prerestore':
      return stay(state, { type: 'refuse', reason: activationOf(state) ? 'notWaiting' : 'closed' });
    case 'activate': {
      const from = activationOf(state);
      if (!from) return stay(state, { type: 'refuse', reason: 'closed' });
      return stay(state, sameStart(from, event.from) ? { type: 'joinActivation' } : { type: 'refuse', reason: 'activatedElsewhere' });
    }
    case 'launched':
      // Closed while it was starting: the job started into a host that is gone.
      return state.was.name === 'activating' ? stay(state, { type: 'discardJob' }) : stay(state);
    default:
      return stay(state);
  }
}

/** How a command is answered: by the running job's controls, by the host while no job runs, or after the activation in flight has settled. */
export type Route = 'controls' | 'waiting' | 'afterActivation';

export function routeOf(state: HostState, command: string): Route {
  switch (state.name) {
    case 'running':
      return 'controls';
    case 'activating':
      // A command that needs the job waits for the start; status and metrics do not.
      return command === 'status' || command === 'metrics' ? 'waiting' : 'afterActivation';
    case 'closed':
      return state.was.name === 'running' ? 'controls' : 'waiting';
    default:
      return 'waiting';
  }
}

/** What a host without a running job says it is: a standby, or starting; and the base it restored ahead, if any. */
export function waitingView(state: HostState): { readonly state: 'standby' | 'starting'; readonly base?: string } {
  const s = state.name === 'closed' ? state.was : state;
  if (s.name === 'prerestored') return { state: 'standby', base: s.base };
  if (s.name === 'activating') return { state: 'starting', ...(s.base !== undefined ? { base: s.base } : {}) };
  return { state: s.name === 'standby' ? 'standby' : 'starting' };
}
