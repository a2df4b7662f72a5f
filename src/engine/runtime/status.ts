/** `status()` of a running job: what the orchestrator and `pitlane run --status-interval` read. */
import type { KeyGroupRange } from '../key-groups.ts';
import { KeyedOperator } from '../operators/keyed.ts';
import type { Operator } from '../operators/operator.ts';
import { SourceOperator } from './source.ts';

export interface OperatorStatus {
  readonly uid: string | undefined;
  readonly name: string;
  readonly kind: string;
  readonly recordsIn: number;
  readonly recordsOut: number;
  /** The operator's current event-time watermark (ms); null before the first one. */
  readonly watermark: number | null;
  readonly late: number;
  readonly deadLetters: number;
  readonly keysInState: number;
  /** Keyed operators: each logical subtask's key-group range and key count. */
  readonly subtasks?: readonly { readonly index: number; readonly keyGroups: KeyGroupRange; readonly keys: number }[];
  /** Sources: next offset, watermark and idleness per partition. */
  readonly partitions?: readonly { readonly topic: string; readonly partition: number; readonly nextOffset: number; readonly watermark: number | null; readonly idle: boolean }[];
}

/**
 * The state a running job reports (the `state` field `pitlane run --json` prints).
 * It is the lifecycle's phase as users see it (lifecycle/model.ts `reportedState`):
 * a paused job reports 'starting', a quiesced one 'running'. Not the orchestrator's
 * view of a job, which is `JobState` in src/engines/adapter.ts.
 */
export type RunnerState = 'starting' | 'running' | 'stopping' | 'stopped' | 'finished' | 'failed';

export interface RunnerStatus {
  readonly job: { readonly name: string; readonly version: string };
  readonly state: RunnerState;
  readonly parallelism: number;
  readonly maxParallelism: number;
  readonly deadLetters: number;
  readonly operators: readonly OperatorStatus[];
}

const finite = (n: number): number | null => (Number.isFinite(n) ? n : n === Number.POSITIVE_INFINITY ? Number.MAX_SAFE_INTEGER : null);

export function operatorStatus(op: Operator, now: number): OperatorStatus {
  const m = op.metrics;
  const base = { uid: op.node.uid, name: op.node.name, kind: op.node.kind, recordsIn: m.recordsIn, recordsOut: m.recordsOut, watermark: finite(m.watermark), late: m.late, deadLetters: m.deadLetters, keysInState: op.keysInState() };
  if (op instanceof KeyedOperator) {
    const keys = op.keysPerSubtask();
    return { ...base, subtasks: op.ranges.map((r, index) => ({ index, keyGroups: r, keys: keys[index] ?? 0 })) };
  }
  if (op instanceof SourceOperator) {
    const marks = new Map(op.tracker.describe(now).map((p) => [p.partition, p]));
    const partitions = [...op.positions.entries()].map(([id, p]) => ({ topic: p.topic, partition: p.partition, nextOffset: p.offset, watermark: finite(marks.get(id)?.watermark ?? Number.NEGATIVE_INFINITY), idle: marks.get(id)?.idle ?? false }));
    return { ...base, partitions };
  }
  return base;
}

/** A few lines for people: one per operator. */
export function formatStatus(s: RunnerStatus): string {
  const wm = (w: number | null) => (w === null ? '-' : new Date(Math.min(w, 8.64e15)).toISOString());
  const lines = [`${s.job.name} v${s.job.version} ${s.state} (parallelism ${s.parallelism}/${s.maxParallelism}, dead letters ${s.deadLetters})`];
  for (const o of s.operators) {
    lines.push(`  ${o.name.padEnd(28)} in ${String(o.recordsIn).padStart(9)}  out ${String(o.recordsOut).padStart(9)}  keys ${String(o.keysInState).padStart(7)}  late ${o.late}  dlq ${o.deadLetters}  wm ${wm(o.watermark)}`);
  }
  return lines.join('\n');
}
