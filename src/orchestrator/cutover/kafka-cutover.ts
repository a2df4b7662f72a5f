/**
 * The I/O shell of cutover: waits for each downstream group to be empty,
 * translates its offsets with bounded reads around its committed position
 * (bounded.ts over kafka-reads.ts: memory and reads bounded whatever the topics'
 * length) and commits them on the target topic with `setGroupOffsets`.
 * `plan` is one translation, nothing applied: what `pitlane cutover --dry-run` prints.
 *
 * Idempotent without memory of its own: the group's offsets on the source topic
 * are never changed, so a repeat computes the same target offsets T; partitions
 * where the group already has a commit ≥ T on the target (applied before, and
 * maybe consumed since) are left alone, so a repeat never rewinds a group.
 */
import { PromotionError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import type { GroupDescription, KafkaPort, TopicPartitionOffset } from '../../kafka/port.ts';
import type { GroupCutover } from '../lifecycle/model.ts';
import { sleep, type Clock } from '../../clock.ts';
import type { CutoverPort, CutoverRequest } from '../controller/ports.ts';
import { BoundedTranslator, type BoundedOptions, type PartitionTranslation } from './bounded.ts';
import { KafkaCutoverReads } from './kafka-reads.ts';

export interface KafkaCutoverOptions extends BoundedOptions {
  readonly pollMs?: number;
  /** Partitions translated at once. Default 8. */
  readonly concurrency?: number;
}

/** One translation of a group's offsets from one topic to another. */
export interface GroupPlan {
  readonly groupId: string;
  readonly from: string;
  readonly to: string;
  /** The group as it was when its offsets were read. */
  readonly group: GroupDescription;
  readonly partitions: readonly (PartitionTranslation & {
    /** The group's commit on the target before any change (absent: none). */
    readonly current?: number | undefined;
  })[];
  /** The target offsets of the matched partitions. */
  readonly offsets: readonly TopicPartitionOffset[];
  /** Those a cutover would set: the matched partitions where the group's commit on the target is lower (never a rewind). */
  readonly apply: readonly TopicPartitionOffset[];
  /** Every partition matched. */
  readonly complete: boolean;
  readonly recordsRead: number;
}

export class KafkaCutover implements CutoverPort {
  private readonly translator: BoundedTranslator;

  constructor(
    private readonly kafka: KafkaPort,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: KafkaCutoverOptions = {},
  ) {
    this.translator = new BoundedTranslator(new KafkaCutoverReads(kafka), options);
  }

  async cutover(request: CutoverRequest): Promise<readonly GroupCutover[]> {
    await this.checkPartitions(request.from, request.to);
    const out: GroupCutover[] = [];
    for (const groupId of request.groups) out.push(await this.cutoverGroup(groupId, request));
    return out;
  }

  private async checkPartitions(from: string, to: string): Promise<void> {
    const [fromCount, toCount] = await Promise.all([this.kafka.partitionCount(from), this.kafka.partitionCount(to)]);
    if (fromCount !== toCount) {
      throw new PromotionError('CUTOVER_PARTITIONS_DIFFER', `${from} has ${fromCount} partitions but ${to} has ${toCount}; a key's records would be on different partitions, so no exact offsets exist.`, {
        hint: `Create ${to} with ${fromCount} partitions, or promote by savepoint-handoff.`,
      });
    }
  }

  /** Translates the group's committed offsets on `from` to `to` once; applies nothing. */
  async plan(groupId: string, from: string, to: string): Promise<GroupPlan> {
    await this.checkPartitions(from, to);
    const group = await this.kafka.describeGroup(groupId);
    const [committed, current, targetMarks] = await Promise.all([this.kafka.groupOffsets(groupId, from), this.kafka.groupOffsets(groupId, to), this.kafka.watermarks(to)]);
    // Read after the commits: a commit past the high watermark would otherwise be cut at a watermark read before it.
    const sourceMarks = await this.kafka.watermarks(from);
    const past = committed.filter((c) => c.offset > (sourceMarks.find((m) => m.partition === c.partition)?.high ?? 0));
    if (past.length > 0) this.logger.warn({ groupId, from, past }, 'the group has committed past the end of the topic (deleted and created again?); it has seen every record there');
    // No commit on a partition with records, while the group has commits elsewhere: it starts there on the target's first
    // offset (as a consumer with auto.offset.reset=earliest would); said aloud, as it rewinds the group if a commit was missed.
    const uncommitted = committed.length === 0 ? [] : sourceMarks.filter((m) => m.high > m.low && !committed.some((c) => c.partition === m.partition)).map((m) => m.partition);
    if (uncommitted.length > 0) this.logger.warn({ groupId, from, partitions: uncommitted }, 'the group has no committed offset on these partitions of the topic though they hold records; it is placed at the start of the target there');
    const jobs = sourceMarks.map((m) => async () => {
      const t = targetMarks.find((x) => x.partition === m.partition)!;
      const c = committed.find((x) => x.partition === m.partition)?.offset ?? 0;
      return { ...(await this.translator.translate(from, to, m.partition, c, m, t)), current: current.find((x) => x.partition === m.partition)?.offset };
    });
    const partitions = await inBatches(jobs, this.options.concurrency ?? 8);
    const offsets = partitions.flatMap((p) => (p.outcome.kind === 'matched' ? [{ topic: to, partition: p.partition, offset: p.outcome.offset }] : []));
    const apply = offsets.filter((o) => (partitions.find((p) => p.partition === o.partition)?.current ?? -1) < o.offset);
    const recordsRead = partitions.reduce((n, p) => n + p.recordsRead, 0);
    return { groupId, from, to, group, partitions, offsets, apply, complete: partitions.every((p) => p.outcome.kind === 'matched'), recordsRead };
  }

  /** Commits a complete plan's offsets (those that move the group forward). */
  async apply(plan: GroupPlan): Promise<void> {
    if (plan.apply.length > 0) await this.kafka.setGroupOffsets(plan.groupId, plan.apply);
    this.logger.info({ groupId: plan.groupId, from: plan.from, to: plan.to, offsets: plan.offsets, applied: plan.apply.length, recordsRead: plan.recordsRead }, 'cutover applied');
  }

  /** The refusal of a plan with a partition that has no exact position, or undefined. */
  static refusal(plan: GroupPlan): PromotionError | undefined {
    const refused = plan.partitions.filter((p) => p.outcome.kind === 'refused');
    if (refused.length === 0) return undefined;
    return new PromotionError('CUTOVER_NO_MATCH', `Cannot move ${plan.groupId} from ${plan.from} to ${plan.to}: ${refused.map((p) => ('reason' in p.outcome ? p.outcome.reason : '')).join('; ')}.`, {
      hint: 'An exact position needs both jobs to have written the same records before it in each partition; jobs that interleave several input partitions differently (parallel Flink jobs) have one at some positions of the group and not at others. Nothing moved: let the group\'s consumers read on, stop them, then `pitlane canary resume` retries at its new position — or promote by savepoint-handoff.',
      data: { groupId: plan.groupId, outcomes: plan.partitions.map((p) => p.outcome) },
    });
  }

  /** The error of a plan whose target has not caught up with the group. */
  static behind(plan: GroupPlan): PromotionError {
    const behind = plan.partitions.flatMap((p) => (p.outcome.kind === 'behind' ? [p.outcome.reason] : []));
    return new PromotionError('CUTOVER_TARGET_BEHIND', `${plan.to} has not caught up with what ${plan.groupId} has read: ${behind.join('; ')}.`, {
      retriable: true,
      hint: 'Check that the candidate is running and keeping up (watermark lag in `pitlane canary status`), then resume.',
    });
  }

  private sleep(): Promise<void> {
    return sleep(this.options.pollMs ?? 250);
  }

  private async waitEmpty(groupId: string, request: CutoverRequest, deadline: number): Promise<boolean> {
    for (;;) {
      const g = await this.kafka.describeGroup(groupId);
      if (g.members === 0 && (g.state === 'Empty' || g.state === 'Dead')) return false;
      if (this.clock.now() >= deadline) {
        if (!request.force) {
          throw new PromotionError('CUTOVER_GROUP_ACTIVE', `Consumer group ${groupId} still has ${g.members} member(s) (${g.state}) after ${request.timeoutMs} ms; its offsets cannot be moved while it consumes.`, {
            retriable: true,
            hint: `Stop the consumers of ${groupId} (they will restart on ${request.to}), then resume; or set promotion.force to apply anyway (Kafka still refuses while members remain).`,
          });
        }
        this.logger.warn({ groupId, members: g.members, state: g.state }, 'cutover forced on a group that is not empty');
        return true;
      }
      await this.sleep();
    }
  }

  private async cutoverGroup(groupId: string, request: CutoverRequest): Promise<GroupCutover> {
    const deadline = this.clock.now() + request.timeoutMs;
    const forced = await this.waitEmpty(groupId, request, deadline);
    for (;;) {
      const plan = await this.plan(groupId, request.from, request.to);
      const refused = KafkaCutover.refusal(plan);
      if (refused) throw refused;
      if (plan.complete) {
        await this.apply(plan);
        return { groupId, offsets: plan.offsets as TopicPartitionOffset[], forced };
      }
      if (this.clock.now() >= deadline) throw KafkaCutover.behind(plan);
      await this.sleep();
    }
  }
}

/** Runs the jobs, at most `n` at a time, keeping their order. */
async function inBatches<T>(jobs: readonly (() => Promise<T>)[], n: number): Promise<T[]> {
  const out: T[] = new Array<T>(jobs.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < jobs.length; i = next++) out[i] = await jobs[i]!();
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, n), jobs.length) }, worker));
  return out;
}
