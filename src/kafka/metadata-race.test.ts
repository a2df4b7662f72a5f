/**
 * The admin reads that kafkajs answers from its cached metadata: a concurrent
 * refresh for another topic leaves the cache without the topic, and kafkajs then
 * answers for no partitions (fetchOffsets with topics, fetchTopicOffsets) or throws
 * a TypeError (between its two ListOffsets). The fake admin below answers as
 * kafkajs 2.2.4 does in that state, which a stress run against the broker showed
 * (cached topics: only the other topic; fetchOffsets answered []).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Admin, Kafka } from 'kafkajs';
import { KafkaError } from '../errors.ts';
import { everyPartition } from './metadata-race.ts';
import { KafkaJsAdmin } from './kafkajs-admin.ts';
import type { KafkaJsContext } from './kafkajs-client.ts';
import { silentLogger } from '../logger.ts';

const fail = (e: unknown) => new KafkaError('KAFKA_ERROR', String(e));

test('everyPartition reads again until the answer covers every partition', async () => {
  const answers: (() => { partition: number }[])[] = [
    () => [],
    () => {
      throw new TypeError("Cannot destructure property 'partitions' of 'low.pop(...)' as it is undefined.");
    },
    () => [{ partition: 1 }],
    () => [{ partition: 1 }, { partition: 0 }],
  ];
  let calls = 0;
  const got = await everyPartition(2, async () => answers[calls++]!(), 'read watermarks of t', fail);
  assert.deepEqual(got, [{ partition: 1 }, { partition: 0 }]);
  assert.equal(calls, 4);
});

test('everyPartition gives up with a clear error, and never retries a real failure', async () => {
  await assert.rejects(everyPartition(3, async () => [{ partition: 0 }], 'read watermarks of t', fail, 3), (e: unknown) => {
    assert.ok(e instanceof KafkaError);
    assert.equal(e.code, 'KAFKA_PARTITIONS_MISSING');
    assert.match(e.message, /read watermarks of t covered partitions \[0\] of 3 in 3 attempts/);
    return true;
  });
  let calls = 0;
  await assert.rejects(
    everyPartition(1, async () => {
      calls++;
      throw new Error('broker down');
    }, 'x', fail),
    /broker down/,
  );
  assert.equal(calls, 1);
});

/** An admin whose metadata cache a concurrent refresh left without `topic`, as kafkajs' is in the race. */
function racedAdmin(topic: string) {
  const committed = [{ topic, partitions: [{ partition: 0, offset: '25', metadata: null }, { partition: 1, offset: '33', metadata: null }] }, { topic: 'other', partitions: [{ partition: 0, offset: '7', metadata: null }] }];
  let offsetCalls = 0;
  const admin = {
    connect: async () => undefined,
    // kafkajs asks the coordinator only about the partitions its cache lists for the named topics: none here.
    fetchOffsets: async ({ topics }: { groupId: string; topics?: string[] }) => (topics && topics.length > 0 ? topics.map((t) => ({ topic: t, partitions: [] })) : committed),
    listTopics: async () => [topic],
    fetchTopicMetadata: async () => ({ topics: [{ name: topic, partitions: [{ partitionId: 0 }, { partitionId: 1 }] }] }),
    // The first answers come while the cache lacks the topic.
    fetchTopicOffsets: async () => {
      offsetCalls++;
      if (offsetCalls === 1) throw new TypeError("Cannot read properties of undefined (reading 'offset')");
      if (offsetCalls === 2) return [{ partition: 1, offset: '40', high: '40', low: '0' }];
      return [{ partition: 0, offset: '30', high: '30', low: '2' }, { partition: 1, offset: '40', high: '40', low: '0' }];
    },
  };
  const ctx: KafkaJsContext = {
    kafka: { admin: () => admin as unknown as Admin } as unknown as Kafka,
    conn: { brokers: ['127.0.0.1:1'] } as unknown as KafkaJsContext['conn'],
    logger: silentLogger(),
    fail,
    isClosed: () => false,
  };
  return new KafkaJsAdmin(ctx);
}

test("groupOffsets reads the group's commits without kafkajs' cached partition list", async () => {
  assert.deepEqual(await racedAdmin('auth').groupOffsets('g', 'auth'), [
    { topic: 'auth', partition: 0, offset: 25 },
    { topic: 'auth', partition: 1, offset: 33 },
  ]);
});

test('watermarks answers for every partition even when kafkajs first answers for fewer', async () => {
  assert.deepEqual(await racedAdmin('auth').watermarks('auth'), [
    { partition: 0, low: 2, high: 30 },
    { partition: 1, low: 0, high: 40 },
  ]);
});
