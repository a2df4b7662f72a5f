/**
 * The embedded stream engine's public API (design.md §3), and its only entry point:
 * code outside src/engine imports the engine from this file alone.
 *
 * Job modules use the first part: `import { defineJob, valueState, tumbling } from
 * '<pitlane>/src/engine/index.ts'`. The rest is for what runs and manages jobs (the
 * CLI, the embedded engine adapter and its job host, the benches): running a job,
 * restoring it, its checkpoints, savepoints and deltas.
 */
export { defineJob, describeJob, buildJob, isJobDefinition, type JobDefinition, type JobSpec, type JobEnv, type DeadLetterPolicy } from './api/job.ts';
export type { DataStream, KeyedStream, WindowedStream, OperatorStream, KafkaSourceOptions, KafkaSinkOptions, ItemsSourceOptions, ProcessOptions } from './api/streams.ts';
export type { Compression } from '../kafka/port.ts';
export { outputTag, type OutputTag, type ProcessFunction, type ProcessContext, type OnTimerContext, type AggregateFunction, type WindowResult, type Key, type TimerService } from './api/context.ts';
export { valueState, listState, mapState, reducingState, type ValueState, type ListState, type MapState, type ReducingState } from './api/state.ts';
export { jsonCodec, avroCodec, type StateCodec, type JsonCodecOptions, type CodecOptions } from './api/codecs.ts';
export { tumbling, sliding, session, type TimeWindow } from './windows.ts';
export { startJob, type RunningJob, type RunOptions, type EngineDeps } from './runtime/runner.ts';
export type { RunnerStatus, RunnerState, OperatorStatus } from './runtime/status.ts';
export { formatStatus } from './runtime/status.ts';
export { LINEAGE_HEADERS, DEAD_LETTER_HEADERS } from '../lineage.ts';
export type { Clock } from '../clock.ts';

// Restoring and checkpointing a running job.
export { prepareRestore, type PreparedRestore } from './runtime/restore-source.ts';
export { recoverCheckpoints, type Recovery } from './checkpoint/coordinator.ts';
export { openExactlyOnceOutput, type OutputChannel } from './runtime/output.ts';

// Snapshots and savepoints (design.md §4, docs/savepoints.md).
export type { JobSnapshot, JobDescription } from './snapshot/model.ts';
export { writeSavepoint, readSavepoint, readSavepointMetadata, verifySavepoint, type FileCheck, inspectSavepoint, readStateLines, disposeSavepoint, transformSavepoint, type SavepointSummary } from './savepoint/index.ts';
export { planRestore, type RestorePlan } from './restore/plan.ts';
export { checkSavedValues } from './restore/saved-values.ts';
export { loadRestoredState } from './restore/load.ts';
/** A savepoint of N synthetic keys without running a job: for benchmarks. */
export { syntheticSnapshot, profileState } from './savepoint/synthetic.ts';

// Deltas: the keys changed since a tracked savepoint (a cold handoff's standby applies one).
export { composeSnapshot, deltaKeyCount, type JobDelta } from './runtime/delta.ts';
export { readDelta, readDeltaSummary, writeDelta } from './runtime/delta-file.ts';
export type { DeliveryMode } from './runtime/output.ts';
