/** What the embedded adapter gives a managed job host to start with (written as JSON beside its log; host-main.ts reads it). */
import type { ConnectionConfig } from '../../../config/connection.ts';
import type { Delivery, RestartStrategy } from '../../adapter.ts';
import type { HostStart } from '../control/protocol.ts';

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
  /** Periodic checkpoints in `dir` (this job's own); exactly-once output commits at each. Absent: commits every `delivery.commitIntervalMs`, no checkpoints. */
  readonly checkpoints?: { readonly dir: string; readonly intervalMs: number; readonly retained: number } | undefined;
  /** What the job's keeper (keeper/keeper-main.ts) does when the host dies unasked; absent: none. */
  readonly restart?: RestartStrategy | undefined;
  /** The host's own files: its log, the run record it keeps across restarts (host/run-record.ts), its keeper's record (keeper/record.ts), the marker of a stop asked for. */
  readonly files?: { readonly log: string; readonly run: string; readonly keeper: string; readonly stop: string } | undefined;
}
