/**
 * The I/O shell of cutover: reads both topics through the KafkaPort, waits for
 * each downstream group to be empty, translates its offsets (translate.ts) and
 * commits them on the target topic with `setGroupOffsets`.
 *
 * Idempotent without memory of its own: the group's offsets on the source topic
 * are never changed, so a repeat computes the same target offsets T; partitions
 * where the group already has a commit ≥ T on the target (applied before, and
 * maybe consumed since) are left alone, so a repeat never rewinds a group.
 */
import { PromotionError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import type { IncomingRecord, KafkaPort, TopicPartitionOffset } from '../../kafka/port.ts';
import type { GroupCutover } from '../lifecycle/model.ts';
import { sleep, type Clock } from '../../clock.ts';
import type { CutoverPort, CutoverRequest } from '../controller/ports.ts';
import { translateGroup, type PartitionInput } from './translate.ts';

export interface KafkaCutoverOptions {
  readonly pollMs?: number;
}

export class KafkaCutover implements CutoverPort {
  constructor(
    private readonly kafka: KafkaPort,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: KafkaCutoverOptions = {},
  ) {}

  async cutover(request: CutoverRequest): Promise<readonly GroupCutover[]> {
    const [fromCount, toCount] = await Promise.all([this.kafka.partitionCount(request.from), this.kafka.partitionCount(request.to)]);
    if (fromCount !== toCount) {
      throw new PromotionError('CUTOVER_PARTITIONS_DIFFER', `${request.from} has ${fromCount} partitions but ${request.to} has ${toCount}; a key's records would be on different partitions, so no exact offsets exist.`, {
        hint: `Create ${request.to} with ${fromCount} partitions, or promote by savepoint-handoff.`,
      });
    }
    const out: GroupCutover[] = [];
    for (const groupId of request.groups) out.push(await this.cutoverGroup(groupId, request));
    return out;
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

  private async readAll(topic: string): Promise<Map<number, IncomingRecord[]>> {
    const byPartition = new Map<number, IncomingRecord[]>();
    for await (const batch of this.kafka.read({ topics: [topic], from: 'earliest', to: 'end', isolation: 'read_committed' })) {
      const list = byPartition.get(batch.partition) ?? [];
      list.push(...batch.records);
      byPartition.set(batch.partition, list);
    }
    return byPartition;
  }

  private async cutoverGroup(groupId: string, request: CutoverRequest): Promise<GroupCutover> {
    const deadline = this.clock.now() + request.timeoutMs;
    const forced = await this.waitEmpty(groupId, request, deadline);
    const committed = await this.kafka.groupOffsets(groupId, request.from);
    const source = await this.readAll(request.from);
    for (;;) {
      const [target, marks] = await Promise.all([this.readAll(request.to), this.kafka.watermarks(request.to)]);
      const inputs: PartitionInput[] = marks.map((m) => ({
        partition: m.partition,
        committed: committed.find((c) => c.partition === m.partition)?.offset ?? 0,
        source: source.get(m.partition) ?? [],
        target: target.get(m.partition) ?? [],
        targetLow: m.low,
        targetHigh: m.high,
      }));
      const t = translateGroup(request.to, inputs);
      const refused = t.outcomes.filter((o) => o.kind === 'refused');
      if (refused.length > 0) {
        throw new PromotionError('CUTOVER_NO_MATCH', `Cannot move ${groupId} from ${request.from} to ${request.to}: ${refused.map((o) => ('reason' in o ? o.reason : '')).join('; ')}.`, {
          hint: 'Promote by savepoint-handoff instead; cutover needs both jobs to emit matching records in the same order per partition.',
          data: { groupId, outcomes: t.outcomes },
        });
      }
      if (t.complete) {
        const current = await this.kafka.groupOffsets(groupId, request.to);
        const apply = t.offsets.filter((o) => (current.find((c) => c.partition === o.partition)?.offset ?? -1) < o.offset);
        if (apply.length > 0) await this.kafka.setGroupOffsets(groupId, apply);
        this.logger.info({ groupId, from: request.from, to: request.to, offsets: t.offsets, applied: apply.length }, 'cutover applied');
        return { groupId, offsets: t.offsets as TopicPartitionOffset[], forced };
      }
      if (this.clock.now() >= deadline) {
        const behind = t.outcomes.filter((o) => o.kind === 'behind').map((o) => ('reason' in o ? o.reason : ''));
        throw new PromotionError('CUTOVER_TARGET_BEHIND', `${request.to} has not caught up with what ${groupId} has read: ${behind.join('; ')}.`, {
          retriable: true,
          hint: 'Check that the candidate is running and keeping up (watermark lag in `pitlane canary status`), then resume.',
        });
      }
      await this.sleep();
    }
  }
}
