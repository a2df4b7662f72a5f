/**
 * Where a Flink savepoint resumes its Kafka input: the offsets its Kafka source
 * readers recorded. A handoff's cut and a rollback's replay start there, so they must
 * be exact; the source's consumer group is not (its offsets are committed
 * asynchronously after a checkpoint, and a stop's last commit does not land: the group
 * holds the previous checkpoint's offsets).
 *
 * Flink writes small operator state inline in the savepoint's `_metadata`. A Kafka
 * source reader's state is a list of splits, each wrapped as Flink's
 * SimpleVersionedSerialization writes it — [length i32][version i32][length i32] — and
 * serialized by the connector's KafkaPartitionSplitSerializer as
 * [topic: u16 length + UTF-8][partition i32][next offset i64][stopping offset i64].
 * This finds those records for the job's input topics, by that exact framing (the
 * split enumerator's state frames its splits differently, and records sentinels, not
 * positions). No Flink classes are needed; when nothing is found (a state too large to
 * be inline, another connector, a savepoint not on this machine) the answer is
 * undefined and the caller says what it uses instead.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TopicPartitionOffset } from '../../kafka/port.ts';

/** The local path of a savepoint's `_metadata`, if it is on this machine. */
function metadataFile(location: string): string | undefined {
  let dir = location;
  if (location.startsWith('file:')) dir = fileURLToPath(location.replace(/^file:\/*/, 'file:///'));
  else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) return undefined; // hdfs://, s3://: not on this machine
  const f = join(dir, '_metadata');
  return existsSync(f) ? f : undefined;
}

/** The input offsets the savepoint's Kafka source readers resume from, or undefined if it records none for these topics. */
export function savepointInputOffsets(location: string, inputs: readonly string[]): TopicPartitionOffset[] | undefined {
  const file = metadataFile(location);
  if (!file) return undefined;
  const b = readFileSync(file);
  const found = new Map<string, TopicPartitionOffset>();
  for (const topic of inputs) {
    const name = Buffer.from(topic, 'utf8');
    const splitLength = 2 + name.length + 4 + 8 + 8;
    for (let at = b.indexOf(name); at >= 0; at = b.indexOf(name, at + 1)) {
      const head = at - 2 - 12;
      const end = at + name.length;
      if (head < 0 || end + 20 > b.length || b.readUInt16BE(at - 2) !== name.length) continue;
      if (b.readInt32BE(head) !== splitLength + 8 || b.readInt32BE(head + 8) !== splitLength) continue;
      const partition = b.readInt32BE(end);
      const offset = Number(b.readBigInt64BE(end + 4));
      if (partition < 0 || offset < 0) continue;
      const key = `${topic}/${partition}`;
      const seen = found.get(key);
      // One reader owns a split; two different positions would mean the framing matched something else.
      if (seen && seen.offset !== offset) return undefined;
      found.set(key, { topic, partition, offset });
    }
  }
  return found.size > 0 ? [...found.values()].sort((x, y) => x.topic.localeCompare(y.topic) || x.partition - y.partition) : undefined;
}
