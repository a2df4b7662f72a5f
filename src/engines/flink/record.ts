/**
 * What the Flink adapter's start records about a job in `<stateDir>/jobs/<jobId>.json`:
 * what only the starter knows (the cluster does not keep it) — its consumer identity,
 * inputs and sink topic for the positions and lag its status reports — and the times
 * its pit stop is measured by.
 */
import type { TopicPartitionOffset } from '../../kafka/port.ts';

/** What a start recorded about a job (the cluster does not keep it). */
export interface FlinkJobRecord {
  readonly jobId: string;
  readonly flinkJobId: string;
  readonly requestId: string;
  readonly jar: string;
  readonly entryClass: string;
  readonly args: readonly string[];
  readonly parallelism?: number;
  readonly identity: string;
  readonly inputs: readonly string[];
  readonly sinkTopic: string;
  readonly savepoint?: string;
  /** The sink topic's end offsets when the run was submitted: its own output comes after them (the pit stop's first output). */
  readonly outputFrom?: readonly TopicPartitionOffset[];
  /** When the run's first output became visible (found once, then kept). */
  readonly firstOutputAt?: number;
  /** When the start was asked for, and when its run request was sent (epoch ms): where a pit stop's time between the old run's end and the new run's start went. */
  readonly startAskedAt?: number;
  readonly submittedAt?: number;
}
