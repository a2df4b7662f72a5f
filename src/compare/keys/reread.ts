import type { KafkaPort } from '../../kafka/port.ts';
import type { Side } from '../../../comparators/types.ts';
import { SideState, type AvroDecoder, type SideOptions } from '../side-state.ts';
import type { WindowDivergence } from './buckets.ts';
import { KeyCollector, type DivergingKeys } from './divergence.ts';
import type { ValueDigester } from './digest.ts';

export interface RereadSide {
  readonly options: SideOptions;
  readonly avro?: AvroDecoder | undefined;
}

export interface RereadOptions {
  /** Keys listed per kind. */
  readonly sample: number;
  /** Keys held at once, both sides (KeyCollector). */
  readonly budget: number;
  readonly digester: ValueDigester;
}

/**
 * Names a window's diverging keys: reads each side's records of the window again,
 * between the offsets they were first read at, and keeps per-key digests only for
 * the keys whose bucket (key-hash range) differed — the second level of the search
 * after the bucket checksums. The records themselves are not held; the last value
 * of each key examined is.
 */
export async function divergingKeys(kafka: KafkaPort, d: WindowDivergence, sides: Readonly<Record<Side, RereadSide>>, o: RereadOptions): Promise<DivergingKeys> {
  const collector = new KeyCollector(d.buckets, o.budget, o.digester);
  for (const side of ['a', 'b'] as const) await readSide(kafka, d, side, sides[side], collector);
  return collector.diff(o.sample);
}

async function readSide(kafka: KafkaPort, d: WindowDivergence, side: Side, s: RereadSide, collector: KeyCollector): Promise<void> {
  const spans = d.spans[side];
  if (spans.length === 0) return;
  const topic = s.options.topic;
  // Decoded as the comparison decoded it (same settings and event-time floor); undecodable records were skipped then too.
  const state = new SideState({ ...s.options, maxUndecodable: Number.MAX_SAFE_INTEGER });
  const json = s.options.settings.format === 'json';
  const reader = kafka.read({
    topics: [topic],
    partitions: spans.map((p) => ({ topic, partition: p.partition })),
    from: { offsets: spans.map((p) => ({ topic, partition: p.partition, offset: p.first })) },
    to: { offsets: spans.map((p) => ({ topic, partition: p.partition, offset: p.last + 1 })) },
    bufferedBatches: 2,
    ...(json ? { pack: { headers: state.headers } } : {}),
  });
  const { start, end } = d.window;
  try {
    for await (const batch of reader) {
      for (const r of await state.decode(batch, s.avro)) {
        if (r.eventTime >= start && r.eventTime < end) collector.add(side, r);
      }
    }
  } finally {
    await reader.close();
  }
}
