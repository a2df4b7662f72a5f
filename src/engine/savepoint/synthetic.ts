/**
 * Synthetic snapshots routed with the real key-group math, for the savepoint
 * benchmark and tests: N string keys, one Avro value state per key, optional
 * timers. Pure and deterministic (no clock, no randomness).
 */
import avro from 'avsc';
import { keyGroupOf } from '../key-groups.ts';
import type { JobSnapshot, KeyGroupBlock, StateDescriptorSpec, StateEntry, TimerEntry } from '../snapshot/model.ts';

export const PROFILE_SCHEMA = {
  type: 'record',
  name: 'Profile',
  fields: [
    { name: 'count', type: 'long' },
    { name: 'total', type: 'double' },
    { name: 'lastSeen', type: 'long' },
  ],
} as const;

export interface SyntheticOptions {
  readonly keys: number;
  readonly maxParallelism?: number;
  readonly parallelism?: number;
  readonly uid?: string;
  readonly jobName?: string;
  readonly jobVersion?: string;
  /** Every `timerEvery`-th key gets one event-time timer (0: none). */
  readonly timerEvery?: number;
  readonly keyFingerprint?: string;
  readonly state?: StateDescriptorSpec;
  /** The decoded value of key i (must match `state`'s schema). */
  readonly value?: (i: number) => unknown;
}

export const profileState: StateDescriptorSpec = { name: 'profile', kind: 'value', codec: { type: 'avro', schema: PROFILE_SCHEMA } };

export function syntheticKey(i: number): Buffer {
  // The engine's canonical key form: JSON text (src/engine/key.ts).
  return Buffer.from(JSON.stringify(`user-${i}`), 'utf8');
}

export function syntheticProfile(i: number): { count: number; total: number; lastSeen: number } {
  return { count: i % 1000, total: (i % 9973) * 1.25, lastSeen: 1_700_000_000_000 + i };
}

export function syntheticSnapshot(o: SyntheticOptions): JobSnapshot {
  const maxParallelism = o.maxParallelism ?? 128;
  const state = o.state ?? profileState;
  const type = state.codec.type === 'avro' ? avro.Type.forSchema(state.codec.schema as avro.Schema) : undefined;
  const encode = (v: unknown): Buffer => (type ? type.toBuffer(v) : Buffer.from(JSON.stringify(v), 'utf8'));
  const valueOf = o.value ?? syntheticProfile;
  const groups = new Map<number, { entries: StateEntry[]; timers: TimerEntry[] }>();
  for (let i = 0; i < o.keys; i++) {
    const key = syntheticKey(i);
    const kg = keyGroupOf(key, maxParallelism);
    let g = groups.get(kg);
    if (!g) groups.set(kg, (g = { entries: [], timers: [] }));
    g.entries.push({ state: state.name, key, value: encode(valueOf(i)) });
    if (o.timerEvery && i % o.timerEvery === 0) g.timers.push({ key, timestamp: 1_700_000_000_000 + i, domain: 'event' });
  }
  const keyGroups: KeyGroupBlock[] = [...groups.entries()].map(([keyGroup, g]) => ({ keyGroup, entries: g.entries, timers: g.timers }));
  return {
    job: { name: o.jobName ?? 'synthetic', version: o.jobVersion ?? 'v1' },
    maxParallelism,
    operators: [
      { uid: 'source', name: 'source(events)', kind: 'source', parallelism: 1, states: [], keyGroups: [] },
      {
        uid: o.uid ?? 'profiles',
        name: 'process(profiles)',
        kind: 'process',
        parallelism: o.parallelism ?? 4,
        keyFingerprint: o.keyFingerprint ?? 'string:userId',
        states: [state],
        keyGroups,
      },
    ],
    sourceOffsets: [
      { topic: 'events', partition: 0, offset: o.keys },
      { topic: 'events', partition: 1, offset: 42 },
    ],
    watermarks: [{ topic: 'events', partition: 0, offset: o.keys, watermark: 1_700_000_000_000 }],
    createdAt: 1_700_000_100_000,
    type: 'savepoint',
  };
}
