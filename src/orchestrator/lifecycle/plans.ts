/**
 * How a deployment is promoted and rolled back. First the plan: chosen from the
 * spec and what the deployment's engines can do, once, when it is created — a
 * spec asking for what they cannot do is refused then, naming why. Then its
 * ordered steps, one at a time: a step may need the result of the one before (a
 * cold handoff restores from the savepoint the previous step took), so each call
 * looks at the steps already done and returns the next effect, or null when the
 * sequence is complete. Pure.
 */
import { ConfigError } from '../../errors.ts';
import type { EngineCapabilities } from '../../engines/adapter.ts';
import type { DeploymentSpec } from '../spec/schema.ts';
import type { Deployment, Effect, PitStop, PromotionPlan, StepRecord } from './model.ts';
import { flinkRefOf, identityOf, noiseReplicaOf } from './model.ts';

/** What the engines running each of a deployment's jobs can do (engines/capabilities.ts). */
export interface DeploymentEngines {
  /** Runs the authoritative job, and restarts it on a rollback. */
  readonly authoritative: EngineCapabilities;
  /** Runs the candidate, and the job that takes over in a cold handoff. */
  readonly candidate: EngineCapabilities;
}

export type PlanChoice = { readonly ok: true; readonly plan: PromotionPlan } | { readonly ok: false; readonly refusals: readonly string[] };

const WARM = 'hold, run to offsets and switch its sink';
const ROLES = ['authoritative', 'candidate'] as const;

/**
 * The plan for a spec on these engines, or why they cannot carry it out (one line
 * per key to change). Rules:
 * - cutover: any engine (it needs only the core; the groups move through Kafka);
 * - warm handoff: both engines can hold, run to offsets and switch their sink;
 * - the rollback of a savepoint handoff restarts the old version from the savepoint
 *   kept at the handoff. An authoritative engine that can hold, run to offsets and
 *   switch its sink restarts it held on the canary topic, runs it up to where the
 *   new one stopped, then switches its sink: no gap, no duplicate. One that cannot
 *   (Flink) restarts it on the authoritative topic at the kept savepoint's offsets:
 *   no gap, and the input the new version handled is handled again, so its output
 *   is written twice, the new version's then the old one's (`replayRollback`);
 * - cold handoff: any engine; it is fast (standby restored ahead, delta at the
 *   stop) when both engines can do that and are one engine (a delta is only
 *   readable by the engine that wrote it), else plain (full savepoint, new start).
 */
export function choosePromotionPlan(spec: DeploymentSpec, engines: DeploymentEngines): PlanChoice {
  const refusals = refusalsOf(spec, engines);
  return refusals.length > 0 ? { ok: false, refusals } : { ok: true, plan: planFor(spec, engines) };
}

function refusalsOf(spec: DeploymentSpec, engines: DeploymentEngines): string[] {
  const p = spec.promotion;
  if (p.strategy === 'cutover') return [];
  if (p.mode === 'warm') {
    return ROLES.filter((r) => !engines[r].warmHandoff).map(
      (role) => `promotion.mode: a warm handoff needs engines that can ${WARM}; the ${engines[role].engine} engine (${role}) cannot. Use mode: cold (restore from the authoritative savepoint) or strategy: cutover.`,
    );
  }
  return [];
}

function planFor(spec: DeploymentSpec, { authoritative: a, candidate: c }: DeploymentEngines): PromotionPlan {
  const p = spec.promotion;
  if (p.strategy === 'cutover') return { strategy: 'cutover' };
  if (p.mode === 'warm') return { strategy: 'savepoint-handoff', mode: 'warm' };
  return { strategy: 'savepoint-handoff', mode: 'cold', fast: a.fastColdHandoff && c.fastColdHandoff && a.engine === c.engine, ...(spec.rollback.keepSavepoint && !a.warmHandoff ? { replayRollback: true } : {}) };
}

/** `choosePromotionPlan`, refusing with a ConfigError that names every key to change (`canary start`). */
export function requirePromotionPlan(spec: DeploymentSpec, engines: DeploymentEngines): PromotionPlan {
  const choice = choosePromotionPlan(spec, engines);
  if (choice.ok) return choice.plan;
  throw new ConfigError('SPEC_PROMOTION_UNSUPPORTED', `${spec.name}: its engines cannot promote it as the spec asks:\n${choice.refusals.map((r) => `  ${r}`).join('\n')}`, {
    hint: 'Change the keys named above; nothing was started.',
    data: { refusals: choice.refusals },
  });
}

/** What the embedded engine can do: everything. It ran every deployment recorded before plans were. */
const EMBEDDED: EngineCapabilities = { engine: 'embedded', warmHandoff: true, fastColdHandoff: true };

/** The deployment's plan: as recorded at create, else (an older record) the plan on the embedded engine. */
export function planOf(d: Pick<Deployment, 'spec' | 'plan'>): PromotionPlan {
  return d.plan ?? planFor(d.spec, { authoritative: EMBEDDED, candidate: EMBEDDED });
}

