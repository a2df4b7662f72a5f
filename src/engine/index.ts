/**
 * The embedded stream engine's public API (design.md §3). Job modules import from
 * here: `import { defineJob, valueState, tumbling } from '<pitlane>/src/engine/index.ts'`.
 */
export { defineJob, describeJob, buildJob, isJobDefinition, type JobDefinition, type JobSpec, type JobEnv, type DeadLetterPolicy } from './api/job.ts';
export type { DataStream, KeyedStream, WindowedStream, OperatorStream, KafkaSourceOptions, KafkaSinkOptions, ItemsSourceOptions, ProcessOptions } from './api/streams.ts';
export { outputTag, type OutputTag, type ProcessFunction, type ProcessContext, type OnTimerContext, type AggregateFunction, type WindowResult, type Key, type TimerService } from './api/context.ts';
export { valueState, listState, mapState, reducingState, type ValueState, type ListState, type MapState, type ReducingState } from './api/state.ts';
export { jsonCodec, avroCodec, type StateCodec } from './api/codecs.ts';
export { tumbling, sliding, session, type TimeWindow } from './windows.ts';
export { startJob, type RunningJob, type RunOptions, type EngineDeps } from './runtime/runner.ts';
export type { JobStatus, OperatorStatus } from './runtime/status.ts';
export { formatStatus } from './runtime/status.ts';
export { LINEAGE_HEADERS, DEAD_LETTER_HEADERS } from './runtime/lineage.ts';
export type { Clock } from './operators/operator.ts';
export type { DeliveryMode } from './runtime/output.ts';
