/**
 * `pitlane cutover` end to end through the real CLI and broker: the dry run's
 * table and JSON, the apply, a repeat that never rewinds, and the refusals (a
 * group with members, a group with no commits, a missing flag).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { kafkaForTest, uniqueName, waitFor } from './support/kafka.ts';
import { pitlaneCli } from './support/cli.ts';

const lineage = (inPart: number, off: number) => ({ 'pitlane.src.topic': 'payments', 'pitlane.src.partition': String(inPart), 'pitlane.src.offset': String(off), 'pitlane.event-time': String(1_700_000_000_000 + off) });

test('pitlane cutover: dry run (table and JSON), apply, repeat, and refused while the group has members', { timeout: 120_000 }, async (t) => {
  const k = kafkaForTest(t);
  const auth = await k.topic('cutcli-auth', 2);
  const canary = await k.topic('cutcli-canary', 2);
  const group = k.trackGroup(uniqueName('cutcli-billing'));
  // Input partition p feeds output partition p; the candidate forked at input 10.
  for (const p of [0, 1]) {
    await k.kafka.produce(auth, Array.from({ length: 40 }, (_, i) => ({ key: `k${p}`, value: `v1-${i}`, headers: lineage(p, i), partition: p, timestamp: 1_700_000_000_000 + i })));
    await k.kafka.produce(canary, Array.from({ length: 30 }, (_, j) => ({ key: `k${p}`, value: `v2-${j + 10}`, headers: lineage(p, j + 10), partition: p, timestamp: 1_700_000_000_000 + j + 10 })));
  }
  await k.kafka.setGroupOffsets(group, [{ topic: auth, partition: 0, offset: 25 }, { topic: auth, partition: 1, offset: 33 }]);
  const args = ['--group', group, '--from', auth, '--to', canary];

  const dry = await pitlaneCli(['cutover', ...args, '--dry-run']);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /dry run, nothing set/);
  const row0 = dry.stdout.split('\n').find((l) => l.startsWith('0 '))!;
  assert.match(row0, /^0\s+25\s+@24 key k0 \S+ payments\/0@24\s+@14 key k0 \S+ payments\/0@24\s+15\s+lineage\s+would set$/);
  assert.match(dry.stdout.split('\n').find((l) => l.startsWith('1 '))!, /\s23\s+lineage\s+would set$/);
  assert.deepEqual(await k.kafka.groupOffsets(group, canary), [], 'a dry run sets nothing');

  const dryJson = await pitlaneCli(['cutover', ...args, '--dry-run', '--json']);
  assert.equal(dryJson.code, 0, dryJson.stderr);
  const plan = JSON.parse(dryJson.stdout) as { dryRun: boolean; applied: boolean; recordsRead: number; partitions: { partition: number; committed: number; offset: number; by: string; action: string; lastSeen: { offset: number; key: string; lineage: { offset: number } }; matched: { offset: number; timestamp: number; lineage: { partition: string; offset: number } } }[] };
  assert.equal(plan.dryRun, true);
  assert.equal(plan.applied, false);
  assert.deepEqual(plan.partitions.map((p) => [p.partition, p.committed, p.lastSeen.offset, p.matched.offset, p.offset, p.action]), [[0, 25, 24, 14, 15, 'would set'], [1, 33, 32, 22, 23, 'would set']]);
  assert.deepEqual(plan.partitions[1]!.matched.lineage, { topic: 'payments', partition: '1', offset: 32 });
  assert.equal(plan.partitions[1]!.matched.timestamp, 1_700_000_000_032);
  assert.ok(plan.recordsRead > 0);

  const applied = await pitlaneCli(['cutover', ...args, '--json']);
  assert.equal(applied.code, 0, applied.stderr);
  assert.equal((JSON.parse(applied.stdout) as { applied: boolean }).applied, true);
  assert.deepEqual((await k.kafka.groupOffsets(group, canary)).map((o) => [o.partition, o.offset]), [[0, 15], [1, 23]]);
  assert.deepEqual((await k.kafka.groupOffsets(group, auth)).map((o) => [o.partition, o.offset]), [[0, 25], [1, 33]], 'the source commits are never changed');

  // The group moved on along the canary topic: a repeat keeps it there.
  await k.kafka.setGroupOffsets(group, [{ topic: canary, partition: 0, offset: 20 }]);
  const again = await pitlaneCli(['cutover', ...args]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /kept \(already at 20\)/);
  assert.deepEqual((await k.kafka.groupOffsets(group, canary)).map((o) => [o.partition, o.offset]), [[0, 20], [1, 23]]);

  // A member in the group: refused (exit 3), nothing changed; a dry run still answers.
  const kafkajs = new Kafka({ brokers: process.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
  const consumer = kafkajs.consumer({ groupId: group });
  t.after(() => consumer.disconnect().catch(() => undefined));
  await consumer.connect();
  await consumer.subscribe({ topics: [canary] });
  await consumer.run({ autoCommit: false, eachMessage: async () => undefined });
  await waitFor(async () => (await k.kafka.describeGroup(group)).members > 0, { message: 'the consumer joined' });
  await assert.rejects(k.kafka.setGroupOffsets(group, [{ topic: canary, partition: 0, offset: 1 }]), (e: unknown) => (e as { code?: string }).code === 'KAFKA_GROUP_ACTIVE', 'Kafka refuses a commit from outside the group');
  const refused = await pitlaneCli(['cutover', ...args, '--json']);
  assert.equal(refused.code, 3);
  assert.match(refused.stderr, /CUTOVER_GROUP_ACTIVE.*1 member/);
  assert.equal((JSON.parse(refused.stdout) as { code: string }).code, 'CUTOVER_GROUP_ACTIVE');
  const whileActive = await pitlaneCli(['cutover', ...args, '--dry-run']);
  assert.equal(whileActive.code, 0, whileActive.stderr);
  assert.match(whileActive.stdout, /Stable, 1 member/);
  await consumer.disconnect();
  assert.deepEqual((await k.kafka.groupOffsets(group, canary)).map((o) => [o.partition, o.offset]), [[0, 20], [1, 23]]);
});

test('pitlane cutover refuses bad input before it reads anything', { timeout: 60_000 }, async (t) => {
  const k = kafkaForTest(t);
  const auth = await k.topic('cutcli-a', 1);
  const three = await k.topic('cutcli-three', 3);
  const group = uniqueName('cutcli-nobody');
  const none = await pitlaneCli(['cutover', '--group', group, '--from', auth, '--to', three]);
  assert.equal(none.code, 3);
  assert.match(none.stderr, /CUTOVER_NO_COMMITS/);
  const same = await pitlaneCli(['cutover', '--group', group, '--from', auth, '--to', auth]);
  assert.equal(same.code, 3);
  assert.match(same.stderr, /CUTOVER_SAME_TOPIC/);
  const usage = await pitlaneCli(['cutover', '--group', group, '--from', auth]);
  assert.equal(usage.code, 64);
  assert.match(usage.stderr, /--to/);
  k.trackGroup(group);
  await k.kafka.setGroupOffsets(group, [{ topic: auth, partition: 0, offset: 0 }]);
  const differ = await pitlaneCli(['cutover', '--group', group, '--from', auth, '--to', three, '--dry-run']);
  assert.equal(differ.code, 3);
  assert.match(differ.stderr, /CUTOVER_PARTITIONS_DIFFER/);
});
