/**
 * The deployment state machine as one pure function (design.md §6):
 * `transition(deployment, event, now)` → the next record and the effects to
 * perform, or a refusal that says why and what to do. No I/O, no clock (`now`
 * is passed in), no logging.
 *
 * Safety rules it enforces, whatever order events arrive in after a crash:
 * - a deployment is promoted at most once (promote is refused from Promoting,
 *   Promoted, RolledBack);
 * - a Failed or Inconclusive candidate is promoted only with an explicit
 *   override that carries a reason; a Failed verdict is never replaced by a pass;
 * - a pass needs the analysis minimum (only a fail may come early);
 * - an effect's completion is accepted only for the effect at the head of the
 *   pending list, so a duplicate report after a restart cannot advance twice.
 */
import type { Deployment, DeploymentEvent, Effect, EffectResult, Phase, Refusal, StepRecord, TransitionResult } from './model.ts';
import { flinkRefOf, identityOf, noiseReplicaOf } from './model.ts';
import { nextPromotionStep, nextRollbackStep, pitStopOf, promotedJobId } from './plans.ts';

const refuse = (code: string, reason: string, hint: string): Refusal => ({ ok: false, code, reason, hint });

const ABORTABLE: readonly Phase[] = ['Pending', 'Forking', 'Shadowing', 'Analyzing', 'Passed', 'Failed', 'Inconclusive'];

export function transition(d: Deployment, event: DeploymentEvent, now: number): TransitionResult {
  switch (event.type) {
    case 'start':
      return start(d, now);
    case 'effectDone':
      return effectDone(d, event.id, event.result, now);
    case 'effectFailed':
      return effectFailed(d, event.id, event.error, now);
    case 'minimumReached':
      if (d.phase !== 'Shadowing') return refuse('NOT_SHADOWING', `${d.name} is ${d.phase}, not Shadowing: the minimum was already reached or analysis has not started.`, 'Nothing to do; check `pitlane canary status`.');
      return ok(d, { phase: 'Analyzing', minimumReachedAt: now }, [], now);
    case 'verdict':
      return verdict(d, event.status, event.report, event.reason, now, event.held !== undefined);
    case 'promote':
      return promote(d, event.override, now);
    case 'abort':
      return abort(d, event.reason, 'user', now);
    case 'rollback':
      return rollback(d, event.reason, now);
  }
}

/** Builds the next record: revision +1, new effects queued with their idempotency keys. */
function ok(d: Deployment, changes: Partial<Deployment>, effects: readonly Effect[], now: number, keepPending = d.pending): TransitionResult {
  const revision = d.revision + 1;
  const queued = effects.map((effect, i) => ({ id: `${d.name}@${revision}#${i}`, effect }));
  const next: Deployment = { ...d, ...changes, revision, updatedAt: now, pending: [...keepPending, ...queued] };
  return { ok: true, next, effects };
}

function start(d: Deployment, now: number): TransitionResult {
  if (d.phase !== 'Pending') return refuse('ALREADY_STARTED', `${d.name} is already ${d.phase}.`, 'Use `pitlane canary status` to follow it, or start a new deployment once this one is finished.');
  const s = d.spec;
  const effect: Effect =
    s.start.from === 'savepoint'
      ? { type: 'triggerSavepoint', jobId: d.jobs.authoritative }
      : startCandidate(d, { input: s.start.from === 'timestamp' ? { timestamp: s.start.timestamp } : s.start.from });
  return ok(d, { phase: 'Forking' }, [effect], now);
}

function startCandidate(d: Deployment, from: Extract<Effect, { type: 'startJob' }>['from']): Effect {
  const s = d.spec;
  return { type: 'startJob', jobId: d.jobs.candidate, job: s.candidate.job, ...flinkRefOf(s.candidate), parallelism: s.candidate.parallelism, from, sinkTopic: s.candidate.canary, identity: identityOf(d.name, d.jobs.candidate) };
}

/**
 * The noise replica starts where the candidate did (the fork savepoint, or the
 * same input position), as the authoritative version, on its own topic and
 * consumer identity: a vs. replica shows what two copies of one version differ by.
 */
function startNoiseReplica(d: Deployment, candidateFrom: Extract<Effect, { type: 'startJob' }>['from']): Effect | undefined {
  const noise = noiseReplicaOf(d);
  if (!noise) return undefined;
  const from = 'savepoint' in candidateFrom ? { savepoint: candidateFrom.savepoint } : candidateFrom;
  return { type: 'startJob', jobId: noise.jobId, job: d.spec.authoritative.job, ...flinkRefOf(d.spec.authoritative), from, sinkTopic: noise.topic, identity: identityOf(d.name, noise.jobId) };
}