function stepResult(steps: readonly StepRecord[], type: Effect['type']) {
  return steps.find((s) => s.type === type)?.result;
}

/**
 * Adds the noise replica's stop to a plan: once `due` (the plan's own steps say
 * the replica is no longer needed) or when the plan has nothing left, whichever
 * comes first. The plan itself sees only its own steps, so its indices hold.
 */
function withNoiseStop(d: Deployment, steps: readonly StepRecord[], plan: (own: readonly StepRecord[]) => Effect | null, due: (own: readonly StepRecord[]) => boolean): Effect | null {
  const noise = noiseReplicaOf(d);
  const own = steps.filter((s) => s.type !== 'stopNoiseReplica');
  const next = plan(own);
  if (noise && own.length === steps.length && (due(own) || next === null)) return { type: 'stopNoiseReplica', jobId: noise.jobId };
  return next;
}

/** The next step of a promotion; the noise replica (if any) stops right after the analysis. */
export function nextPromotionStep(d: Deployment): Effect | null {
  const p = d.promotion;
  if (!p) return null;
  return withNoiseStop(d, p.steps, (steps) => promotionStep({ ...d, promotion: { ...p, steps } }), (own) => own.some((s) => s.type === 'stopAnalysis'));
}

function promotionStep(d: Deployment): Effect | null {
  const p = d.promotion;
  if (!p) return null;
  const s = d.spec;
  const i = p.steps.length;
  const auth = d.jobs.authoritative;
  const cand = d.jobs.candidate;
  const plan = planOf(d);
  if (plan.strategy === 'cutover') {
    // Groups move first; the old job keeps running until they have moved, so a
    // failed cutover leaves the old stream intact.
    const seq: (() => Effect)[] = [
      () => ({ type: 'stopAnalysis' }),
      () => ({ type: 'cutoverGroups', groups: s.promotion.downstreamGroups, from: s.authoritative.output, to: s.candidate.canary, force: s.promotion.force, timeoutMs: s.promotion.groupEmptyTimeout }),
      () => ({ type: 'stopWithSavepoint', jobId: auth, keep: 'rollback' }),
    ];
    return seq[i]?.() ?? null;
  }
  if (plan.mode === 'cold') {
    const promoted = promotedJobId(d);
    const target = { jobId: promoted, job: s.candidate.job, ...flinkRefOf(s.candidate), parallelism: s.candidate.parallelism, sinkTopic: s.authoritative.output, identity: identityOf(d.name, promoted) };
    const stopped = stepResult(p.steps, 'stopWithSavepoint');
    if (stopped) {
      // A promotion recorded by an earlier version of this plan (stop, then start as two steps).
      return stepResult(p.steps, 'startJob') ? null : { type: 'startJob', ...target, from: { savepoint: stopped.savepoint?.location ?? '', allowNonRestoredState: s.candidate.allowNonRestoredState } };
    }
    // The shadow candidate goes first: it is off the critical path of the pit stop,
    // and its CPU is better spent on the standby. The standby comes up and restores a
    // fresh (tracked) savepoint of the old job while the old job still writes; the
    // handoff (stop with the delta since → the standby applies it; the full savepoint
    // after) is one step, so no store round trip lies inside the pit stop. Without
    // the fast plan, the handoff stops the old job with a full savepoint and starts
    // the new one from it.
    // Planned by step type, not index, so a record of the earlier plan (no
    // restoreStandby) resumes correctly: its coldHandoff simply has no base.
    if (stepResult(p.steps, 'coldHandoff')) return null;
    const allow = s.candidate.allowNonRestoredState;
    type Step = [Effect['type'], () => Effect];
    const standby: Step[] = [
      ['prepareStandby', () => ({ type: 'prepareStandby', ...target })],
      ['restoreStandby', () => ({ type: 'restoreStandby', from: auth, standby: { ...target, allowNonRestoredState: allow } })],
    ];
    const seq: Step[] = [
      ['stopAnalysis', () => ({ type: 'stopAnalysis' })],
      ['cancelJob', () => ({ type: 'cancelJob', jobId: cand })],
      ...(plan.fast ? standby : []),
    ];
    const next = seq.find(([type]) => !stepResult(p.steps, type));
    if (next) return next[1]();
    const base = stepResult(p.steps, 'restoreStandby')?.savepoint?.location;
    return { type: 'coldHandoff', from: auth, ...(base !== undefined ? { base } : {}), start: { ...target, allowNonRestoredState: allow } };
  }
  // Warm: both jobs reach the same input offsets and hold; the old one stops
  // there; the candidate's sink moves to the authoritative topic — no restore.
  // One effect (warmHandoff), so no store round trip lengthens the pit stop.
  const seq: (() => Effect)[] = [
    () => ({ type: 'stopAnalysis' }),
    () => ({ type: 'warmHandoff', from: auth, jobId: cand, to: s.authoritative.output, fence: s.candidate.canary }),
  ];
  return seq[i]?.() ?? null;
}

export function promotedJobId(d: Deployment): string {
  return d.promotion?.mode === 'cold' ? `${d.name}.promoted` : d.jobs.candidate;
}

