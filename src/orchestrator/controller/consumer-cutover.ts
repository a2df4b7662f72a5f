/**
 * Consumer cutover: the candidate keeps writing its canary topic, and the
 * downstream consumer groups move to it, each at the record matching where it
 * stood on the old topic (src/orchestrator/cutover). The old job stops only after
 * they moved, so a failed cutover leaves the old stream intact; a rollback moves
 * them back the same way. Needs only the engine core, and the cutover port.
 */
import { PromotionError } from '../../errors.ts';
import type { EffectResult } from '../lifecycle/model.ts';
import { notOwnStep, type PromotionStrategy, type StrategyPorts } from './strategy.ts';

export function consumerCutover(ports: StrategyPorts): PromotionStrategy {
  return {
    steps: ['cutoverGroups'],
    async perform(id, effect): Promise<EffectResult> {
      if (effect.type !== 'cutoverGroups') throw notOwnStep('consumer cutover', effect);
      if (!ports.cutover) throw new PromotionError('CUTOVER_UNAVAILABLE', 'This orchestrator was built without a cutover port.', { hint: 'Use the composition root that wires the Kafka cutover (createOrchestrator).' });
      const { groups, from, to, force, timeoutMs } = effect;
      return { groups: await ports.cutover.cutover({ requestId: id, groups, from, to, force, timeoutMs }) };
    },
  };
}
