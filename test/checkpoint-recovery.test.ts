// The checkpoint coordinator on the real broker and real files: which checkpoint a
// recovery picks (exactly-once: the one whose transaction committed; at-least-once:
// the newest complete one), that a half-written checkpoint is never picked, fencing
// of a predecessor, lineages, and pruning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { kafkaForTest, uniqueName } from './support/kafka.ts';
import { readAll, workspace, topicOf } from './savepoint-runtime-support.ts';
import { silentLogger } from '../src/logger.ts';
import { recoverCheckpoints, syntheticSnapshot } from '../src/engine/index.ts';
import { checkpointGroupOf, type CheckpointConfig } from '../src/engine/checkpoint/coordinator.ts';
import { listCheckpoints } from '../src/engine/checkpoint/store.ts';
import type { Transaction } from '../src/kafka/port.ts';

const snapshot = syntheticSnapshot({ keys: 20 });
const logger = silentLogger();

test('at-least-once: recovery takes the newest complete checkpoint; half-written and unreadable ones are skipped', async (t) => {
  const k = kafkaForTest(t);
  const ws = await workspace(t);
  const dir = join(ws.root, 'chk');
  const config: CheckpointConfig = { name: uniqueName('alo'), dir, intervalMs: 1000, retained: 5, delivery: 'at-least-once' };
  const first = await recoverCheckpoints(k.kafka, config, logger);
  assert.equal(first.restoreFrom, undefined);
  for (let i = 0; i < 2; i++) {
    await first.output.commit((tx) => first.hooks.beforeCommit(snapshot, tx));
    await first.hooks.afterCommit?.(snapshot);
  }
  await first.output.close();
  // A crash during the third write leaves the writer's temporary directory; a fourth was damaged on disk.
  await mkdir(join(dir, '.chk-00000003.tmp-0a1b2c'));
  await writeFile(join(dir, '.chk-00000003.tmp-0a1b2c', '_metadata'), 'PITL');
  await mkdir(join(dir, 'chk-00000004'));
  await writeFile(join(dir, 'chk-00000004', '_metadata'), 'not a checkpoint');

  const second = await recoverCheckpoints(k.kafka, config, logger);
  t.after(() => second.output.close());
  assert.equal(second.restoreFrom?.id, 2);
  assert.ok(!(await readdir(dir)).some((n) => n.includes('.tmp-')), 'temporary directories are removed');
  await second.output.commit((tx) => second.hooks.beforeCommit(snapshot, tx));
  assert.deepEqual((await listCheckpoints(dir)).map((c) => c.id), [1, 2, 4, 5], 'ids never repeat');
});

test('exactly-once: the committed checkpoint id decides; an uncommitted checkpoint is deleted and its output aborted; the predecessor is fenced', async (t) => {
  const k = kafkaForTest(t);
  const ws = await workspace(t);
  const [anchor, out] = [await topicOf(k, 'chk-in'), await topicOf(k, 'chk-out')];
  const name = uniqueName('eo');
  k.trackGroup(checkpointGroupOf(name));
  const dir = join(ws.root, 'chk');
  const config: CheckpointConfig = { name, dir, intervalMs: 1000, retained: 2, delivery: 'exactly-once', anchorTopic: anchor };

  const first = await recoverCheckpoints(k.kafka, config, logger);
  assert.equal(first.restoreFrom, undefined);
  await first.output.send(out, [{ key: 'k', value: 'a' }]);
  await first.output.commit((tx) => first.hooks.beforeCommit(snapshot, tx));
  await first.hooks.afterCommit?.(snapshot);
  // Checkpoint 2 is written and its id added to the transaction, but the process dies before the commit.
  await first.output.send(out, [{ key: 'k', value: 'b' }]);
  let dieBeforeCommit!: (tx: Transaction) => void;
  const died = new Promise<Transaction>((r) => (dieBeforeCommit = r));
  const stuck = first.output.commit(async (tx) => {
    await first.hooks.beforeCommit(snapshot, tx);
    dieBeforeCommit(tx!);
    await new Promise<void>(() => undefined); // never commits
  });
  void stuck;
  const zombieTx = await died;
  assert.deepEqual((await listCheckpoints(dir)).map((c) => c.id), [1, 2]);

  // The successor fences the first producer, aborting its transaction (value b, checkpoint 2).
  const second = await recoverCheckpoints(k.kafka, config, logger);
  t.after(() => second.output.close());
  assert.equal(second.restoreFrom?.id, 1);
  assert.deepEqual((await listCheckpoints(dir)).map((c) => c.id), [1], 'the uncommitted checkpoint 2 is deleted');
  // The dead process's transaction, written to directly (its channel would queue the
  // write behind the commit that never ends): the broker refuses the old epoch.
  await assert.rejects(zombieTx.send(out, [{ key: 'k', value: 'zombie' }]), (e: unknown) => (e as { code?: string }).code === 'KAFKA_PRODUCER_FENCED');
  await first.output.abort();

  await second.output.send(out, [{ key: 'k', value: 'c' }]);
  for (let i = 0; i < 3; i++) {
    await second.output.commit((tx) => second.hooks.beforeCommit(snapshot, tx));
    await second.hooks.afterCommit?.(snapshot);
  }
  assert.deepEqual((await readAll(k.kafka, out)).map((r) => r.value!.toString()), ['a', 'c']);
  assert.deepEqual(await k.kafka.groupOffsets(checkpointGroupOf(name), anchor), [{ topic: anchor, partition: 0, offset: 5 }]);
  assert.deepEqual((await listCheckpoints(dir)).map((c) => c.id), [4, 5], 'pruned to the 2 newest committed');
});

test('a run from another savepoint starts a new lineage: old checkpoints are not restored', async (t) => {
  const k = kafkaForTest(t);
  const ws = await workspace(t);
  const anchor = await topicOf(k, 'chk-lin');
  const name = uniqueName('lin');
  k.trackGroup(checkpointGroupOf(name));
  const dir = join(ws.root, 'chk');
  const base: CheckpointConfig = { name, dir, intervalMs: 1000, retained: 3, delivery: 'exactly-once', anchorTopic: anchor };
  const first = await recoverCheckpoints(k.kafka, base, logger);
  await first.output.commit((tx) => first.hooks.beforeCommit(snapshot, tx));
  await first.output.close();
  const again = await recoverCheckpoints(k.kafka, base, logger);
  assert.equal(again.restoreFrom?.id, 1, 'the same command resumes');
  await again.output.close();
  const fromSavepoint = { ...base, origin: join(ws.root, 'some-savepoint') };
  const other = await recoverCheckpoints(k.kafka, fromSavepoint, logger);
  assert.equal(other.restoreFrom, undefined);
  assert.deepEqual(await listCheckpoints(dir), []);
  await other.output.abort();
  // Killed before its first checkpoint committed: the same command starts from its savepoint
  // again (the group's committed id 1 is the old lineage's, not a missing checkpoint).
  const retry = await recoverCheckpoints(k.kafka, fromSavepoint, logger);
  assert.equal(retry.restoreFrom, undefined);
  await retry.output.commit((tx) => retry.hooks.beforeCommit(snapshot, tx));
  assert.deepEqual((await listCheckpoints(dir)).map((c) => c.id), [2], 'ids continue past the committed one');
  await retry.output.close();
  const resumed = await recoverCheckpoints(k.kafka, fromSavepoint, logger);
  t.after(() => resumed.output.close());
  assert.equal(resumed.restoreFrom?.id, 2);
});
