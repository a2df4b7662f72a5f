/**
 * The controller's one interface to a promotion strategy. The lifecycle plans a
 * promotion (and its rollback) as steps (lifecycle/plans.ts); most are one engine
 * call the controller makes itself (stop with savepoint, start, cancel…). The
 * steps that are a strategy's own — the warm handoff's hold-align-switch, the cold
 * handoff's standby and stop/start, the consumer cutover's group moves — are
 * performed by the strategy that declares them, each in its own file.
 */
import { PromotionError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import type { EngineAdapter } from '../../engines/adapter.ts';
import type { Deployment, Effect, EffectResult, EffectType } from '../lifecycle/model.ts';
import type { Clock } from '../../clock.ts';
import type { CutoverPort } from './ports.ts';

/** The ports a strategy performs its steps through (the controller's own). */
export interface StrategyPorts {
  /** The adapter of the engine that runs `jobId` of the deployment (engines.ts). */
  readonly engineFor: (d: Deployment, jobId: string) => EngineAdapter;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly cutover?: CutoverPort | undefined;
}

export interface PromotionStrategy {
  /** The plan steps (effect types) this strategy performs; the controller hands it only these. */
  readonly steps: readonly EffectType[];
  /**
   * Performs one of its steps. `id` is the step's idempotency key: every engine or
   * port call carries it (or an id derived from it), so a resumed step acts once.
   */
  perform(id: string, effect: Effect, d: Deployment): Promise<EffectResult>;
  /**
   * Called once one of its steps is recorded done (it never runs again): clean-up
   * that must stay off the pit stop. Best effort: it must not throw.
   */
  recorded?(effect: Effect, result: EffectResult, d: Deployment): Promise<void>;
}

/** A step handed to a strategy that does not declare it: a wiring bug, said as such. */
export function notOwnStep(strategy: string, effect: Effect): PromotionError {
  return new PromotionError('EFFECT_UNKNOWN', `The ${strategy} strategy does not perform ${effect.type} steps.`, { hint: 'This is a pitlane bug: the controller hands a strategy only the steps it declares.' });
}
