import { test } from 'node:test';
import assert from 'node:assert/strict';
import { routeOf, transition, waitingView, type HostEffect, type HostEvent, type HostState, type LiveState } from './lifecycle.ts';
import type { HostStart } from '../control/protocol.ts';

const S1: HostStart = { savepoint: '/sp/1' };
const S2: HostStart = { input: 'latest' };
const A = '/base/a';
const B = '/base/b';

const LIVE: Record<string, LiveState> = {
  standby: { name: 'standby' },
  'prerestored:A': { name: 'prerestored', base: A },
  'activating:S1': { name: 'activating', from: S1 },
  'activating:S1@A': { name: 'activating', from: S1, base: A },
  'running:S1': { name: 'running', from: S1 },
};
const STATES: Record<string, HostState> = {
  ...LIVE,
  'closed<standby': { name: 'closed', was: LIVE.standby! },
  'closed<prerestored:A': { name: 'closed', was: LIVE['prerestored:A']! },
  'closed<activating:S1': { name: 'closed', was: LIVE['activating:S1']! },
  'closed<running:S1': { name: 'closed', was: LIVE['running:S1']! },
};

const EVENTS = {
  preA: { type: 'prerestore', base: A },
  preB: { type: 'prerestore', base: B },
  act1: { type: 'activate', from: S1 },
  act1A: { type: 'activate', from: S1, base: A },
  act2: { type: 'activate', from: S2 },
  launched: { type: 'launched' },
  launchFailed: { type: 'launchFailed' },
  stopWaiting: { type: 'stopWaiting' },
  jobEnded: { type: 'jobEnded' },
  close: { type: 'close' },
} satisfies Record<string, HostEvent>;

const startName = (s: HostStart) => (s === S1 || JSON.stringify(s) === JSON.stringify(S1) ? 'S1' : 'S2');
const baseName = (b: string) => (b === A ? 'A' : 'B');

function label(s: HostState): string {
  switch (s.name) {
    case 'standby':
      return 'standby';
    case 'prerestored':
      return `prerestored:${baseName(s.base)}`;
    case 'activating':
      return `activating:${startName(s.from)}${s.base !== undefined ? `@${baseName(s.base)}` : ''}`;
    case 'running':
      return `running:${startName(s.from)}`;
    case 'closed':
      return `closed<${label(s.was)}`;
  }
}

function effectLabel(e: HostEffect): string {
  switch (e.type) {
    case 'restoreBase':
      return `restoreBase:${baseName(e.base)}`;
    case 'launch':
      return `launch:${startName(e.from)}${e.withBase ? '+base' : ''}`;
    case 'refuse':
      return `refuse:${e.reason}`;
    case 'shutdown':
      return e.deferred ? 'shutdown(deferred)' : 'shutdown';
    default:
      return e.type;
  }
}

/**
 * The whole table: every state × every event → the next state and the effects.
 * `=` is the same state with no effect. Every cell is written out: one not listed
 * would be a transition nobody decided.
 */
