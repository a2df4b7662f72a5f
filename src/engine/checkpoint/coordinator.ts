/**
 * Periodic checkpoints and recovery, and the exactly-once commit protocol
 * (docs/savepoints.md "Checkpoints and exactly-once").
 *
 * Kafka cannot commit a local file atomically with a transaction, so the checkpoint
 * id is what commits atomically with the output. At every commit point, between
 * batches and under the job's lock:
 *
 *   1. flush: all output of the records processed so far is in the open transaction T;
 *   2. snapshot the state S (with the source offsets after those records);
 *   3. write checkpoint N = S to disk (atomic rename; complete or absent);
 *   4. add "checkpoint N" to T as a transactional offset commit of the group
 *      `pitlane-checkpoint.<name>` (offset N on the first input topic's partition 0);
 *   5. commit T; open the next transaction.
 *
 * Recovery: open the transactional producer first (same transactional id: the
 * broker fences the dead process and aborts its open transaction), then read the
 * group's committed offset C. Checkpoint C is the one whose output committed: its
 * file was complete before T committed (step 3 before 5), and its state reflects
 * exactly the committed output. Checkpoints with id > C are of transactions that
 * never committed; they are deleted. Restoring C and re-reading from its offsets
 * regenerates exactly the aborted output, so a read_committed reader sees every
 * output record once. A crash between 3 and 5 leaves N > C on disk: deleted, as
 * its output was aborted. A crash after 5 leaves C = N: restored, nothing replayed.
 *
 * At-least-once: no transaction; recovery restores the newest readable checkpoint,
 * and output written after it is written again.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, RestoreIncompatibleError, isPitlaneError } from '../../errors.ts';
import type { KafkaPort } from '../../kafka/port.ts';
import type { Logger } from '../../logger.ts';
import type { CommitHooks } from '../runtime/runner.ts';
import { openAtLeastOnceOutput, openExactlyOnceOutput, type DeliveryMode, type OutputChannel } from '../runtime/output.ts';
import { listCheckpoints, readable, removeCheckpoint, removeTemporaries, writeCheckpoint, type CheckpointRef } from './store.ts';
import { sleep } from '../../clock.ts';
import { writeFileAtomic } from '../../files.ts';

export interface CheckpointConfig {
  /** The running instance's name (also the control-channel name): ids and groups derive from it. */
  readonly name: string;
  readonly dir: string;
  readonly intervalMs: number;
  readonly retained: number;
  readonly delivery: DeliveryMode;
  /** The job's first input topic: partition 0 carries the committed checkpoint id (exactly-once). */
  readonly anchorTopic?: string;
  /**
   * The savepoint this run starts from (resolved path), if any. Checkpoints belong to
   * the lineage they were taken in: the same command started again (same origin)
   * resumes from its latest committed checkpoint; a run from another savepoint starts
   * a new lineage, and the old checkpoints are deleted.
   */
  readonly origin?: string;
}

export interface Recovery {
  readonly output: OutputChannel;
  /** The checkpoint to restore, if any. */
  readonly restoreFrom?: CheckpointRef;
  readonly hooks: CommitHooks;
  readonly transactionalId?: string;
}

export const transactionalIdOf = (name: string): string => `pitlane.${name}`;
export const checkpointGroupOf = (name: string): string => `pitlane-checkpoint.${name}`;

/** The most transactions may stay open (kafkajs transactionTimeout is 60 s; a margin for a slow commit). */
export const MAX_EXACTLY_ONCE_INTERVAL_MS = 30000;

/**
 * Opens the job's output, fences a predecessor (exactly-once), finds the checkpoint
 * to restore and returns the hooks that write checkpoints at commit points.
 */
