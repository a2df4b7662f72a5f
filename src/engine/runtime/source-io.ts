/**
 * The Kafka side of a job's sources, for the runner: where each partition starts,
 * and how a fetched batch becomes elements (decode, event time, watermark).
 */
import type { IncomingRecord, KafkaPort, TopicPartitionOffset } from '../../kafka/port.ts';
import type { SchemaRegistryPort } from '../../kafka/registry.ts';
import { avroSerde } from '../../kafka/serdes.ts';
import { ConfigError } from '../../errors.ts';
import { withRetry } from './kafka-setup.ts';
import { decodeJson, type SourceOperator } from './source.ts';
import { partitionKey } from '../../kafka/partition-key.ts';

type Positions = { readonly sourceOffsets: readonly TopicPartitionOffset[]; readonly watermarks: readonly (TopicPartitionOffset & { readonly watermark: number })[] };

const byPartition = <T extends { readonly topic: string; readonly partition: number }, V>(list: readonly T[] | undefined, f: (o: T) => V) =>
  new Map((list ?? []).map((o) => [partitionKey(o.topic, o.partition), f(o)] as const));

/**
 * Adds every partition of every Kafka source at its start position: the delta's
 * offset (and watermark), else the restored snapshot's, else the source's startFrom.
 */
export async function addKafkaPartitions(sources: readonly SourceOperator[], kafka: KafkaPort | undefined, from: { restore?: Positions | undefined; delta?: Positions | undefined }, now: number): Promise<void> {
  const offsets = new Map([...byPartition(from.restore?.sourceOffsets, (o) => o.offset), ...byPartition(from.delta?.sourceOffsets, (o) => o.offset)]);
  const marks = new Map([...byPartition(from.restore?.watermarks, (o) => o.watermark), ...byPartition(from.delta?.watermarks, (o) => o.watermark)]);
  for (const src of sources) {
    if (src.spec.type !== 'kafka') continue;
    for (const topic of src.spec.topics) {
      for (const m of await withRetry(() => kafka!.watermarks(topic))) {
        const id = partitionKey(topic, m.partition);
        src.addPartition(topic, m.partition, offsets.get(id) ?? (src.spec.startFrom === 'latest' ? m.high : m.low), now, marks.get(id));
      }
    }
  }
}

/** Pushes one fetched batch through a source (decoding each record), then moves its watermark. */
export async function ingestKafkaBatch(src: SourceOperator, records: readonly IncomingRecord[], registry: SchemaRegistryPort | undefined, now: number): Promise<void> {
  if (src.spec.type === 'kafka' && src.spec.format === 'avro') {
    const serde = registry ? avroSerde(registry, { subject: '' }) : undefined;
    for (const r of records) {
      if (!serde) src.ingest(r, undefined, now, new ConfigError('ENGINE_NO_REGISTRY', 'An Avro source needs a schema registry.'));
      else if (r.value === null) src.ingest(r, undefined, now, decodeJson(r).error);
      else await serde.deserialize(r.value).then((v) => src.ingest(r, v, now), (e: unknown) => src.ingest(r, undefined, now, e));
    }
  } else {
    for (const r of records) {
      const d = decodeJson(r);
      src.ingest(r, d.value, now, d.error);
    }
  }
  src.advanceWatermark(now);
}