/** The pit stop from the recorded step results; fields are absent when the engine did not report the times. */
export function pitStopOf(steps: readonly StepRecord[]): PitStop {
  const warm = stepResult(steps, 'warmHandoff');
  const cold = stepResult(steps, 'coldHandoff');
  const stop = warm ?? cold ?? stepResult(steps, 'stopWithSavepoint');
  const align = warm ?? stepResult(steps, 'alignJobs');
  const first = warm ?? cold ?? stepResult(steps, 'switchSink') ?? stepResult(steps, 'startJob');
  const lastOutputAt = align?.lastOutputAt ?? stop?.lastOutputAt;
  // A delta handoff writes the full savepoint after the new job started: the stop is when the old job halted.
  const stoppedAt = cold?.stoppedAt ?? stop?.savepoint?.completedAt;
  return {
    ...(first?.firstOutputAt !== undefined && lastOutputAt !== undefined ? { outputGapMs: first.firstOutputAt - lastOutputAt } : {}),
    ...(warm
      ? warm.firstOutputAt !== undefined && warm.fencedAt !== undefined ? { noWriterMs: Math.max(0, warm.firstOutputAt - warm.fencedAt) } : {}
      : cold ? cold.firstOutputAt !== undefined && stoppedAt !== undefined ? { noWriterMs: Math.max(0, cold.firstOutputAt - stoppedAt) } : {}
      : first?.at !== undefined && stoppedAt !== undefined ? { noWriterMs: Math.max(0, first.at - stoppedAt) } : {}),
  };
}

/**
 * The next step of a rollback. With a noise replica, the first step makes sure it
 * is stopped: the promotion stopped it, so this is a no-op unless someone
 * restarted it — a rollback must leave only the old version running.
 */
export function nextRollbackStep(d: Deployment): Effect | null {
  const r = d.rollback;
  if (!r) return null;
  return withNoiseStop(d, r.steps, (steps) => rollbackStep({ ...d, rollback: { ...r, steps } }), () => true);
}

function rollbackStep(d: Deployment): Effect | null {
  const r = d.rollback;
  const p = d.promotion;
  if (!r || !p?.rollbackSavepoint) return null;
  const s = d.spec;
  const i = r.steps.length;
  const auth = d.jobs.authoritative;
  const restore = { savepoint: p.rollbackSavepoint.location };
  if (p.strategy === 'cutover') {
    // The old job restarts on its own topic; the groups move back to it at the
    // matching record once it has caught up; then the candidate stops.
    const seq: (() => Effect)[] = [
      () => ({ type: 'startJob', jobId: auth, job: s.authoritative.job, ...flinkRefOf(s.authoritative), from: restore, sinkTopic: s.authoritative.output, identity: identityOf(d.name, `${auth}.rollback`) }),
      () => ({ type: 'cutoverGroups', groups: s.promotion.downstreamGroups, from: s.candidate.canary, to: s.authoritative.output, force: s.promotion.force, timeoutMs: s.promotion.groupEmptyTimeout }),
      () => ({ type: 'stopWithSavepoint', jobId: d.jobs.live, keep: 'debug' }),
    ];
    return seq[i]?.() ?? null;
  }
  const plan = planOf(d);
  if (plan.strategy === 'savepoint-handoff' && plan.mode === 'cold' && plan.replayRollback) {
    // The authoritative engine cannot hold a job at offsets (Flink): the new job stops
    // at X; the old one restarts from the kept savepoint (offsets O ≤ X) on the
    // authoritative topic. No gap; the output of O..X is written again, by the old version.
    const replay: (() => Effect)[] = [
      () => ({ type: 'stopWithSavepoint', jobId: d.jobs.live, keep: 'debug' }),
      () => ({ type: 'startJob', jobId: auth, job: s.authoritative.job, ...flinkRefOf(s.authoritative), from: restore, sinkTopic: s.authoritative.output, identity: identityOf(d.name, `${auth}.rollback`) }),
    ];
    return replay[i]?.() ?? null;
  }
  // Handoff: the new job stops at offsets X; the old one restarts from the
  // savepoint kept at promotion (offsets O ≤ X), replays O..X into the now
  // unused canary topic, holds at X, and only then takes the authoritative
  // topic — so downstream sees neither a gap nor a duplicate.
  const seq: (() => Effect)[] = [
    () => ({ type: 'stopWithSavepoint', jobId: d.jobs.live, keep: 'debug' }),
    () => ({ type: 'startJob', jobId: auth, job: s.authoritative.job, ...flinkRefOf(s.authoritative), from: restore, sinkTopic: s.candidate.canary, identity: identityOf(d.name, `${auth}.rollback`), holdAtStart: true }),
    () => ({ type: 'runUntil', jobId: auth, offsets: stepResult(r.steps, 'stopWithSavepoint')?.savepoint?.sourceOffsets ?? [] }),
    () => ({ type: 'switchSink', jobId: auth, to: s.authoritative.output }),
  ];
  return seq[i]?.() ?? null;
}