/** Stops the noise replica, if the spec runs one. */
function stopNoiseReplica(d: Deployment): Effect[] {
  const noise = noiseReplicaOf(d);
  return noise ? [{ type: 'stopNoiseReplica', jobId: noise.jobId }] : [];
}

function effectDone(d: Deployment, id: string, result: EffectResult, now: number): TransitionResult {
  const head = d.pending[0];
  if (!head || head.id !== id) {
    return refuse('EFFECT_NOT_PENDING', `Effect ${id} is not the next pending effect of ${d.name} (revision ${d.revision}); it was already recorded or superseded.`, 'Nothing to do: a resumed controller re-reports effects it cannot know were recorded.');
  }
  const rest = d.pending.slice(1);
  const { effect } = head;
  const step: StepRecord = { id, type: effect.type, result: { ...result, at: result.at ?? now } };
  const base = { lastError: undefined };

  if (d.phase === 'Promoting' && d.promotion) {
    const steps = [...d.promotion.steps, step];
    const keepsRollback = (effect.type === 'stopWithSavepoint' && effect.keep === 'rollback') || effect.type === 'warmHandoff' || effect.type === 'coldHandoff';
    const rollbackSavepoint = keepsRollback ? result.savepoint : d.promotion.rollbackSavepoint;
    const activeTopic = effect.type === 'cutoverGroups' ? effect.to : d.activeTopic;
    const promotion = { ...d.promotion, steps, ...(rollbackSavepoint ? { rollbackSavepoint } : {}) };
    const after: Deployment = { ...d, promotion, activeTopic };
    const nextStep = nextPromotionStep(after);
    if (nextStep) return ok(d, { ...base, promotion, activeTopic }, [nextStep], now, rest);
    const live = promotion.strategy === 'cutover' ? d.jobs.candidate : promotedJobId(d);
    return ok(d, { ...base, phase: 'Promoted', activeTopic, jobs: { ...d.jobs, live }, promotion: { ...promotion, completedAt: now, pitStop: pitStopOf(steps) } }, [], now, rest);
  }

  if (d.phase === 'RolledBack' && d.rollback) {
    const rb = { ...d.rollback, steps: [...d.rollback.steps, step] };
    const activeTopic = effect.type === 'cutoverGroups' ? effect.to : d.activeTopic;
    const nextStep = nextRollbackStep({ ...d, rollback: rb });
    if (nextStep) return ok(d, { ...base, rollback: rb, activeTopic }, [nextStep], now, rest);
    return ok(d, { ...base, rollback: { ...rb, completedAt: now }, activeTopic: d.spec.authoritative.output, jobs: { ...d.jobs, live: d.jobs.authoritative } }, [], now, rest);
  }

  if (d.phase === 'Aborted' && effect.type === 'stopWithSavepoint' && d.abort && result.savepoint) {
    return ok(d, { ...base, abort: { ...d.abort, debugSavepoint: result.savepoint } }, [], now, rest);
  }

  if (d.phase === 'Forking') {
    switch (effect.type) {
      case 'triggerSavepoint': {
        if (!result.savepoint) return refuse('EFFECT_RESULT_MISSING', `triggerSavepoint of ${d.name} completed without a savepoint.`, 'This is an engine adapter bug: it must return the savepoint it took.');
        const s = d.spec;
        return ok(d, { ...base, fork: { savepoint: result.savepoint } }, [{ type: 'preflight', savepoint: result.savepoint.location, job: s.candidate.job, ...flinkRefOf(s.candidate), parallelism: s.candidate.parallelism, allowNonRestoredState: s.candidate.allowNonRestoredState }], now, rest);
      }
      case 'preflight': {
        const report = result.report;
        if (!report) return refuse('EFFECT_RESULT_MISSING', `preflight of ${d.name} completed without a report.`, 'This is an engine adapter bug: it must return the preflight report.');
        if (!report.compatible) {
          // Nothing has been stopped: the authoritative job kept running throughout.
          return ok(d, { ...base, phase: 'Aborted', preflight: report, abort: { at: now, by: 'preflight', reason: `the savepoint cannot be restored into ${d.spec.candidate.job}: ${report.refusals.join('; ')}` } }, [], now, []);
        }
        return ok(d, { ...base, preflight: report }, [startCandidate(d, { savepoint: d.fork?.savepoint.location ?? '', allowNonRestoredState: d.spec.candidate.allowNonRestoredState })], now, rest);
      }
      case 'startJob': {
        // Candidate first, then the noise replica (if any); shadowing begins once both run.
        const replica = effect.jobId === d.jobs.candidate ? startNoiseReplica(d, effect.from) : undefined;
        if (replica) return ok(d, base, [replica], now, rest);
        return ok(d, { ...base, phase: 'Shadowing' }, [{ type: 'startAnalysis' }], now, rest);
      }
      default:
        break;
    }
  }
  // Any other completion (startAnalysis, stopAnalysis, cancelJob, …) just leaves the queue.
  return ok(d, base, [], now, rest);
}

