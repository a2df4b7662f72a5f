/**
 * The bounded translation's reads over the KafkaPort: watermarks, the time index
 * (ListOffsets by timestamp), and one partition's range of records, read packed —
 * straight from the partition's leader, with no consumer group to join (the
 * kafkajs consumer behind an unpacked read would join one per read) — and laid
 * out as records with only the key and the lineage headers.
 */
import { layout } from '../../compare/packed.ts';
import type { IncomingRecord, KafkaPort, PartitionWatermarks, TopicPartitionOffset } from '../../kafka/port.ts';
import { LINEAGE_HEADERS } from '../../lineage.ts';
import type { CutoverReads } from './bounded.ts';

const HEADERS = [LINEAGE_HEADERS.topic, LINEAGE_HEADERS.partition, LINEAGE_HEADERS.offset, LINEAGE_HEADERS.eventTime];

export class KafkaCutoverReads implements CutoverReads {
  constructor(private readonly kafka: KafkaPort) {}

  watermarks(topic: string): Promise<readonly PartitionWatermarks[]> {
    return this.kafka.watermarks(topic);
  }

  offsetsForTimestamp(topic: string, timestamp: number): Promise<readonly TopicPartitionOffset[]> {
    return this.kafka.offsetsForTimestamp(topic, timestamp);
  }

  async readRange(topic: string, partition: number, from: number, to: number): Promise<readonly IncomingRecord[]> {
    if (to <= from) return [];
    const out: IncomingRecord[] = [];
    const reader = this.kafka.read({
      topics: [topic],
      partitions: [{ topic, partition }],
      from: { offsets: [{ topic, partition, offset: from }] },
      to: { offsets: [{ topic, partition, offset: to }] },
      isolation: 'read_committed',
      pack: { headers: HEADERS },
    });
    try {
      for await (const batch of reader) {
        if (!batch.packed) {
          for (const r of batch.records) if (r.offset >= from && r.offset < to) out.push(r);
          continue;
        }
        const { count, nums, spans, bytes } = layout(batch.packed, HEADERS);
        const fields = 2 + HEADERS.length;
        for (let i = 0; i < count; i++) {
          const offset = nums[2 * i]!;
          if (offset < from || offset >= to) continue;
          const at = 2 * i * fields;
          const field = (f: number): Buffer | null => {
            const len = spans[at + 2 * f + 1]!;
            return len < 0 ? null : Buffer.from(bytes.subarray(spans[at + 2 * f]!, spans[at + 2 * f]! + len));
          };
          const headers: Record<string, Buffer> = {};
          HEADERS.forEach((h, j) => {
            const v = field(2 + j);
            if (v) headers[h] = v;
          });
          out.push({ topic, partition, offset, key: field(0), value: null, headers, timestamp: nums[2 * i + 1]! });
        }
      }
    } finally {
      await reader.close();
    }
    return out;
  }
}
