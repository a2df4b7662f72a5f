/** The state a hosted job starts from: a savepoint (planned and loaded), or empty state at a position of its input. */
import type { KafkaPort, TopicPartitionOffset } from '../../../kafka/port.ts';
import { type JobDefinition, type JobSnapshot, prepareRestore, type PreparedRestore } from '../../../engine/index.ts';
import type { HostStart } from '../control/protocol.ts';

export interface StartOptions {
  readonly params: Record<string, string>;
  /** Absent: as saved (a savepoint), else the engine's default. */
  readonly parallelism?: number | undefined;
  /** The job's input topics: where `latest` and a timestamp are looked up. */
  readonly inputs: readonly string[];
  /** Where input partitions the savepoint does not know start (default earliest). */
  readonly newPartitionStart?: 'earliest' | 'latest' | undefined;
  readonly now: number;
}

export interface StartState {
  readonly restore?: JobSnapshot;
  readonly parallelism?: number | undefined;
  /** The restore plan, when the start is a savepoint: what was dropped, what starts empty. */
  readonly plan?: PreparedRestore['plan'];
}

export async function startState(def: JobDefinition, kafka: KafkaPort, from: HostStart, o: StartOptions): Promise<StartState> {
  if ('savepoint' in from) {
    // The restore plan runs again here: a refusal names the operator, state and fix before anything runs.
    const p = await prepareRestore(def, kafka, {
      dir: from.savepoint,
      params: o.params,
      ...(o.parallelism !== undefined ? { parallelism: o.parallelism } : {}),
      allowNonRestoredState: from.allowNonRestoredState === true,
      ...(o.newPartitionStart !== undefined ? { newPartitionStart: o.newPartitionStart } : {}),
    });
    return { restore: p.snapshot, parallelism: p.parallelism, plan: p.plan };
  }
  if (from.input === 'earliest') return { parallelism: o.parallelism }; // the engine's own default
  const sourceOffsets: TopicPartitionOffset[] = [];
  for (const topic of o.inputs) {
    if (from.input === 'latest') for (const w of await kafka.watermarks(topic)) sourceOffsets.push({ topic, partition: w.partition, offset: w.high });
    else sourceOffsets.push(...(await kafka.offsetsForTimestamp(topic, from.input.timestamp)));
  }
  // No operator state: only the positions. Restore matches operators by uid, so none are touched.
  return { restore: { job: { name: def.name, version: def.version }, maxParallelism: def.maxParallelism, operators: [], sourceOffsets, watermarks: [], createdAt: o.now, type: 'savepoint' }, parallelism: o.parallelism };
}
