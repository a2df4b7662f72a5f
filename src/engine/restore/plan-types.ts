/** The result of restore planning (plan.ts): what is restored, where, and what stands in the way. */
import type { TopicPartition } from '../../kafka/port.ts';
import type { KeyGroupRange } from '../key-groups.ts';
import type { StateCodecSpec } from '../snapshot/model.ts';
import type { BlockIndexEntry } from '../savepoint/metadata.ts';

export type StartPosition = 'earliest' | 'latest';

export interface RestoreOptions {
  /** Drop the state of operators (or states) the new job no longer has, instead of refusing. */
  readonly allowNonRestoredState?: boolean;
  /** Parallelism of the restored job; default: each operator's parallelism in the savepoint. */
  readonly parallelism?: number;
  /** Where partitions that are new since the savepoint start. Default 'earliest' (nothing is skipped). */
  readonly newPartitionStart?: StartPosition;
  /**
   * The input topics' partitions now (the caller asks Kafka). Without them only the
   * savepoint's partitions are planned and new topics are listed without partitions.
   */
  readonly currentPartitions?: readonly TopicPartition[];
}

export interface RestoreProblem {
  /** Stable, for scripts: JOB_MISMATCH, MAX_PARALLELISM_CHANGED, STATE_NOT_RESTORED, KEY_CHANGED, STATE_TYPE_CHANGED, … */
  readonly code: string;
  readonly uid?: string;
  readonly state?: string;
  readonly field?: string;
  readonly message: string;
  /** The flag or change that fixes it. */
  readonly fix: string;
}

export interface StateNote {
  readonly uid: string;
  /** Absent: the whole operator. */
  readonly state?: string;
  readonly reason: string;
}

/** A state whose schema changed compatibly: the engine decodes with `from` and reads as `to`. */
export interface StateMigration {
  readonly uid: string;
  readonly state: string;
  readonly from: StateCodecSpec;
  readonly to: StateCodecSpec;
}

export interface FileRead {
  /** Relative to the savepoint directory. */
  readonly path: string;
  readonly blocks: readonly BlockIndexEntry[];
}

export interface SubtaskAssignment {
  readonly subtask: number;
  readonly range: KeyGroupRange;
  /** The data files this subtask reads and, in each, exactly the blocks in its range. */
  readonly reads: readonly FileRead[];
}

export interface OperatorAssignment {
  readonly uid: string;
  readonly savedParallelism: number;
  readonly parallelism: number;
  readonly subtasks: readonly SubtaskAssignment[];
  /** The operator's non-keyed state file, if it has one. */
  readonly operatorState?: string;
}

export interface SourceStart {
  readonly topic: string;
  /** Absent: every partition of a topic the savepoint does not know (partitions were not given). */
  readonly partition?: number;
  readonly from: 'savepoint' | StartPosition;
  /** With from = 'savepoint': the next offset to read. */
  readonly offset?: number;
}

export interface RestorePlan {
  readonly compatible: boolean;
  readonly savepointJob: { readonly name: string; readonly version: string };
  readonly job: { readonly name: string; readonly version: string };
  readonly maxParallelism: number;
  readonly problems: readonly RestoreProblem[];
  /** State not restored (only with allowNonRestoredState; otherwise each is a problem). */
  readonly dropped: readonly StateNote[];
  /** New stateful operators and states: they start empty. */
  readonly startsEmpty: readonly StateNote[];
  readonly migrations: readonly StateMigration[];
  /** JSON states restored as saved whose shape no schema lets the plan check (the reason says which side lacks one). */
  readonly unchecked: readonly StateNote[];
  /** JSON states with no saved schema whose every saved value was checked against the new schema (`checkSavedValues`, which reads the data). */
  readonly valuesChecked?: readonly StateNote[];
  readonly assignments: readonly OperatorAssignment[];
  readonly sources: readonly SourceStart[];
  /** Saved source offsets of topics the new job no longer reads. */
  readonly droppedSources: readonly string[];
}
