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
import type { EngineAdapter } from '../../engines/adapter.ts';
import type { TopicPartitionOffset } from '../../kafka/port.ts';
import { partitionKey } from '../../kafka/partition-key.ts';
import type { DeploymentSpec } from '../spec/schema.ts';
import { newDeployment, type Deployment, type DeploymentEvent, type EffectResult, type PendingEffect, type TransitionEntry } from '../lifecycle/model.ts';
import { transition } from '../lifecycle/transition.ts';
import type { DeploymentStore } from '../store/port.ts';
import type { Clock } from '../../clock.ts';
import type { AnalysisPort, CutoverPort } from './ports.ts';
import { coldHandoff, deliveryOf, firstOutputOf, restoreStandby } from './handoff.ts';

export interface ControllerDeps {
  readonly store: DeploymentStore;
  readonly engine: EngineAdapter;
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
  constructor(private readonly deps: ControllerDeps) {}

  /** Records a new deployment (Pending); refused while one of that name is in flight. */
  async create(spec: DeploymentSpec): Promise<Deployment> {
    const existing = await this.deps.store.load(spec.name);
    if (existing && (!REUSABLE.has(existing.phase) || existing.pending.length > 0)) {
      throw new PromotionError('DEPLOYMENT_EXISTS', `A deployment named ${spec.name} is already ${existing.phase} (revision ${existing.revision}).`, {
        hint: `Follow it with \`pitlane canary status ${spec.name}\`, or abort it before starting a new one.`,
      });
    }
    const d = newDeployment(spec, this.deps.clock.now(), existing);
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
      if (event.type === 'effectDone' && head.effect.type === 'coldHandoff') await this.discardHandoffArtefacts(d.name, event.result);
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

  /**
   * Once a cold handoff is recorded done it never runs again, so its base savepoint
   * and delta (tens of MB at a million keys) can go; the full savepoint stays for
   * rollback. Best effort: a failure only leaves files behind, and says where.
   */
  private async discardHandoffArtefacts(name: string, result: EffectResult): Promise<void> {
    const delta = result.delta;
    const paths = [delta?.location, delta?.base].filter((p): p is string => p !== undefined && p !== result.savepoint?.location);
    if (paths.length === 0 || !this.deps.engine.discard) return;
    await this.deps.engine.discard(paths).catch((e: unknown) => this.deps.logger.warn({ deployment: name, paths, err: describeUnknown(e) }, 'could not delete the cold handoff base savepoint and delta; `pitlane savepoint dispose` removes them'));
  }

  private firstOutput(jobId: string): Promise<number | undefined> {
    return firstOutputOf(this.deps.engine, jobId, this.deps.clock);
  }

  /** Performs one effect through the ports; the effect id is the requestId everywhere. */
  private async perform({ id, effect }: PendingEffect, d: Deployment): Promise<EffectResult> {
    const { engine } = this.deps;
    switch (effect.type) {
      case 'triggerSavepoint':
        return { savepoint: await engine.savepoint(effect.jobId, { requestId: id }) };
      case 'preflight':
        return { report: await engine.preflight(effect.savepoint, { job: effect.job, parallelism: effect.parallelism, allowNonRestoredState: effect.allowNonRestoredState, inputs: d.spec.inputs, sinkTopic: d.spec.candidate.canary }) };
      case 'startJob': {
        const started = await engine.start({ requestId: id, jobId: effect.jobId, job: effect.job, ...(effect.parallelism ? { parallelism: effect.parallelism } : {}), inputs: d.spec.inputs, from: effect.from, sinkTopic: effect.sinkTopic, identity: effect.identity, delivery: deliveryOf(d), ...(effect.holdAtStart ? { holdAtStart: true } : {}) });
        // A job that takes over the authoritative topic ends the pit stop with its first write.
        const firstOutputAt = effect.sinkTopic === d.spec.authoritative.output ? await this.firstOutput(effect.jobId) : undefined;
        return { jobId: started.jobId, ...(firstOutputAt !== undefined ? { firstOutputAt } : {}) };
      }
      case 'startAnalysis':
        await this.deps.analysis?.start(d, id);
        return {};
      case 'stopAnalysis':
        await this.deps.analysis?.stop(d, id);
        return {};
      case 'stopWithSavepoint': {
        const savepoint = await engine.stopWithSavepoint(effect.jobId, { requestId: id });
        const lastOutputAt = (await engine.metrics(effect.jobId).catch(() => undefined))?.lastOutputAt;
        return { savepoint, ...(lastOutputAt !== undefined ? { lastOutputAt } : {}) };
      }
      case 'cancelJob':
      case 'stopNoiseReplica':
        await engine.cancel(effect.jobId, { requestId: id });
        return {};
      case 'alignJobs': {
        // Each job first stops taking input where it is (a hold has no target to
        // race against); then the one behind runs up to the furthest position of
        // any, and the one ahead is already there. Both end held at the same offsets.
        const held = await Promise.all(effect.jobIds.map((j) => engine.hold(j, { requestId: `${id}/hold/${j}` })));
        const target = furthest(held.flatMap((h) => h.positions));
        const holds = await Promise.all(effect.jobIds.map((j) => engine.runUntilOffsets(j, target, { requestId: `${id}/${j}` })));
        const lastOutputAt = holds[0]?.lastOutputAt;
        return { positions: target, ...(lastOutputAt !== undefined ? { lastOutputAt } : {}) };
      }
      case 'warmHandoff': {
        // Sub-requests carry their own ids, so a resumed step repeats no action.
        const jobs = [effect.from, effect.jobId];
        const held = await Promise.all(jobs.map((j) => engine.hold(j, { requestId: `${id}/hold/${j}` })));
        const target = furthest(held.flatMap((h) => h.positions));
        const holds = await Promise.all(jobs.map((j) => engine.runUntilOffsets(j, target, { requestId: `${id}/until/${j}` })));
        // Held at the target, the old job takes no more input; fencing its sink
        // onto the canary topic means nothing it could still emit reaches the
        // authoritative topic. Then the candidate takes over, and only then is
        // the old job's (frozen) state written as the rollback savepoint — so the
        // savepoint's size is not part of the pit stop.
        await engine.switchSink(effect.from, effect.fence, { requestId: `${id}/fence`, keepHold: true });
        const fencedAt = this.deps.clock.now();
        const switched = await engine.switchSink(effect.jobId, effect.to, { requestId: `${id}/switch` });
        const savepoint = await engine.stopWithSavepoint(effect.from, { requestId: `${id}/stop` });
        const lastOutputAt = holds[0]?.lastOutputAt;
        return { positions: target, savepoint, fencedAt, ...(lastOutputAt !== undefined ? { lastOutputAt } : {}), ...(switched.firstOutputAt !== undefined ? { firstOutputAt: switched.firstOutputAt } : {}) };
      }
      case 'prepareStandby': {
        const { jobId, job, parallelism, sinkTopic, identity } = effect;
        await engine.prepareStandby({ requestId: id, jobId, job, ...(parallelism ? { parallelism } : {}), inputs: d.spec.inputs, sinkTopic, identity, delivery: deliveryOf(d) });
        return { jobId };
      }
      case 'restoreStandby':
        return restoreStandby(engine, id, effect);
      case 'coldHandoff':
        return coldHandoff(engine, this.deps.clock, id, effect, d);
      case 'runUntil': {
        const hold = await engine.runUntilOffsets(effect.jobId, effect.offsets, { requestId: id });
        return { positions: hold.positions };
      }
      case 'switchSink': {
        const r = await engine.switchSink(effect.jobId, effect.to, { requestId: id });
        return r.firstOutputAt !== undefined ? { firstOutputAt: r.firstOutputAt } : {};
      }
      case 'cutoverGroups': {
        if (!this.deps.cutover) throw new PromotionError('CUTOVER_UNAVAILABLE', 'This orchestrator was built without a cutover port.', { hint: 'Use the composition root that wires the Kafka cutover (createOrchestrator).' });
        const { groups, from, to, force, timeoutMs } = effect;
        return { groups: await this.deps.cutover.cutover({ requestId: id, groups, from, to, force, timeoutMs }) };
      }
    }
  }
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