const TABLE: Record<keyof typeof STATES, Record<keyof typeof EVENTS, string>> = {
  standby: {
    preA: 'prerestored:A restoreBase:A',
    preB: 'prerestored:B restoreBase:B',
    act1: 'activating:S1 launch:S1',
    act1A: 'activating:S1@A launch:S1+base',
    act2: 'activating:S2 launch:S2',
    launched: '=',
    launchFailed: '=',
    stopWaiting: 'closed<standby shutdown(deferred)',
    jobEnded: '=',
    close: 'closed<standby shutdown',
  },
  'prerestored:A': {
    preA: 'prerestored:A joinRestore',
    preB: 'prerestored:B restoreBase:B',
    act1: 'activating:S1 launch:S1',
    act1A: 'activating:S1@A launch:S1+base',
    act2: 'activating:S2 launch:S2',
    launched: '=',
    launchFailed: '=',
    stopWaiting: 'closed<prerestored:A shutdown(deferred)',
    jobEnded: '=',
    close: 'closed<prerestored:A shutdown',
  },
  'activating:S1': {
    preA: 'activating:S1 refuse:notWaiting',
    preB: 'activating:S1 refuse:notWaiting',
    act1: 'activating:S1 joinActivation',
    act1A: 'activating:S1 joinActivation',
    act2: 'activating:S1 refuse:activatedElsewhere',
    launched: 'running:S1',
    launchFailed: 'closed<activating:S1 shutdown(deferred)',
    stopWaiting: '=',
    jobEnded: '=',
    close: 'closed<activating:S1 shutdown',
  },
  'activating:S1@A': {
    preA: 'activating:S1@A refuse:notWaiting',
    preB: 'activating:S1@A refuse:notWaiting',
    act1: 'activating:S1@A joinActivation',
    act1A: 'activating:S1@A joinActivation',
    act2: 'activating:S1@A refuse:activatedElsewhere',
    launched: 'running:S1',
    launchFailed: 'closed<activating:S1@A shutdown(deferred)',
    stopWaiting: '=',
    jobEnded: '=',
    close: 'closed<activating:S1@A shutdown',
  },
  'running:S1': {
    preA: 'running:S1 refuse:notWaiting',
    preB: 'running:S1 refuse:notWaiting',
    act1: 'running:S1 joinActivation',
    act1A: 'running:S1 joinActivation',
    act2: 'running:S1 refuse:activatedElsewhere',
    launched: '=',
    launchFailed: '=',
    stopWaiting: '=',
    jobEnded: 'closed<running:S1 shutdown',
    close: 'closed<running:S1 shutdown',
  },
  'closed<standby': {
    preA: 'closed<standby refuse:closed',
    preB: 'closed<standby refuse:closed',
    act1: 'closed<standby refuse:closed',
    act1A: 'closed<standby refuse:closed',
    act2: 'closed<standby refuse:closed',
    launched: '=',
    launchFailed: '=',
    stopWaiting: '=',
    jobEnded: '=',
    close: '=',
  },
  'closed<prerestored:A': {
    preA: 'closed<prerestored:A refuse:closed',
    preB: 'closed<prerestored:A refuse:closed',
    act1: 'closed<prerestored:A refuse:closed',
    act1A: 'closed<prerestored:A refuse:closed',
    act2: 'closed<prerestored:A refuse:closed',
    launched: '=',
    launchFailed: '=',
    stopWaiting: '=',
    jobEnded: '=',
    close: '=',
  },
  'closed<activating:S1': {
    preA: 'closed<activating:S1 refuse:notWaiting',
    preB: 'closed<activating:S1 refuse:notWaiting',
    act1: 'closed<activating:S1 joinActivation',
    act1A: 'closed<activating:S1 joinActivation',
    act2: 'closed<activating:S1 refuse:activatedElsewhere',
    launched: 'closed<activating:S1 discardJob',
    launchFailed: '=',
    stopWaiting: '=',
    jobEnded: '=',
    close: '=',
  },
  'closed<running:S1': {
    preA: 'closed<running:S1 refuse:notWaiting',
    preB: 'closed<running:S1 refuse:notWaiting',
    act1: 'closed<running:S1 joinActivation',
    act1A: 'closed<running:S1 joinActivation',
    act2: 'closed<running:S1 refuse:activatedElsewhere',
    launched: '=',
    launchFailed: '=',
    stopWaiting: '=',
    jobEnded: '=',
    close: '=',
  },
};

test('transition: every state × every event', () => {
  for (const [stateName, state] of Object.entries(STATES)) {
    for (const [eventName, event] of Object.entries(EVENTS)) {
      const t = transition(state, event);
      const got = t.state === state && t.effects.length === 0 ? '=' : [label(t.state), ...t.effects.map(effectLabel)].join(' ');
      assert.equal(got, TABLE[stateName]![eventName as keyof typeof EVENTS], `${stateName} + ${eventName}`);
    }
  }
});

test('a host is activated once: whatever the order, a second start from elsewhere is refused', () => {
  for (const first of [EVENTS.act1, EVENTS.act1A]) {
    let s: HostState = { name: 'prerestored', base: A };
    s = transition(s, first).state;
    for (const next of [EVENTS.launched, EVENTS.close]) {
      const after = transition(s, next).state;
      assert.deepEqual(transition(after, EVENTS.act2).effects, [{ type: 'refuse', reason: 'activatedElsewhere' }]);
      assert.deepEqual(transition(after, EVENTS.act1).effects, [{ type: 'joinActivation' }]);
    }
  }
});

test('routeOf: who answers a command in each state', () => {
  const cases: [keyof typeof STATES, string, string][] = [
    ['standby', 'status', 'waiting'],
    ['standby', 'hold', 'waiting'],
    ['prerestored:A', 'stop', 'waiting'],
    ['activating:S1', 'status', 'waiting'],
    ['activating:S1', 'metrics', 'waiting'],
    ['activating:S1', 'hold', 'afterActivation'],
    ['activating:S1', 'stop', 'afterActivation'],
    ['running:S1', 'status', 'controls'],
    ['running:S1', 'stop', 'controls'],
    ['closed<running:S1', 'status', 'controls'],
    ['closed<activating:S1', 'hold', 'waiting'],
    ['closed<standby', 'stop', 'waiting'],
  ];
  for (const [state, command, want] of cases) assert.equal(routeOf(STATES[state]!, command), want, `${state} ${command}`);
});

test('waitingView: a standby, or starting; and the base it restored ahead while that base is in use', () => {
  const cases: [keyof typeof STATES, ReturnType<typeof waitingView>][] = [
    ['standby', { state: 'standby' }],
    ['prerestored:A', { state: 'standby', base: A }],
    ['activating:S1', { state: 'starting' }],
    ['activating:S1@A', { state: 'starting', base: A }],
    ['closed<standby', { state: 'standby' }],
    ['closed<prerestored:A', { state: 'standby', base: A }],
    ['closed<activating:S1', { state: 'starting' }],
  ];
  for (const [state, want] of cases) assert.deepEqual(waitingView(STATES[state]!), want, state);
});
