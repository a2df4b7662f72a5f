/**
 * Turns a savepoint or checkpoint directory into the JobSnapshot `startJob` restores:
 * reads the metadata, asks Kafka for the input topics' partitions now, runs the pure
 * `planRestore`, and — only when the plan is compatible — reads exactly the blocks
 * each new subtask owns (checksums verified). Partitions new since the snapshot get an
 * explicit start offset here (earliest or latest), so the engine never guesses.
 */
import type { KafkaPort, TopicPartition, TopicPartitionOffset } from '../../kafka/port.ts';
import { partitionKey } from '../../kafka/partition-key.ts';
import { RestoreIncompatibleError } from '../../errors.ts';
import { describeJob, type JobDefinition } from '../api/job.ts';
import { planRestore, type RestorePlan, type StartPosition } from '../restore/plan.ts';
import { loadRestoredState } from '../restore/load.ts';
import { readSavepointMetadata } from '../savepoint/read.ts';
import type { SavepointMetadata } from '../savepoint/metadata.ts';
import type { JobSnapshot, OperatorSnapshot } from '../snapshot/model.ts';

export interface RestoreRequest {
  readonly dir: string;
  readonly params?: Readonly<Record<string, string>>;
  /** Absent: the parallelism the snapshot was taken with. */
  readonly parallelism?: number;
  readonly allowNonRestoredState?: boolean;
  readonly newPartitionStart?: StartPosition;
}

export interface PreparedRestore {
  readonly plan: RestorePlan;
  readonly snapshot: JobSnapshot;
  /** The parallelism to run with (the requested one, else the saved one). */
  readonly parallelism: number;
}

/** The largest saved parallelism of a keyed operator: what "as saved" means for a one-process engine. */
export function savedParallelism(meta: SavepointMetadata): number {
  return Math.max(1, ...meta.operators.filter((o) => o.keyFingerprint !== undefined || o.files.length > 0).map((o) => o.parallelism));
}

async function currentPartitions(kafka: KafkaPort | undefined, topics: readonly string[]): Promise<{ partitions: TopicPartition[]; ends: Map<string, { low: number; high: number }> } | undefined> {
  if (!kafka || topics.length === 0) return undefined;
  const partitions: TopicPartition[] = [];
  const ends = new Map<string, { low: number; high: number }>();
  for (const topic of topics) {
    for (const w of await kafka.watermarks(topic)) {
      partitions.push({ topic, partition: w.partition });
      ends.set(partitionKey(topic, w.partition), { low: w.low, high: w.high });
    }
  }
  return { partitions, ends };
}

/**
 * Plans and loads a restore. An incompatible plan throws RestoreIncompatibleError
 * with every problem in `data.problems` (and the first one's fix as the hint).
 */
export async function prepareRestore(definition: JobDefinition, kafka: KafkaPort | undefined, request: RestoreRequest): Promise<PreparedRestore> {
  const meta = await readSavepointMetadata(request.dir);
  const description = describeJob(definition, request.params ?? {});
  const parallelism = request.parallelism ?? savedParallelism(meta);
  const now = await currentPartitions(kafka, description.inputTopics);
  const plan = planRestore(meta, description, {
    parallelism,
    allowNonRestoredState: request.allowNonRestoredState ?? false,
    newPartitionStart: request.newPartitionStart ?? 'earliest',
    ...(now ? { currentPartitions: now.partitions } : {}),
  });
  if (!plan.compatible) {
    const lines = plan.problems.map((p) => `\n  ✗ [${p.code}] ${p.message}\n      fix: ${p.fix}`).join('');
    throw new RestoreIncompatibleError('RESTORE_INCOMPATIBLE', `${request.dir} cannot be restored into ${plan.job.name} ${plan.job.version}; nothing was started:${lines}`, {
      hint: `Apply the fixes above; \`pitlane savepoint check ${request.dir} --job JOB.ts\` shows the plan without starting anything.`,
      data: { problems: plan.problems },
    });
  }
  const loaded = await loadRestoredState(request.dir, meta, plan);
  const operators: OperatorSnapshot[] = [];
  for (const a of plan.assignments) {
    const saved = meta.operators.find((o) => o.uid === a.uid)!;
    const restored = loaded.get(a.uid);
    operators.push({
      uid: saved.uid,
      name: saved.name,
      kind: saved.kind,
      parallelism: a.parallelism,
      ...(saved.keyFingerprint !== undefined ? { keyFingerprint: saved.keyFingerprint } : {}),
      // The saved (writer) descriptors: the engine decodes each value with them and reads it
      // as the new job's descriptor (Avro resolution), which is how schema evolution works.
      states: saved.states,
      keyGroups: (restored?.subtasks ?? []).flat(),
      ...(restored?.operatorState ? { operatorState: restored.operatorState } : {}),
    });
  }
  const sourceOffsets: TopicPartitionOffset[] = [];
  for (const s of plan.sources) {
    if (s.from === 'savepoint' && s.offset !== undefined && s.partition !== undefined) sourceOffsets.push({ topic: s.topic, partition: s.partition, offset: s.offset });
    else if (s.partition !== undefined) {
      const end = now?.ends.get(partitionKey(s.topic, s.partition));
      if (end) sourceOffsets.push({ topic: s.topic, partition: s.partition, offset: s.from === 'latest' ? end.high : end.low });
    }
  }
  const kept = new Set(sourceOffsets.map((o) => partitionKey(o.topic, o.partition)));
  const snapshot: JobSnapshot = {
    job: meta.job,
    maxParallelism: meta.maxParallelism,
    operators,
    sourceOffsets,
    watermarks: meta.watermarks.filter((w) => kept.has(partitionKey(w.topic, w.partition))),
    createdAt: meta.createdAt,
    type: meta.type,
  };
  return { plan, snapshot, parallelism };
}
