/** What the embedded adapter and its job hosts exchange: the host's start config and its answers. */
import type { ConnectionConfig } from '../../config/connection.ts';
import type { TopicPartitionOffset } from '../../kafka/port.ts';
import type { InputStart, JobState, JobMetrics } from '../adapter.ts';

export interface HostConfig {
  readonly jobId: string;
  readonly job: string;
  readonly parallelism?: number | undefined;
  readonly inputs: readonly string[];
  readonly sinkTopic: string;
  readonly identity: string;
  readonly from: { readonly savepoint: string; readonly allowNonRestoredState?: boolean | undefined } | { readonly input: InputStart };
  readonly holdAtStart?: boolean | undefined;
  /** Extra job parameters (`env.param`); `input` and `output` are set from inputs and sinkTopic. */
  readonly params?: Readonly<Record<string, string>> | undefined;
  /** Where the host announces itself (src/server job directory). */
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
}

export interface HostMetrics extends JobMetrics {
  readonly firstOutputAt?: number;
  readonly watermark: number;
}
