/**
 * The DeploymentController performs what the pure transition asks for and makes
 * every step durable. The loop, for a command or a resume:
 *
 *   load → transition(record, event, now) → append(next) → for each pending
 *   effect: perform it (idempotent by its id) → append effectDone/effectFailed
 *
 * Crash safety comes from two facts. (1) An effect is appended as pending
 * BEFORE it is performed, so a restarted controller finds it and performs it
 * again. (2) Every effect is performed with the requestId `${name}@${revision}#i`,
 * and the engine/cutover/analysis ports return the first outcome for a repeated
 * id instead of acting twice. So "crash after the effect, before its append"
 * repeats a call the port deduplicates, and "crash after the append" simply
 * continues with the next pending effect. Promoting twice is impossible
 * because the transition refuses it from Promoting/Promoted.
 */
import { PromotionError, StoreError, describeUnknown, isPitlaneError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import type { DeploymentSpec } from '../spec/schema.ts';
import { newDeployment, type Deployment, type DeploymentEvent, type Effect, type EffectResult, type PendingEffect, type PromotionPlan, type TransitionEntry } from '../lifecycle/model.ts';
import { transition } from '../lifecycle/transition.ts';
import { requirePromotionPlan } from '../lifecycle/plans.ts';
import type { DeploymentStore } from '../store/port.ts';
import type { Clock } from '../../clock.ts';
import type { AnalysisPort, CutoverPort } from './ports.ts';
import { firstOutputOf, startRequest, warmHandoffOf } from './job-calls.ts';
import type { PromotionStrategy } from './strategy.ts';
import { deploymentEngines, engineForJob, type EngineSet } from '../engines.ts';
import { warmHandoff } from './warm-handoff.ts';
import { coldHandoff } from './cold-handoff.ts';
import { consumerCutover } from './consumer-cutover.ts';

export interface ControllerDeps {
  readonly store: DeploymentStore;
  /** The engines; each job's calls go to its role's engine (engines.ts). */
  readonly engines: EngineSet;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly analysis?: AnalysisPort;
  readonly cutover?: CutoverPort;
  /**
   * Test seam for crash tests: called after an effect was performed and before
   * its completion is appended — the widest window a crash can hit.
   */
  readonly afterEffect?: (effect: PendingEffect) => void;
}

/** Phases after which a name may be reused for a new deployment. */
const REUSABLE = new Set(['Aborted', 'RolledBack', 'Promoted']);

export class DeploymentController {
  /** The performers of the promotion strategies' own steps (strategy.ts). */
  private readonly strategies: readonly PromotionStrategy[];

  constructor(private readonly deps: ControllerDeps) {
    const ports = { engineFor: (d: Deployment, jobId: string) => engineForJob(deps.engines, d, jobId), clock: deps.clock, logger: deps.logger, cutover: deps.cutover };
    this.strategies = [warmHandoff(ports), coldHandoff(ports), consumerCutover(ports)];
  }

  /**
   * The promotion plan this orchestrator's engines can carry out for `spec`, or a
   * ConfigError (SPEC_PROMOTION_UNSUPPORTED) naming each key to change. Pure: a
   * command calls it before it creates or starts anything.
   */
  plan(spec: DeploymentSpec): PromotionPlan {
    return requirePromotionPlan(spec, deploymentEngines(this.deps.engines, spec));
  }

  /** Records a new deployment (Pending) with its plan; refused while one of that name is in flight. */
  async create(spec: DeploymentSpec): Promise<Deployment> {
    const plan = this.plan(spec);
    const existing = await this.deps.store.load(spec.name);
    if (existing && (!REUSABLE.has(existing.phase) || existing.pending.length > 0)) {
      throw new PromotionError('DEPLOYMENT_EXISTS', `A deployment named ${spec.name} is already ${existing.phase} (revision ${existing.revision}).`, {
        hint: `Follow it with \`pitlane canary status ${spec.name}\`, or abort it before starting a new one.`,
      });
    }
    const d = newDeployment(spec, this.deps.clock.now(), existing, plan);
    await this.append(existing, d, { type: 'create' });
    return d;
  }

  /** Applies an external event (start, verdict, promote, abort, rollback…) and runs what follows. */
  async dispatch(name: string, event: DeploymentEvent): Promise<Deployment> {
    const d = await this.mustLoad(name);
    const r = transition(d, event, this.deps.clock.now());
    if (!r.ok) throw new PromotionError(`DEPLOYMENT_${r.code}`, r.reason, { hint: r.hint, data: { name, phase: d.phase, revision: d.revision } });
    await this.append(d, r.next, event);
    return this.drain(r.next);
  }

  /** Continues a deployment from the store: performs whatever is still pending. */
  async resume(name: string): Promise<Deployment> {
    return this.drain(await this.mustLoad(name));
  }

  private async mustLoad(name: string): Promise<Deployment> {
    const d = await this.deps.store.load(name);
    if (!d) throw new PromotionError('DEPLOYMENT_NOT_FOUND', `No deployment named ${name} in ${this.deps.store.description}.`, { hint: 'List deployments with `pitlane canary list`.' });
    return d;
  }

  private async append(prev: Deployment | undefined, next: Deployment, event: TransitionEntry['event']): Promise<void> {
    const entry: TransitionEntry = { name: next.name, revision: next.revision, at: next.updatedAt, from: prev?.phase ?? null, to: next.phase, event, record: next };
    await this.deps.store.append(entry);
    this.deps.logger.info({ deployment: next.name, revision: next.revision, from: entry.from, to: next.phase, event: event.type }, 'deployment transition');
  }

  private async drain(start: Deployment): Promise<Deployment> {
    let d = start;
    while (d.pending.length > 0) {
      const head = d.pending[0]!;
      let event: DeploymentEvent;
      try {
        const result = await this.perform(head, d);
        this.deps.afterEffect?.(head);
        event = { type: 'effectDone', id: head.id, result: { ...result, at: result.at ?? this.deps.clock.now() } };
      } catch (e) {
        this.deps.logger.warn({ deployment: d.name, effect: head.effect.type, id: head.id, err: describeUnknown(e) }, 'effect failed');
        event = { type: 'effectFailed', id: head.id, error: { code: isPitlaneError(e) ? e.code : 'EFFECT_FAILED', message: describeUnknown(e), retriable: isPitlaneError(e) ? e.retriable : false } };
      }
      const r = transition(d, event, this.deps.clock.now());
      if (!r.ok) {
        // Another controller recorded this effect first; continue from what it wrote.
        d = await this.mustLoad(d.name);
        continue;
      }
      try {
        await this.append(d, r.next, event);
      } catch (e) {
        if (!(e instanceof StoreError && e.code === 'STORE_STALE_REVISION')) throw e;
        d = await this.mustLoad(d.name);
        continue;
      }
      d = r.next;
      if (event.type === 'effectDone') await this.strategyOf(head.effect)?.recorded?.(head.effect, event.result, d);
      if (event.type === 'effectFailed' && d.pending[0]?.id === head.id) {
        throw new PromotionError('DEPLOYMENT_STEP_FAILED', `${d.name}: ${head.effect.type} failed: ${event.error.message}`, {
          retriable: event.error.retriable,
          hint: `Nothing was skipped: the step stays pending. Fix the cause, then \`pitlane canary resume ${d.name}\` retries it.`,
          data: { name: d.name, effect: head.effect.type, id: head.id, phase: d.phase },
        });
      }
    }
    return d;
  }

  /** Performs one effect through the ports; the effect id is the requestId everywhere. */
  private async perform({ id, effect }: PendingEffect, d: Deployment): Promise<EffectResult> {
    const strategy = this.strategyOf(effect);
    if (strategy) return strategy.perform(id, effect, d);
    const engineOf = (jobId: string) => engineForJob(this.deps.engines, d, jobId);
    switch (effect.type) {
      case 'triggerSavepoint':
        return { savepoint: await engineOf(effect.jobId).savepoint(effect.jobId, { requestId: id }) };
      case 'preflight':
        // The candidate's engine plans the restore of the savepoint into the candidate.
        return { report: await engineOf(d.jobs.candidate).preflight(effect.savepoint, { job: effect.job, ...(effect.flink ? { flink: effect.flink } : {}), parallelism: effect.parallelism, allowNonRestoredState: effect.allowNonRestoredState, inputs: d.spec.inputs, sinkTopic: d.spec.candidate.canary }) };
      case 'startJob': {
        const engine = engineOf(effect.jobId);
        // Held at start: the rollback of a handoff, which a runUntil then a switchSink follow.
        if (effect.holdAtStart) warmHandoffOf(engine, 'a start held before its input');
        const started = await engine.start({ ...startRequest(id, effect, effect.from, d), ...(effect.holdAtStart ? { holdAtStart: true } : {}) });
        // A job that takes over the authoritative topic ends the pit stop with its first write.
        const firstOutputAt = effect.sinkTopic === d.spec.authoritative.output ? await firstOutputOf(engine, effect.jobId, this.deps.clock) : undefined;
        return { jobId: started.jobId, ...(firstOutputAt !== undefined ? { firstOutputAt } : {}) };
      }
      case 'startAnalysis':
        await this.deps.analysis?.start(d, id);
        return {};
      case 'stopAnalysis':
        await this.deps.analysis?.stop(d, id);
        return {};
      case 'stopWithSavepoint': {
        const engine = engineOf(effect.jobId);
        const savepoint = await engine.stopWithSavepoint(effect.jobId, { requestId: id });
        const lastOutputAt = (await engine.metrics(effect.jobId).catch(() => undefined))?.lastOutputAt;
        return { savepoint, ...(lastOutputAt !== undefined ? { lastOutputAt } : {}) };
      }
      case 'cancelJob':
      case 'stopNoiseReplica':
        await engineOf(effect.jobId).cancel(effect.jobId, { requestId: id });
        return {};
      case 'runUntil': {
        const hold = await warmHandoffOf(engineOf(effect.jobId), effect.type).runUntilOffsets(effect.jobId, effect.offsets, { requestId: id });
        return { positions: hold.positions };
      }
      case 'switchSink': {
        const r = await warmHandoffOf(engineOf(effect.jobId), effect.type).switchSink(effect.jobId, effect.to, { requestId: id });
        return r.firstOutputAt !== undefined ? { firstOutputAt: r.firstOutputAt } : {};
      }
      default:
        // Every other step is a promotion strategy's own (strategyOf above).
        throw new PromotionError('EFFECT_UNKNOWN', `${d.name}: no performer for the step ${effect.type}.`, { hint: 'This is a pitlane bug: every step the lifecycle plans has a performer.' });
    }
  }

  /** The promotion strategy whose own step `effect` is, if any. */
  private strategyOf(effect: Effect): PromotionStrategy | undefined {
    return this.strategies.find((s) => s.steps.includes(effect.type));
  }
}
