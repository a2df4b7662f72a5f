/**
 * The savepoint metadata: what `_metadata` holds, independent of how a format
 * version encodes it (design.md §4). Every path in it is relative to the
 * savepoint directory, so a savepoint can be moved or copied as a whole.
 */
import type { KeyGroupRange } from '../key-groups.ts';
import type { OperatorKind, StateDescriptorSpec } from '../snapshot/model.ts';
import type { TopicPartitionOffset } from '../../kafka/port.ts';

/** The name of the metadata file inside a savepoint directory. */
export const METADATA_FILE = '_metadata';

/** Where one key group's block lies inside a data file, so a restore can read just the blocks it needs. */
export interface BlockIndexEntry {
  readonly keyGroup: number;
  /** Byte offset of the block from the start of the data file. */
  readonly offset: number;
  /** Byte length of the block. */
  readonly length: number;
  readonly entries: number;
  readonly timers: number;
}

export interface ChecksummedFile {
  /** Relative to the savepoint directory, '/'-separated, never absolute, never '..'. */
  readonly path: string;
  readonly size: number;
  /** Lower-case hex sha256 of the whole file. */
  readonly sha256: string;
}

/** One data file: the key-group blocks of one subtask's range at snapshot time. */
export interface DataFileRef extends ChecksummedFile {
  readonly range: KeyGroupRange;
  readonly blocks: readonly BlockIndexEntry[];
}

export interface OperatorMetadata {
  readonly uid: string;
  readonly name: string;
  readonly kind: OperatorKind;
  readonly parallelism: number;
  readonly keyFingerprint?: string;
  readonly states: readonly StateDescriptorSpec[];
  /** One file per subtask range of the parallelism at snapshot time (keyed operators). */
  readonly files: readonly DataFileRef[];
  /** Non-keyed operator state, when the operator has any. */
  readonly operatorState?: ChecksummedFile;
}

export interface SavepointMetadata {
  readonly formatVersion: number;
  readonly job: { readonly name: string; readonly version: string };
  readonly maxParallelism: number;
  readonly operators: readonly OperatorMetadata[];
  readonly sourceOffsets: readonly TopicPartitionOffset[];
  readonly watermarks: readonly (TopicPartitionOffset & { readonly watermark: number })[];
  readonly createdAt: number;
  readonly type: 'savepoint' | 'checkpoint';
}

/** Whether an operator carries any state worth restoring (keyed blocks or operator state). */
export function operatorHasState(op: OperatorMetadata): boolean {
  return op.operatorState !== undefined || op.files.some((f) => f.blocks.length > 0);
}

/** All files a savepoint owns besides `_metadata`, with the operator each belongs to. */
export function listDataFiles(meta: SavepointMetadata): { readonly uid: string; readonly file: ChecksummedFile }[] {
  return meta.operators.flatMap((op) => [
    ...op.files.map((file) => ({ uid: op.uid, file })),
    ...(op.operatorState ? [{ uid: op.uid, file: op.operatorState }] : []),
  ]);
}