function effectFailed(d: Deployment, id: string, error: { code: string; message: string; retriable: boolean }, now: number): TransitionResult {
  const head = d.pending[0];
  if (!head || head.id !== id) {
    return refuse('EFFECT_NOT_PENDING', `Effect ${id} is not the next pending effect of ${d.name} (revision ${d.revision}).`, 'Nothing to do: the failure was already recorded or superseded.');
  }
  const lastError = { effectId: id, code: error.code, message: error.message, retriable: error.retriable, at: now };
  if (d.phase === 'Forking') {
    // A fork that fails (savepoint, preflight I/O, or a candidate that crashes at
    // start) ends the deployment; the authoritative job was never touched. The
    // candidate is cancelled in case it half-started (a no-op if it never ran).
    return ok(d, { phase: 'Aborted', lastError, abort: { at: now, by: 'error', reason: `${head.effect.type} failed: ${error.message}` } }, [{ type: 'cancelJob', jobId: d.jobs.candidate }, ...stopNoiseReplica(d)], now, []);
  }
  if (d.phase === 'Aborted' && head.effect.type === 'stopWithSavepoint' && error.code === 'ENGINE_JOB_NOT_RUNNING') {
    // The candidate is down already (it failed, or was stopped): there is nothing to
    // stop and no state to keep for debugging; the abort goes on without it.
    return ok(d, { lastError }, [], now, d.pending.slice(1));
  }
  // Elsewhere the effect stays pending: steps are idempotent, so `resume` retries
  // it; a promotion is never silently skipped or half-undone.
  return ok(d, { lastError }, [], now);
}

function verdict(d: Deployment, status: 'pass' | 'fail' | 'inconclusive', report: string | undefined, reason: string | undefined, now: number, held = false): TransitionResult {
  const allowed: Partial<Record<Phase, readonly string[]>> = {
    Shadowing: ['fail'],
    Analyzing: ['pass', 'fail', 'inconclusive'],
    Inconclusive: ['pass', 'fail', 'inconclusive'],
    Passed: ['fail'],
  };
  const ok_ = allowed[d.phase];
  if (!ok_) {
    const why = d.phase === 'Failed' ? 'a Failed verdict is final' : `there is no analysis running in phase ${d.phase}`;
    return refuse('VERDICT_NOT_ACCEPTED', `A ${status} verdict for ${d.name} is not accepted: ${why}.`, 'Start a new deployment to judge the candidate again.');
  }
  if (!ok_.includes(status)) {
    return refuse(d.phase === 'Shadowing' ? 'MINIMUM_NOT_MET' : 'VERDICT_NOT_ACCEPTED', `A ${status} verdict for ${d.name} is not accepted in phase ${d.phase}${d.phase === 'Shadowing' ? ': the analysis minimum (duration, windows, records) is not met yet' : ''}.`, 'Wait for the analysis to reach its minimum.');
  }
  const v = { status, at: now, ...(report ? { report } : {}), ...(reason ? { reason } : {}) };
  const auto = d.spec.promotion.auto;
  if (status === 'pass') {
    // A pass whose confirm hook held the promotion is recorded as Passed: promoting waits for the hook.
    if (auto && !held) return beginPromotion({ ...d, verdict: v }, undefined, true, now);
    return ok(d, { phase: 'Passed', verdict: v }, [], now);
  }
  if (status === 'fail') {
    if (auto) return abort({ ...d, verdict: v }, `the gate failed${reason ? `: ${reason}` : ''}`, 'auto', now);
    return ok(d, { phase: 'Failed', verdict: v }, [], now);
  }
  return ok(d, { phase: 'Inconclusive', verdict: v }, [], now);
}

