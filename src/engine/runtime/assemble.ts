/**
 * Everything a running job is made of, built once by startJob before its lifecycle
 * begins: the operators (restored from a snapshot if given), the output channel
 * every sink and the dead-letter topic write through, and the dead-letter buffer.
 */
import type { IncomingRecord } from '../../kafka/port.ts';
import { avroSerde, type Serde } from '../../kafka/serdes.ts';
import { ConfigError, RestoreIncompatibleError } from '../../errors.ts';
import { validateParallelism } from '../key-groups.ts';
import { buildJob, type JobDefinition } from '../api/job.ts';
import type { Operator } from '../operators/operator.ts';
import { systemClock, type Clock } from '../../clock.ts';
import { KeyedOperator } from '../operators/keyed.ts';
import { KafkaSinkOperator } from '../operators/sink.ts';
import { DeadLetterBuffer } from './dead-letters.ts';
import { createOperators } from './operators.ts';
import { restoreOperators, sourceOperators } from './snapshot.ts';
import { applyJobDelta, type JobDelta } from './delta.ts';
import { ensureTopic } from './kafka-setup.ts';
import type { SourceOperator } from './source.ts';
import { openAtLeastOnceOutput, type OutputChannel } from './output.ts';
import type { EngineDeps, RunOptions } from './job-api.ts';

export interface AssembledJob {
  readonly definition: JobDefinition;
  readonly parallelism: number;
  readonly clock: Clock;
  readonly ops: readonly Operator[];
  readonly sources: readonly SourceOperator[];
  readonly sinks: readonly Operator[];
  readonly keyed: readonly KeyedOperator[];
  readonly dead: DeadLetterBuffer;
  /** Absent for a job without Kafka (in-process sources and sinks only). */
  readonly output: OutputChannel | undefined;
}


export async function assembleJob(definition: JobDefinition, deps: EngineDeps, options: RunOptions): Promise<AssembledJob> {
  const clock = deps.clock ?? systemClock;
  const parallelism = options.parallelism ?? 1;
  validateParallelism(definition.maxParallelism, parallelism);
  const built = buildJob(definition, options.params ?? {});
  const policy = definition.deadLetters?.policy ?? 'dlq';
  const dead = new DeadLetterBuffer(policy, options.deadLetterTopic ?? definition.deadLetters?.topic ?? `${definition.name}.dlq`);
  const rt = { maxParallelism: definition.maxParallelism, parallelism, clock, deadLetter: (op: string, e: unknown, src: IncomingRecord) => dead.add(op, e, src) };
  const needsKafka = built.graph.nodes.some((n) => (n.kind === 'source' && n.source.type === 'kafka') || (n.kind === 'sink' && n.sink.type === 'kafka'));
  const kafka = deps.kafka;
  if (needsKafka && !kafka) throw new ConfigError('ENGINE_NO_KAFKA', `Job ${definition.name} reads or writes Kafka, but no Kafka client was given.`, { hint: 'Pass deps.kafka (createKafkaClients).' });
  const serdes = new Map<string, Serde>();
  const output = options.output ?? (needsKafka ? await openAtLeastOnceOutput(kafka!) : undefined);
  const ops = createOperators(built.graph, rt, {
    // Queued: the job processes on while its output is written (send-pipeline.ts); a failed write fails the next flush or commit.
    send: (topic, records, sendOptions) => output!.queue(topic, records, sendOptions),
    avroSerde(subject, schema) {
      if (!deps.registry) throw new ConfigError('ENGINE_NO_REGISTRY', `An Avro sink (subject ${subject}) needs a schema registry.`, { hint: 'Pass --registry-url or set SCHEMA_REGISTRY_URL.' });
      let s = serdes.get(subject);
      if (!s) serdes.set(subject, (s = avroSerde(deps.registry, { subject, schema })));
      return s;
    },
  });
  if (options.restore) {
    requireMaxParallelism(definition, 'snapshot', options.restore.maxParallelism, 'maxParallelism cannot change for a job with state; set it back in defineJob.');
    restoreOperators(ops, options.restore.operators, definition.maxParallelism);
  }
  if (kafka && policy === 'dlq' && needsKafka) await ensureTopic(kafka, dead.topic);
  return {
    definition,
    parallelism,
    clock,
    ops,
    sources: sourceOperators(ops),
    sinks: ops.filter((o) => o.node.kind === 'sink'),
    keyed: ops.filter((o): o is KeyedOperator => o instanceof KeyedOperator),
    dead,
    output,
  };
}

/** State is stored per key group, so a snapshot or a delta only fits the same maxParallelism. */
function requireMaxParallelism(definition: JobDefinition, what: 'snapshot' | 'delta', maxParallelism: number, hint: string): void {
  if (maxParallelism !== definition.maxParallelism) {
    throw new RestoreIncompatibleError('RESTORE_MAX_PARALLELISM', `The ${what} has maxParallelism ${maxParallelism}, job ${definition.name} has ${definition.maxParallelism}.`, { hint });
  }
}

/** Brings the state restored from a delta's base savepoint to the delta's point. */
export function applyDelta(job: AssembledJob, delta: JobDelta): void {
  requireMaxParallelism(job.definition, 'delta', delta.maxParallelism, 'A delta applies only to a job restored from its base savepoint; restore the full savepoint instead.');
  applyJobDelta(job.ops, delta, job.definition.maxParallelism);
}

/** The Kafka sink with this uid, or ENGINE_NO_SUCH_SINK naming the job's Kafka sinks. */
export function kafkaSink(job: AssembledJob, uid: string): KafkaSinkOperator {
  const sink = job.ops.find((o): o is KafkaSinkOperator => o instanceof KafkaSinkOperator && o.node.uid === uid);
  if (!sink) throw new ConfigError('ENGINE_NO_SUCH_SINK', `Job ${job.definition.name} has no Kafka sink with uid "${uid}".`, { hint: `Its Kafka sinks: ${job.ops.filter((o) => o instanceof KafkaSinkOperator).map((o) => o.node.uid).join(', ') || 'none'}.` });
  return sink;
}
