/**
 * The state processor: read a savepoint, transform one operator's state with a
 * function, write a NEW savepoint (new directory, new checksums). For migrations
 * Avro resolution cannot do, such as changing a state's type. The source savepoint
 * is only read; the target must not exist.
 */
import { SavepointFormatError } from '../../errors.ts';
import type { JobSnapshot, KeyGroupBlock, StateDescriptorSpec, StateEntry } from '../snapshot/model.ts';
import { readSavepoint } from './read.ts';
import { valueCodec } from './state-values.ts';
import { writeSavepoint, type WriteResult } from './write.ts';

export interface StateEntryView {
  readonly keyGroup: number;
  readonly key: Buffer;
  readonly mapKey?: Buffer;
  /** Decoded with the saved descriptor's codec. */
  readonly value: unknown;
}

export interface StateTransform {
  readonly uid: string;
  readonly state: string;
  /** The descriptor of the transformed state (a new schema, codec or name); default: unchanged. */
  readonly descriptor?: StateDescriptorSpec;
  /** The new value (encoded with the new descriptor), or undefined to delete the entry. */
  readonly transform: (entry: StateEntryView) => unknown;
  /** A new job version for the written savepoint (e.g. the version it is migrated for). */
  readonly jobVersion?: string;
}

/** Applies `t` to a snapshot in memory. Pure. */
export function transformSnapshot(snapshot: JobSnapshot, t: StateTransform): JobSnapshot {
  const op = snapshot.operators.find((o) => o.uid === t.uid);
  if (!op) {
    throw new SavepointFormatError('STATE_PROCESSOR_NO_OPERATOR', `The savepoint has no operator with uid "${t.uid}" (it has ${snapshot.operators.map((o) => `"${o.uid}"`).join(', ') || 'none'}).`, { hint: 'Use a uid listed by `pitlane savepoint inspect`.' });
  }
  const saved = op.states.find((s) => s.name === t.state);
  if (!saved) {
    throw new SavepointFormatError('STATE_PROCESSOR_NO_STATE', `Operator "${t.uid}" has no state "${t.state}" (it has ${op.states.map((s) => `"${s.name}"`).join(', ') || 'none'}).`, { hint: 'Use a state listed by `pitlane savepoint inspect`.' });
  }
  const next = t.descriptor ?? saved;
  if (next.name !== saved.name && op.states.some((s) => s.name === next.name)) {
    throw new SavepointFormatError('STATE_PROCESSOR_NAME_TAKEN', `Operator "${t.uid}" already has a state named "${next.name}".`, { hint: 'Choose a name the operator does not use yet.' });
  }
  const where = `state "${t.state}" of operator "${t.uid}"`;
  const decode = valueCodec(saved.codec, where);
  const encode = valueCodec(next.codec, `the new descriptor of ${where}`);
  const keyGroups: KeyGroupBlock[] = op.keyGroups.map((b) => {
    const entries: StateEntry[] = [];
    for (const e of b.entries) {
      if (e.state !== t.state) {
        entries.push(e);
        continue;
      }
      const value = t.transform({ keyGroup: b.keyGroup, key: e.key, ...(e.mapKey ? { mapKey: e.mapKey } : {}), value: decode.decode(e.value) });
      if (value === undefined) continue;
      entries.push({ state: next.name, key: e.key, ...(e.mapKey ? { mapKey: e.mapKey } : {}), value: encode.encode(value) });
    }
    return { keyGroup: b.keyGroup, entries, timers: b.timers };
  });
  return {
    ...snapshot,
    job: { name: snapshot.job.name, version: t.jobVersion ?? snapshot.job.version },
    operators: snapshot.operators.map((o) => (o !== op ? o : { ...op, states: op.states.map((s) => (s === saved ? next : s)), keyGroups })),
    type: 'savepoint',
  };
}

/** Reads `sourceDir` (checksums verified), transforms, and writes a new savepoint at `targetDir`. */
export async function transformSavepoint(sourceDir: string, targetDir: string, t: StateTransform): Promise<WriteResult> {
  const snapshot = await readSavepoint(sourceDir, { verify: true });
  return writeSavepoint(targetDir, transformSnapshot(snapshot, t));
}