function promote(d: Deployment, override: { reason: string } | undefined, now: number): TransitionResult {
  switch (d.phase) {
    case 'Passed':
      break;
    case 'Failed':
    case 'Inconclusive':
      if (!override || override.reason.trim() === '') {
        return refuse('VERDICT_NOT_PASS', `${d.name} is ${d.phase}: its candidate did not pass the gate.`, 'Abort it, or promote anyway with an explicit override and a reason (`--override-verdict "<reason>"`); the reason is recorded.');
      }
      break;
    case 'Promoting':
      return refuse('ALREADY_PROMOTING', `${d.name} is already being promoted (revision ${d.revision}).`, 'Wait for it (`pitlane canary status`); a stalled promotion continues with `pitlane canary resume`.');
    case 'Promoted':
      return refuse('ALREADY_PROMOTED', `${d.name} is already promoted; a deployment is promoted once.`, 'Nothing to do. To undo it, use `pitlane canary rollback`.');
    case 'Aborted':
    case 'RolledBack':
      return refuse('DEPLOYMENT_FINISHED', `${d.name} is ${d.phase} and cannot be promoted.`, 'Start a new deployment of the candidate.');
    default:
      return refuse('NO_VERDICT', `${d.name} is ${d.phase}: the analysis has not decided yet.`, 'Wait for a verdict (`pitlane canary gate --wait`).');
  }
  if (d.pending.length > 0) return refuse('EFFECTS_PENDING', `${d.name} still has ${d.pending.length} step(s) in flight.`, 'Run `pitlane canary resume` first.');
  return beginPromotion(d, d.phase === 'Passed' ? undefined : override, false, now);
}

function beginPromotion(d: Deployment, override: { reason: string } | undefined, auto: boolean, now: number): TransitionResult {
  const s = d.spec.promotion;
  const promotion = { strategy: s.strategy, ...(s.mode ? { mode: s.mode } : {}), auto, ...(override ? { override } : {}), startedAt: now, steps: [] };
  const first = nextPromotionStep({ ...d, promotion });
  return ok(d, { phase: 'Promoting', verdict: d.verdict, promotion }, first ? [first] : [], now);
}

function abort(d: Deployment, reason: string, by: 'user' | 'auto', now: number): TransitionResult {
  if (!ABORTABLE.includes(d.phase)) {
    const hint =
      d.phase === 'Promoted' ? 'It is already promoted: use `pitlane canary rollback` to return to the previous version.'
      : d.phase === 'Promoting' ? 'A promotion is in flight and cannot be abandoned half-way: let it finish (`pitlane canary resume`), then roll back.'
      : 'Nothing to do.';
    return refuse('NOT_ABORTABLE', `${d.name} is ${d.phase} and cannot be aborted.`, hint);
  }
  if (reason.trim() === '') return refuse('REASON_REQUIRED', 'An abort needs a reason.', 'Pass one, e.g. `--reason "latency regression"`.');
  const candidateRan = d.phase !== 'Pending' && d.phase !== 'Forking';
  // A running candidate stops with a savepoint kept for debugging; in Forking it
  // may have half-started, so it is cancelled (a no-op if it never ran).
  // The noise replica has nothing worth keeping (its output is on its topic): it is cancelled.
  const effects: Effect[] =
    d.phase === 'Pending' ? []
    : candidateRan ? [{ type: 'stopAnalysis' }, { type: 'stopWithSavepoint', jobId: d.jobs.candidate, keep: 'debug' }, ...stopNoiseReplica(d)]
    : [{ type: 'cancelJob', jobId: d.jobs.candidate }, ...stopNoiseReplica(d)];
  return ok(d, { phase: 'Aborted', verdict: d.verdict, abort: { at: now, reason, by } }, effects, now, []);
}

function rollback(d: Deployment, reason: string | undefined, now: number): TransitionResult {
  if (d.phase === 'RolledBack') return refuse('ALREADY_ROLLED_BACK', `${d.name} is already rolled back.`, 'Nothing to do.');
  if (d.phase !== 'Promoted') {
    return refuse('NOT_PROMOTED', `${d.name} is ${d.phase}: only a promoted deployment can be rolled back.`, d.phase === 'Promoting' ? 'Let the promotion finish first (`pitlane canary resume`).' : 'Use `pitlane canary abort` to stop a candidate that was not promoted.');
  }
  if (!d.spec.rollback.keepSavepoint || !d.promotion?.rollbackSavepoint) {
    return refuse('NO_ROLLBACK_SAVEPOINT', `${d.name} kept no savepoint of the previous version, so it cannot be restored.`, 'Set rollback.keepSavepoint: true in the spec for future deployments; to go back now, deploy the old version as a new candidate.');
  }
  if (d.pending.length > 0) return refuse('EFFECTS_PENDING', `${d.name} still has ${d.pending.length} step(s) in flight.`, 'Run `pitlane canary resume` first.');
  const rb = { at: now, ...(reason ? { reason } : {}), steps: [] };
  const first = nextRollbackStep({ ...d, rollback: rb });
  return ok(d, { phase: 'RolledBack', rollback: rb }, first ? [first] : [], now);
}
