/**
 * What is inside a savepoint, for people and scripts: operators, states, keys per
 * key group, sizes, offsets, format version, and whether every checksum holds.
 * Also the keyed-state dump behind `pitlane savepoint read`. Read-only.
 */
import { resolve } from 'node:path';
import { SavepointFormatError } from '../../errors.ts';
import type { OperatorKind, StateKind } from '../snapshot/model.ts';
import type { TopicPartitionOffset } from '../../kafka/port.ts';
import { readDataFileBlocks, verifySavepoint, type FileCheck } from './read.ts';
import { keyForm, toJsonLine, valueCodec } from './state-values.ts';
import { readSavepointMetadata } from './read.ts';

export interface KeyGroupSummary {
  readonly keyGroup: number;
  readonly keys: number;
  readonly entries: number;
  readonly timers: number;
  readonly bytes: number;
}

export interface OperatorSummary {
  readonly uid: string;
  readonly name: string;
  readonly kind: OperatorKind;
  readonly parallelism: number;
  readonly keyFingerprint?: string;
  readonly states: readonly { readonly name: string; readonly kind: StateKind; readonly codec: 'avro' | 'json'; readonly entries: number }[];
  readonly keys: number;
  readonly timers: number;
  readonly bytes: number;
  readonly files: number;
  readonly keyGroups: readonly KeyGroupSummary[];
}

export interface SavepointSummary {
  readonly dir: string;
  readonly formatVersion: number;
  readonly type: 'savepoint' | 'checkpoint';
  readonly job: { readonly name: string; readonly version: string };
  readonly createdAt: string;
  readonly maxParallelism: number;
  readonly checksumsOk: boolean;
  readonly badFiles: readonly FileCheck[];
  readonly operators: readonly OperatorSummary[];
  readonly sourceOffsets: readonly TopicPartitionOffset[];
  readonly watermarks: readonly (TopicPartitionOffset & { readonly watermark: number })[];
}

export async function inspectSavepoint(dir: string): Promise<SavepointSummary> {
  const root = resolve(dir);
  const report = await verifySavepoint(root);
  const meta = report.metadata;
  const bad = new Set(report.files.filter((f) => !f.ok).map((f) => f.path));
  const operators: OperatorSummary[] = [];
  for (const op of meta.operators) {
    const stateNames = op.states.map((s) => s.name);
    const perState = new Map<string, number>(stateNames.map((n) => [n, 0]));
    const keyGroups: KeyGroupSummary[] = [];
    for (const f of op.files) {
      // A damaged file is reported by the checksum report; its blocks are summarized from the index only.
      const blocks = bad.has(f.path) ? [] : await readDataFileBlocks(root, meta, op.uid, f, stateNames, { verify: false });
      for (const idx of f.blocks) {
        const b = blocks.find((x) => x.keyGroup === idx.keyGroup);
        let keys = 0;
        if (b) {
          const distinct = new Set<string>();
          for (const e of b.entries) {
            distinct.add(e.key.toString('latin1'));
            perState.set(e.state, (perState.get(e.state) ?? 0) + 1);
          }
          keys = distinct.size;
        }
        keyGroups.push({ keyGroup: idx.keyGroup, keys, entries: idx.entries, timers: idx.timers, bytes: idx.length });
      }
    }
    operators.push({
      uid: op.uid,
      name: op.name,
      kind: op.kind,
      parallelism: op.parallelism,
      ...(op.keyFingerprint !== undefined ? { keyFingerprint: op.keyFingerprint } : {}),
      states: op.states.map((s) => ({ name: s.name, kind: s.kind, codec: s.codec.type, entries: perState.get(s.name) ?? 0 })),
      keys: keyGroups.reduce((n, k) => n + k.keys, 0),
      timers: keyGroups.reduce((n, k) => n + k.timers, 0),
      bytes: op.files.reduce((n, f) => n + f.size, 0) + (op.operatorState?.size ?? 0),
      files: op.files.length + (op.operatorState ? 1 : 0),
      keyGroups,
    });
  }
  return {
    dir: root,
    formatVersion: meta.formatVersion,
    type: meta.type,
    job: meta.job,
    createdAt: new Date(meta.createdAt).toISOString(),
    maxParallelism: meta.maxParallelism,
    checksumsOk: report.ok,
    badFiles: report.files.filter((f) => !f.ok),
    operators,
    sourceOffsets: meta.sourceOffsets,
    watermarks: meta.watermarks,
  };
}

/**
 * Dumps one keyed state as NDJSON lines `{"keyGroup", "key"|"keyBase64", ["mapKey"...], "value"}`,
 * decoded with the state's codec, in key-group order. Checksums are verified first.
 */
/** One saved entry of a state, decoded with its codec: the key (as `keyForm` shows it), the map key of a map state, the value. */
export type StateEntryRead = { readonly keyGroup: number; readonly mapKey?: unknown; readonly value: unknown } & ReturnType<typeof keyForm>;

export async function* readStateLines(dir: string, uid: string, state: string): AsyncGenerator<string> {
  for await (const e of readStateEntries(dir, uid, state)) yield toJsonLine(e);
}

/** Every entry of one keyed state, each data file's checksum verified first. */
export async function* readStateEntries(dir: string, uid: string, state: string): AsyncGenerator<StateEntryRead> {
  const root = resolve(dir);
  const meta = await readSavepointMetadata(root);
  const op = meta.operators.find((o) => o.uid === uid);
  if (!op) throw new SavepointFormatError('SAVEPOINT_NO_OPERATOR', `The savepoint has no operator "${uid}" (it has ${meta.operators.map((o) => `"${o.uid}"`).join(', ') || 'none'}).`, { hint: 'Use a uid listed by `pitlane savepoint inspect`.' });
  const desc = op.states.find((s) => s.name === state);
  if (!desc) throw new SavepointFormatError('SAVEPOINT_NO_STATE', `Operator "${uid}" has no state "${state}" (it has ${op.states.map((s) => `"${s.name}"`).join(', ') || 'none'}).`, { hint: 'Use a state listed by `pitlane savepoint inspect`.' });
  const where = `state "${state}" of operator "${uid}"`;
  const values = valueCodec(desc.codec, where);
  const mapKeys = desc.mapKeyCodec ? valueCodec(desc.mapKeyCodec, `the map keys of ${where}`) : undefined;
  const stateNames = op.states.map((s) => s.name);
  for (const f of op.files) {
    for (const b of await readDataFileBlocks(root, meta, uid, f, stateNames, { verify: true })) {
      for (const e of b.entries) {
        if (e.state !== state) continue;
        const mapKey = e.mapKey ? { mapKey: mapKeys ? mapKeys.decode(e.mapKey) : keyForm(e.mapKey) } : {};
        yield { keyGroup: b.keyGroup, ...keyForm(e.key), ...mapKey, value: values.decode(e.value) };
      }
    }
  }
}
