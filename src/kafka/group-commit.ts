/**
 * Commits an empty consumer group's offsets as Kafka's own AdminClient does
 * (alterConsumerGroupOffsets): FindCoordinator, then OffsetCommit with no
 * generation and no member id, which the group coordinator accepts only while the
 * group has no members (and which creates the group when it does not exist).
 * kafkajs' admin.setOffsets joins the group with a consumer instead and waits for
 * one of its fetches: the broker's initial rebalance delay (3 s by default) plus a
 * fetch wait (5 s on an idle topic) for every call. Plaintext connections only,
 * as the fetch reader (fetch-wire.ts); the port keeps kafkajs for TLS and SASL.
 */
import { KafkaError } from '../errors.ts';
import { BrokerConnection } from './fetch-wire.ts';
import { frame } from './produce-wire.ts';
import type { TopicPartitionOffset } from './port.ts';
import { sleep } from '../clock.ts';

const FIND_COORDINATOR = 10;
const OFFSET_COMMIT = 8;

/** Coordinator errors worth another try: loading, moved, not yet available. */
const RETRY = new Set([14, 15, 16]);
/** The group has members (or a generation): the coordinator refuses a commit from outside it. */
const ACTIVE = new Set([22, 25, 27]);

export interface GroupCommitOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly connectionTimeoutMs: number;
  readonly requestTimeoutMs: number;
}

const str = (s: string): Buffer => {
  const b = Buffer.from(s, 'utf8');
  const h = Buffer.allocUnsafe(2);
  h.writeInt16BE(b.length, 0);
  return Buffer.concat([h, b]);
};
const i8 = (n: number) => Buffer.of(n);
const i32 = (n: number) => {
  const b = Buffer.allocUnsafe(4);
  b.writeInt32BE(n, 0);
  return b;
};
const i64 = (n: number) => {
  const b = Buffer.allocUnsafe(8);
  b.writeBigInt64BE(BigInt(n), 0);
  return b;
};

function split(address: string): [string, number] {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i), Number(address.slice(i + 1))];
}

async function withConnection<T>(address: string, o: GroupCommitOptions, fn: (c: BrokerConnection) => Promise<T>): Promise<T> {
  const [host, port] = split(address);
  const c = new BrokerConnection(host, port, o);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

/** The group's coordinator as host:port (FindCoordinator v1), or a code to retry on. */
async function findCoordinator(groupId: string, o: GroupCommitOptions): Promise<string | number> {
  let body: Buffer | undefined;
  for (const [i, broker] of o.brokers.entries()) {
    try {
      body = await withConnection(broker, o, (c) => c.request('FindCoordinator', (id, cid) => frame(FIND_COORDINATOR, 1, id, cid, Buffer.concat([str(groupId), i8(0)]))));
      break;
    } catch (e) {
      if (i === o.brokers.length - 1) throw e;
    }
  }
  if (!body) throw new Error('no broker to ask');
  let at = 4; // throttle time
  const error = body.readInt16BE(at);
  at += 2;
  if (error !== 0) return error;
  const messageLength = body.readInt16BE(at);
  at += 2 + Math.max(0, messageLength);
  at += 4; // node id
  const hostLength = body.readInt16BE(at);
  const host = body.toString('utf8', at + 2, at + 2 + hostLength);
  return `${host}:${body.readInt32BE(at + 2 + hostLength)}`;
}

/** OffsetCommit v2 outside any generation; each partition's error code (0: committed). */
async function offsetCommit(coordinator: string, groupId: string, offsets: readonly TopicPartitionOffset[], o: GroupCommitOptions): Promise<number[]> {
  const byTopic = new Map<string, TopicPartitionOffset[]>();
  for (const x of offsets) byTopic.set(x.topic, [...(byTopic.get(x.topic) ?? []), x]);
  const parts: Buffer[] = [str(groupId), i32(-1), str(''), i64(-1), i32(byTopic.size)];
  for (const [topic, list] of byTopic) {
    parts.push(str(topic), i32(list.length));
    for (const x of list) parts.push(i32(x.partition), i64(x.offset), Buffer.from([0xff, 0xff]));
  }
  const body = await withConnection(coordinator, o, (c) => c.request('OffsetCommit', (id, cid) => frame(OFFSET_COMMIT, 2, id, cid, Buffer.concat(parts))));
  const errors: number[] = [];
  const topics = body.readInt32BE(0);
  let at = 4;
  for (let t = 0; t < topics; t++) {
    at += 2 + body.readInt16BE(at); // the topic's name
    const count = body.readInt32BE(at);
    at += 4;
    for (let p = 0; p < count; p++, at += 6) errors.push(body.readInt16BE(at + 4));
  }
  return errors;
}

/** Commits `offsets` for `groupId`; a KafkaError when the group has members or the coordinator refuses. */
export async function commitGroupOffsets(groupId: string, offsets: readonly TopicPartitionOffset[], o: GroupCommitOptions): Promise<void> {
  if (offsets.length === 0) return;
  for (let attempt = 1; ; attempt++) {
    const coordinator = await findCoordinator(groupId, o);
    const errors = typeof coordinator === 'number' ? [coordinator] : await offsetCommit(coordinator, groupId, offsets, o);
    const error = errors.find((e) => e !== 0);
    if (error === undefined) return;
    if (RETRY.has(error) && attempt < 5) {
      await sleep(200 * attempt);
      continue;
    }
    if (ACTIVE.has(error)) {
      throw new KafkaError('KAFKA_GROUP_ACTIVE', `Kafka refused to set the offsets of group ${groupId}: the group has members (error code ${error}).`, {
        retriable: true,
        hint: `Stop the consumers of ${groupId}, then try again: offsets of a group can be set only while it is empty.`,
      });
    }
    throw new KafkaError('KAFKA_ERROR', `Kafka refused to set the offsets of group ${groupId} (error code ${error}).`, {
      retriable: RETRY.has(error),
      hint: 'See the Kafka protocol error codes for this one; the group coordinator may be unavailable.',
    });
  }
}