export async function recoverCheckpoints(kafka: KafkaPort, config: CheckpointConfig, logger: Logger): Promise<Recovery> {
  if (config.retained < 1) throw new ConfigError('CHECKPOINT_BAD_RETAINED', `--checkpoints-retained must be at least 1, not ${config.retained}.`);
  await mkdir(config.dir, { recursive: true });
  // No writer of this instance runs yet (a second instance would be fenced, or refused by the control channel).
  await removeTemporaries(config.dir);
  const group = checkpointGroupOf(config.name);
  let output: OutputChannel;
  let committed: number | undefined;
  let transactionalId: string | undefined;
  const lineage = await readLineage(config.dir);
  const sameLineage = lineage !== undefined && lineage.origin === (config.origin ?? null);
  const all = await listCheckpoints(config.dir);
  let restoreFrom: CheckpointRef | undefined;

  if (config.delivery === 'exactly-once') {
    if (config.intervalMs > MAX_EXACTLY_ONCE_INTERVAL_MS) {
      throw new ConfigError('CHECKPOINT_INTERVAL_TOO_LONG', `Exactly-once needs a checkpoint interval of at most ${MAX_EXACTLY_ONCE_INTERVAL_MS / 1000}s (output waits in a transaction until the next checkpoint), not ${config.intervalMs / 1000}s.`, {
        hint: 'Lower --checkpoint-interval, or use --delivery at-least-once.',
      });
    }
    if (!config.anchorTopic) throw new ConfigError('CHECKPOINT_NO_KAFKA_INPUT', 'Exactly-once delivery needs a job that reads a Kafka topic.', { hint: 'Use --delivery at-least-once.' });
    transactionalId = transactionalIdOf(config.name);
    output = await openExactlyOnceOutput(kafka, transactionalId);
    const anchor = config.anchorTopic;
    committed = (await retried(() => kafka.groupOffsets(group, anchor))).find((o) => o.partition === 0)?.offset;
    // The group remembers the last committed id of ANY lineage of this name; ids below the
    // lineage's first one are an earlier lineage's (this one has committed nothing yet).
    const ours = sameLineage && committed !== undefined && committed >= (lineage.firstId ?? 0) ? committed : undefined;
    for (const ref of all) {
      if (!sameLineage) await removeCheckpoint(ref);
      else if (ours === undefined || ref.id > ours) {
        logger.info({ checkpoint: ref.path }, 'deleting a checkpoint whose transaction never committed');
        await removeCheckpoint(ref);
      } else if (ref.id === ours) restoreFrom = ref;
    }
    if (ours !== undefined && (!restoreFrom || !(await readable(restoreFrom)))) {
      await output.abort();
      throw new RestoreIncompatibleError('CHECKPOINT_COMMITTED_MISSING', `Checkpoint ${committed} of "${config.name}" committed its output, but ${config.dir} has no readable copy of it.`, {
        hint: `Restarting without it would lose or repeat output. Point --checkpoint-dir at the directory the job used before, or run under a new --name (a fresh start; group ${group} remembers the old one).`,
        data: { committed, group },
      });
    }
  } else {
    output = await openAtLeastOnceOutput(kafka);
    for (const ref of sameLineage ? [...all].reverse() : []) {
      if (await readable(ref)) {
        restoreFrom = ref;
        break;
      }
      logger.warn({ checkpoint: ref.path }, 'skipping an unreadable checkpoint');
    }
    if (!sameLineage) for (const ref of all) await removeCheckpoint(ref);
  }
  // Ids only grow, across lineages too, so an id tells which lineage it belongs to.
  let nextId = Math.max(committed ?? 0, ...all.map((r) => r.id)) + 1;
  if (!sameLineage) await writeLineage(config.dir, { origin: config.origin ?? null, name: config.name, firstId: nextId });

  let lastCommitted: CheckpointRef | undefined = restoreFrom;
  let pending: CheckpointRef | undefined;
  const hooks: CommitHooks = {
    async beforeCommit(snapshot, tx) {
      pending = await writeCheckpoint(config.dir, nextId++, snapshot);
      const marker = [{ topic: config.anchorTopic!, partition: 0, offset: pending.id }];
      if (tx) await retried(() => tx.sendOffsets(group, marker));
    },
    async afterCommit() {
      if (!pending) return;
      lastCommitted = pending;
      pending = undefined;
      // Keep the newest `retained` committed checkpoints; never the one recovery needs.
      const committedRefs = (await listCheckpoints(config.dir)).filter((r) => r.id <= lastCommitted!.id);
      for (const old of committedRefs.slice(0, Math.max(0, committedRefs.length - config.retained))) await removeCheckpoint(old);
    },
  };
  return { output, hooks, ...(restoreFrom ? { restoreFrom } : {}), ...(transactionalId ? { transactionalId } : {}) };
}

/**
 * Retries what Kafka calls retriable and kafkajs does not retry itself: right after a
 * commit the coordinator may still be writing the previous transaction's markers and
 * answers CONCURRENT_TRANSACTIONS to adding offsets (idempotent, so added again), and a
 * group's coordinator may move (NOT_COORDINATOR) while its offsets are read.
 */
async function retried<T>(fn: () => Promise<T>, attempts = 8): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (i >= attempts || !(isPitlaneError(e) && e.retriable)) throw e;
      await sleep(50 * 2 ** Math.min(i, 5));
    }
  }
}

interface Lineage {
  readonly origin: string | null;
  readonly name: string;
  /** The first checkpoint id of this lineage. */
  readonly firstId?: number;
}

const LINEAGE_FILE = 'LINEAGE.json';

async function readLineage(dir: string): Promise<Lineage | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, LINEAGE_FILE), 'utf8')) as Lineage;
  } catch {
    return undefined;
  }
}

async function writeLineage(dir: string, lineage: Lineage): Promise<void> {
  await writeFileAtomic(join(dir, LINEAGE_FILE), JSON.stringify(lineage));
}
