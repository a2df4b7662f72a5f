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
import type { SavepointHistory } from '../savepoints/history.ts';
import { savepointRecord, type SavepointRecord } from '../savepoints/record.ts';
import { retentionJobsAfter, savepointsTaken } from '../savepoints/taken.ts';
import { hasHooks, owesDelivery } from '../notify/events.ts';
import { promotionHold, type ConfirmPort } from '../notify/confirm.ts';

export interface ControllerDeps {
  readonly store: DeploymentStore;
  /** The engines; each job's calls go to its role's engine (engines.ts). */
  readonly engines: EngineSet;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly analysis?: AnalysisPort;
  readonly cutover?: CutoverPort;
  /** The savepoint history, where the spec's retention is applied (a step's savepoints are recorded with the step, in the store). */
  readonly savepoints?: SavepointHistory;
  /** Told after each append that owes a webhook an event; delivers in the background (notify/notifier.ts). */
  readonly notifier?: { kick(name: string): void };
  /** The spec's `promotion.confirm` hook, asked before a promotion begins (notify/confirm.ts). */
  readonly confirm?: ConfirmPort;
  /**
   * Test seam for crash tests: called after an effect was performed and before
   * its completion is appended — the widest window a crash can hit.
   */
  readonly afterEffect?: (effect: PendingEffect) => void;
}

/** Phases after which a name may be reused for a new deployment. */
const REUSABLE = new Set(['Aborted', 'RolledBack', 'Promoted']);

/** How often a command is judged again when another writer appended first (dispatch). */
const DISPATCH_ATTEMPTS = 5;

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
  async dispatch(name: string, command: DeploymentEvent): Promise<Deployment> {
    // Another writer (the shadow supervisor recording an analysis, another
    // orchestrator) may append between our load and our append: the event is then
    // judged again against what it wrote — a command still allowed goes through, one
    // it made invalid is refused as it would have been — instead of failing the
    // command on a race the caller cannot see.
    for (let attempt = 1; ; attempt++) {
      let event = command;
      const d = await this.mustLoad(name);
      let r = transition(d, event, this.deps.clock.now());
      if (!r.ok) throw new PromotionError(`DEPLOYMENT_${r.code}`, r.reason, { hint: r.hint, data: { name, phase: d.phase, revision: d.revision } });
      // A promotion begins only once the spec's confirm hook approves; nothing is recorded or performed before.
      const held = r.next.phase === 'Promoting' && d.phase !== 'Promoting' && this.deps.confirm ? await promotionHold(this.deps.confirm, d, event, this.deps.clock.now(), this.deps.logger) : undefined;
      if (held !== undefined && event.type !== 'verdict') throw held.error;
      if (held !== undefined && event.type === 'verdict') {
        // An auto-promotion on pass: the pass is recorded (Passed), the promotion waits for the hook.
        event = { ...event, held: held.why };
        r = transition(d, event, this.deps.clock.now());
        if (!r.ok) throw new PromotionError(`DEPLOYMENT_${r.code}`, r.reason, { hint: r.hint, data: { name, phase: d.phase, revision: d.revision } });
      }
      try {
        await this.append(d, r.next, event);
      } catch (e) {
        if (attempt < DISPATCH_ATTEMPTS && e instanceof StoreError && e.code === 'STORE_STALE_REVISION') continue;
        throw e;
      }
      return this.drain(r.next);
    }
  }

  /** Continues a deployment from the store: performs whatever is still pending, and delivers what its webhooks are still owed. */
  async resume(name: string): Promise<Deployment> {
    const d = await this.mustLoad(name);
    try {
      return await this.drain(d);
    } finally {
      // After the drain, so no delivery competes with a pit stop it resumed.
      if (hasHooks(d)) this.deps.notifier?.kick(name);
    }
  }

  private async mustLoad(name: string): Promise<Deployment> {
    const d = await this.deps.store.load(name);
    if (!d) throw new PromotionError('DEPLOYMENT_NOT_FOUND', `No deployment named ${name} in ${this.deps.store.description}.`, { hint: 'List deployments with `pitlane canary list`.' });
    return d;
  }

  private async append(prev: Deployment | undefined, next: Deployment, event: TransitionEntry['event'], savepoints: readonly SavepointRecord[] = []): Promise<void> {
    const entry: TransitionEntry = { name: next.name, revision: next.revision, at: next.updatedAt, from: prev?.phase ?? null, to: next.phase, event, record: next };
    await this.deps.store.append(entry, savepoints);
    // Not while a promotion or rollback is in flight: its last step's append kicks, and
    // no delivery (a store read, a POST) competes with the pit stop meanwhile.
    const inFlight = (x: Deployment | undefined) => x !== undefined && x.pending.length > 0 && (x.phase === 'Promoting' || x.phase === 'RolledBack');
    if (this.deps.notifier && !inFlight(next) && (owesDelivery(prev, entry) || (inFlight(prev) && hasHooks(next)))) this.deps.notifier.kick(next.name);
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
        // The savepoints the step took go into the history with the step itself (one store
        // write: no extra round trip inside a pit stop, and never one without the other).
        await this.append(d, r.next, event, event.type === 'effectDone' ? this.savepointsOf(head, event.result, d) : []);
      } catch (e) {
        if (!(e instanceof StoreError && e.code === 'STORE_STALE_REVISION')) throw e;
        d = await this.mustLoad(d.name);
        continue;
      }
      const before = d;
      d = r.next;
      if (event.type === 'effectDone') await this.strategyOf(head.effect)?.recorded?.(head.effect, event.result, d);
      if (event.type === 'effectDone') await this.applyRetention(retentionJobsAfter(head.effect, event.result, before, d), d);
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

  /** The history entries of the savepoints a step took, as this deployment's. */
  private savepointsOf({ effect }: PendingEffect, result: EffectResult, d: Deployment): SavepointRecord[] {
    return savepointsTaken(effect, result).map((t) => {
      const engine = engineForJob(this.deps.engines, d, t.jobId);
      return savepointRecord(t.savepoint, { engine: engine.engine, cluster: engine.cluster, job: t.jobId, trigger: t.trigger, deployment: d });
    });
  }

  /**
   * The spec's retention (savepoints.keepLast / maxAge), applied to `jobs`
   * (retentionJobsAfter) once the step is recorded, so the pins are current. A
   * disposal that fails is logged: the deployment goes on, and the next one retries.
   */
  private async applyRetention(jobs: readonly string[], d: Deployment): Promise<void> {
    const policy = (d.spec as { savepoints?: DeploymentSpec['savepoints'] }).savepoints;
    if (!this.deps.savepoints || (policy?.keepLast === undefined && policy?.maxAge === undefined)) return;
    for (const job of jobs) {
      try {
        const r = await this.deps.savepoints.retain({ keepLast: policy.keepLast, maxAgeMs: policy.maxAge }, { job });
        if (r.disposed.length > 0) this.deps.logger.info({ deployment: d.name, job, disposed: r.disposed.map((x) => x.location) }, 'savepoints past retention disposed of');
      } catch (e) {
        this.deps.logger.warn({ deployment: d.name, job, err: describeUnknown(e) }, 'could not apply the savepoint retention; the next savepoint retries');
      }
    }
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
        const lastOutputAt = savepoint.lastOutputAt ?? (await engine.metrics(effect.jobId).catch(() => undefined))?.lastOutputAt;
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
