/** What the embedded adapter and its job hosts exchange: the host's start config and its answers. */
import type { ConnectionConfig } from '../../../config/connection.ts';
import type { TopicPartitionOffset } from '../../../kafka/port.ts';
import type { Delivery, InputStart, JobState, JobMetrics, SavepointResult } from '../../adapter.ts';
import { readSavepointMetadata } from '../../../engine/savepoint/index.ts';

/** The answer for a savepoint already on disk (a repeated request, or a stop recorded late). */
export async function savepointOnDisk(dir: string): Promise<SavepointResult> {
  const meta = await readSavepointMetadata(dir);
  return { location: dir, sourceOffsets: meta.sourceOffsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset })), completedAt: meta.createdAt };
}

/** Where a stop's delta is written: beside the stop's full savepoint directory. */
export const deltaBeside = (savepointDir: string): string => `${savepointDir}.delta`;

/** A delta to apply on top of the base a standby restored ahead of time (`prerestore`). */
export interface DeltaRef {
  /** The delta file. */
  readonly location: string;
  /** The tracked savepoint it applies to (its directory). */
  readonly base: string;
}

export type HostStart = { readonly savepoint: string; readonly allowNonRestoredState?: boolean | undefined; readonly delta?: DeltaRef | undefined } | { readonly input: InputStart };

/** What a job answers when it stops with a delta (before its full savepoint is written). */
export interface DeltaStop {
  /** Absent when the job was not tracking changes against the asked base: restore the full savepoint. */
  readonly delta?: DeltaRef & { readonly keys: number; readonly bytes: number; readonly sourceOffsets: readonly TopicPartitionOffset[] };
  /** Why there is no delta. */
  readonly reason?: string;
  /** When the job had stopped (its last output committed) and the delta was written. */
  readonly stoppedAt: number;
}

export interface HostConfig {
  readonly jobId: string;
  readonly job: string;
  readonly parallelism?: number | undefined;
  readonly inputs: readonly string[];
  readonly sinkTopic: string;
  readonly identity: string;
  /** Absent for a standby: it waits for `activate` to say where its state comes from. */
  readonly from?: HostStart | undefined;
  readonly holdAtStart?: boolean | undefined;
  /** Start as a standby: load, connect, (exactly-once) initialise the producer, then wait for `activate`. */
  readonly standby?: boolean | undefined;
  /** Absent: DEFAULT_DELIVERY. */
  readonly delivery?: Delivery | undefined;
  /** Extra job parameters (`env.param`); `input` and `output` are set from inputs and sinkTopic. */
  readonly params?: Readonly<Record<string, string>> | undefined;
  /** Where the host announces itself (control/job-directory.ts). */
  readonly jobsDir: string;
  readonly connection: ConnectionConfig;
  readonly logLevel?: string | undefined;
}

export interface HostStatus {
  readonly jobId: string;
  readonly state: JobState | 'stopped';
  readonly positions: readonly TopicPartitionOffset[];
  readonly sinkTopic: string;
  readonly held: boolean;
  readonly job: { readonly name: string; readonly version: string };
  /** A standby that restored a base savepoint ahead of time (`prerestore`): its directory. */
  readonly base?: string;
}

export interface HostMetrics extends JobMetrics {
  readonly firstOutputAt?: number;
  readonly watermark: number;
}
