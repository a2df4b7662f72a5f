/**
 * When a transaction's output became visible to `read_committed` readers, by the
 * broker's clock. A transaction ends with a commit marker: a control batch the
 * partition leader writes, stamped with its own time, once the coordinator
 * decided the commit — the moment its records became readable. A pit stop on an
 * engine that does not report its output times itself (Flink: its exactly-once
 * sink commits at checkpoints, inside the cluster) is measured from these: the
 * old job's last commit before the handoff's output offsets, the new job's first
 * commit after them.
 *
 * Read over plaintext straight from the leaders (fetch-wire.ts), read_uncommitted,
 * so that markers and the data batches before them are seen as written.
 */
import { BrokerConnection } from './fetch-wire.ts';
import { partitionKey } from './partition-key.ts';
import { batchHeaders } from './record-batches.ts';
import type { CommitMark, CommitMarks, CommitMarksQuery, TopicPartitionOffset } from './port.ts';

export interface TransactionMarksDeps {
  leaders(topics: readonly string[]): Promise<Map<string, string>>;
  clientId: string;
  connectionTimeoutMs: number;
  requestTimeoutMs: number;
}

/** How far one search for a partition's first commit walks (fetches of up to 1 MiB each). */
const MAX_FETCHES = 64;
const MAX_BYTES = 2 ** 20;

export async function commitMarks(topic: string, q: CommitMarksQuery, deps: TransactionMarksDeps): Promise<CommitMarks> {
  const leaders = await deps.leaders([topic]);
  const connections = new Map<string, BrokerConnection>();
  const fetch = async (partition: number, offset: number) => {
    const leader = leaders.get(partitionKey(topic, partition));
    if (leader === undefined) throw new Error(`no leader for ${topic}/${partition}`);
    let c = connections.get(leader);
    if (!c) {
      const i = leader.lastIndexOf(':');
      c = new BrokerConnection(leader.slice(0, i), Number(leader.slice(i + 1)), deps);
      connections.set(leader, c);
    }
    const [fp] = await c.fetch({ maxWaitMs: 0, minBytes: 0, maxBytes: MAX_BYTES, readCommitted: false, topics: new Map([[topic, [{ partition, offset, maxBytes: MAX_BYTES }]]]) });
    if (!fp || fp.errorCode !== 0) throw new Error(`Kafka error code ${fp?.errorCode ?? 'none'} fetching ${topic}/${partition}@${offset}`);
    return fp;
  };
  try {
    const marks: CommitMark[] = [];
    const ends: PartitionEnd[] = [];
    for (const at of 'first' in q ? q.first : q.last) {
      if (at.topic !== topic) continue;
      if ('first' in q) {
        const found = await firstCommit(at, fetch);
        ends.push(found.end);
        if (found.mark) marks.push(found.mark);
      } else {
        const fp = await fetch(at.partition, Math.max(0, at.offset - 1));
        ends.push({ partition: at.partition, high: fp.highWatermark, lastStable: fp.lastStableOffset });
        const b = batchHeaders(fp.records).find((h) => h.base <= at.offset - 1 && at.offset - 1 <= h.last);
        if (at.offset > 0 && b?.commit) marks.push({ partition: at.partition, offset: b.base, timestamp: b.maxTimestamp, producerId: b.producerId });
      }
    }
    return { marks, ends };
  } finally {
    for (const c of connections.values()) c.close();
  }
}

type PartitionEnd = CommitMarks['ends'][number];

type Fetch = (partition: number, offset: number) => Promise<{ highWatermark: number; lastStableOffset: number; records: Buffer }>;

/**
 * The first commit at or after `at` of a transaction that wrote records there
 * (a marker of a producer seen only before `at` ends an older transaction).
 */
async function firstCommit(at: TopicPartitionOffset, fetch: Fetch): Promise<{ mark?: CommitMark; end: PartitionEnd }> {
  const writers = new Set<number>();
  let pos = at.offset;
  let end = { partition: at.partition, high: 0, lastStable: 0 };
  for (let i = 0; i < MAX_FETCHES; i++) {
    const fp = await fetch(at.partition, pos);
    end = { partition: at.partition, high: fp.highWatermark, lastStable: fp.lastStableOffset };
    const batches = batchHeaders(fp.records);
    for (const b of batches) {
      if (b.last < pos) continue;
      if (!b.control && b.transactional && b.last >= at.offset) writers.add(b.producerId);
      if (b.commit && b.base >= at.offset && writers.has(b.producerId)) return { mark: { partition: at.partition, offset: b.base, timestamp: b.maxTimestamp, producerId: b.producerId }, end };
    }
    const next = Math.max(pos, ...batches.map((b) => b.last + 1));
    if (next === pos || next >= fp.highWatermark) return { end };
    pos = next;
  }
  return { end };
}
