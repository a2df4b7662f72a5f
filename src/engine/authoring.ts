/**
 * The public job API: what `import { ... } from 'pitlane'` gives a job's author (the
 * package's only export besides the CLI). Everything else in src/engine/index.ts is for
 * what runs and manages jobs, and stays inside pitlane.
 */
import { silentLogger } from '../logger.ts';
import { startJob, type JobDefinition } from './index.ts';

export { defineJob, type JobDefinition, type JobSpec, type JobEnv, type DeadLetterPolicy } from './index.ts';
export type { DataStream, KeyedStream, WindowedStream, OperatorStream, KafkaSourceOptions, KafkaSinkOptions, ItemsSourceOptions, ProcessOptions } from './index.ts';
export { outputTag, type OutputTag, type ProcessFunction, type ProcessContext, type OnTimerContext, type AggregateFunction, type WindowResult, type Key, type TimerService } from './index.ts';
export { valueState, listState, mapState, reducingState, type ValueState, type ListState, type MapState, type ReducingState } from './index.ts';
export { jsonCodec, avroCodec, type StateCodec } from './index.ts';
export { tumbling, sliding, session, type TimeWindow } from './index.ts';
export { LINEAGE_HEADERS, DEAD_LETTER_HEADERS } from './index.ts';

/**
 * Runs a bounded job — its sources are `env.fromItems(...)`, its sinks `toCallback(...)` —
 * in this process until every source has ended and the last watermark has fired every
 * window: for a job's unit tests, without Kafka.
 */
export async function runBounded(job: JobDefinition, options: { readonly parallelism?: number } = {}): Promise<void> {
  const running = await startJob(job, { logger: silentLogger() }, { parallelism: options.parallelism ?? 1 });
  await running.finished;
}

/** Business checks (the comparator runs them beside its built-in checks): src/check-authoring.ts. */
export { defineCheck, type CheckDefinition, type CheckSpec, type CheckRecord, type CheckResult, type CheckStatus, type CheckSide, type CheckWindow, type CheckTolerance, type FoldContext, type MeasureContext } from '../check-authoring.ts';
