/**
 * The warm handoff (design.md §1.6): the candidate keeps the state it built while
 * shadowing — the state the checks validated. Both jobs stop taking input, the one
 * behind runs up to the other, so both hold at the same input offsets; the old
 * job's sink is fenced off the authoritative topic, the candidate's sink moves onto
 * it, and only then is the old job stopped with its rollback savepoint. No restore:
 * the pit stop is a sink switch. Needs the warm handoff capability on both engines.
 */
import { partitionKey } from '../../kafka/partition-key.ts';
import type { TopicPartitionOffset } from '../../kafka/port.ts';
import type { EngineAdapter, WarmHandoff } from '../../engines/adapter.ts';
import type { EffectResult } from '../lifecycle/model.ts';
import { warmHandoffOf } from './job-calls.ts';
import { notOwnStep, type PromotionStrategy, type StrategyPorts } from './strategy.ts';

/** `alignJobs`: the first step of the warm plan as recorded before the handoff became one step. */
export function warmHandoff(ports: StrategyPorts): PromotionStrategy {
  return {
    steps: ['warmHandoff', 'alignJobs'],
    async perform(id, effect, d): Promise<EffectResult> {
      if (effect.type === 'alignJobs') {
        const { positions, lastOutputAt } = await align(warmHandoffOf(ports.engineFor(d, effect.jobIds[0] ?? d.jobs.candidate), effect.type), id, effect.jobIds, '');
        return { positions, ...(lastOutputAt !== undefined ? { lastOutputAt } : {}) };
      }
      if (effect.type !== 'warmHandoff') throw notOwnStep('warm handoff', effect);
      // A warm handoff needs both jobs on one engine that can hold them (plans.ts).
      const engine = warmHandoffOf(ports.engineFor(d, effect.jobId), effect.type);
      // Sub-requests carry their own ids, so a resumed step repeats no action.
      const { positions, lastOutputAt } = await align(engine, id, [effect.from, effect.jobId], 'until/');
      // Held at the target, the old job takes no more input; fencing its sink
      // onto the canary topic means nothing it could still emit reaches the
      // authoritative topic. Then the candidate takes over, and only then is
      // the old job's (frozen) state written as the rollback savepoint — so the
      // savepoint's size is not part of the pit stop.
      await engine.switchSink(effect.from, effect.fence, { requestId: `${id}/fence`, keepHold: true });
      const fencedAt = ports.clock.now();
      const switched = await engine.switchSink(effect.jobId, effect.to, { requestId: `${id}/switch` });
      const savepoint = await engine.stopWithSavepoint(effect.from, { requestId: `${id}/stop` });
      return { positions, savepoint, fencedAt, ...(lastOutputAt !== undefined ? { lastOutputAt } : {}), ...(switched.firstOutputAt !== undefined ? { firstOutputAt: switched.firstOutputAt } : {}) };
    },
  };
}

/**
 * Each job first stops taking input where it is (a hold has no target to race
 * against); then the one behind runs up to the furthest position of any, and the
 * one ahead is already there. Both end held at the same offsets. `until` is the
 * request-id segment of the run-up (`alignJobs` recorded its ids without one).
 */
async function align(engine: EngineAdapter & WarmHandoff, id: string, jobIds: readonly string[], until: string): Promise<{ positions: TopicPartitionOffset[]; lastOutputAt?: number }> {
  const held = await Promise.all(jobIds.map((j) => engine.hold(j, { requestId: `${id}/hold/${j}` })));
  const target = furthest(held.flatMap((h) => h.positions));
  const holds = await Promise.all(jobIds.map((j) => engine.runUntilOffsets(j, target, { requestId: `${id}/${until}${j}` })));
  const lastOutputAt = holds[0]?.lastOutputAt;
  return { positions: target, ...(lastOutputAt !== undefined ? { lastOutputAt } : {}) };
}

export function furthest(positions: readonly TopicPartitionOffset[]): TopicPartitionOffset[] {
  const max = new Map<string, TopicPartitionOffset>();
  for (const p of positions) {
    const k = partitionKey(p.topic, p.partition);
    const cur = max.get(k);
    if (!cur || p.offset > cur.offset) max.set(k, p);
  }
  return [...max.values()].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
}
