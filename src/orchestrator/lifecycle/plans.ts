/**
 * The ordered steps of a promotion and of a rollback, one at a time. A step may
 * need the result of the one before (a cold handoff restores from the savepoint
 * the previous step took), so each call looks at the steps already done and
 * returns the next effect, or null when the sequence is complete. Pure.
 */
import type { Deployment, Effect, PitStop, StepRecord } from './model.ts';
import { identityOf, noiseReplicaOf } from './model.ts';

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
  if (p.strategy === 'cutover') {
    // Groups move first; the old job keeps running until they have moved, so a
    // failed cutover leaves the old stream intact.
    const seq: (() => Effect)[] = [
      () => ({ type: 'stopAnalysis' }),
      () => ({ type: 'cutoverGroups', groups: s.promotion.downstreamGroups, from: s.authoritative.output, to: s.candidate.canary, force: s.promotion.force, timeoutMs: s.promotion.groupEmptyTimeout }),
      () => ({ type: 'stopWithSavepoint', jobId: auth, keep: 'rollback' }),
    ];
    return seq[i]?.() ?? null;
  }
  if (p.mode === 'cold') {
    const promoted = promotedJobId(d);
    const target = { jobId: promoted, job: s.candidate.job, parallelism: s.candidate.parallelism, sinkTopic: s.authoritative.output, identity: identityOf(d.name, promoted) };
    const stopped = stepResult(p.steps, 'stopWithSavepoint');
    if (stopped) {
      // A promotion recorded by an earlier version of this plan (stop, then start as two steps).
      return stepResult(p.steps, 'startJob') ? null : { type: 'startJob', ...target, from: { savepoint: stopped.savepoint?.location ?? '', allowNonRestoredState: s.candidate.allowNonRestoredState } };
    }
    // The shadow candidate goes first: it is off the critical path of the pit stop,
    // and its CPU is better spent on the standby. The standby comes up and restores a
    // fresh (tracked) savepoint of the old job while the old job still writes; the
    // handoff (stop with the delta since → the standby applies it; the full savepoint
    // after) is one step, so no store round trip lies inside the pit stop.
    // Planned by step type, not index, so a record of the earlier plan (no
    // restoreStandby) resumes correctly: its coldHandoff simply has no base.
    if (stepResult(p.steps, 'coldHandoff')) return null;
    const allow = s.candidate.allowNonRestoredState;
    const seq: [Effect['type'], () => Effect][] = [
      ['stopAnalysis', () => ({ type: 'stopAnalysis' })],
      ['cancelJob', () => ({ type: 'cancelJob', jobId: cand })],
      ['prepareStandby', () => ({ type: 'prepareStandby', ...target })],
      ['restoreStandby', () => ({ type: 'restoreStandby', from: auth, standby: { ...target, allowNonRestoredState: allow } })],
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
      () => ({ type: 'startJob', jobId: auth, job: s.authoritative.job, from: restore, sinkTopic: s.authoritative.output, identity: identityOf(d.name, `${auth}.rollback`) }),
      () => ({ type: 'cutoverGroups', groups: s.promotion.downstreamGroups, from: s.candidate.canary, to: s.authoritative.output, force: s.promotion.force, timeoutMs: s.promotion.groupEmptyTimeout }),
      () => ({ type: 'stopWithSavepoint', jobId: d.jobs.live, keep: 'debug' }),
    ];
    return seq[i]?.() ?? null;
  }
  // Handoff: the new job stops at offsets X; the old one restarts from the
  // savepoint kept at promotion (offsets O ≤ X), replays O..X into the now
  // unused canary topic, holds at X, and only then takes the authoritative
  // topic — so downstream sees neither a gap nor a duplicate.
  const seq: (() => Effect)[] = [
    () => ({ type: 'stopWithSavepoint', jobId: d.jobs.live, keep: 'debug' }),
    () => ({ type: 'startJob', jobId: auth, job: s.authoritative.job, from: restore, sinkTopic: s.candidate.canary, identity: identityOf(d.name, `${auth}.rollback`), holdAtStart: true }),
    () => ({ type: 'runUntil', jobId: auth, offsets: stepResult(r.steps, 'stopWithSavepoint')?.savepoint?.sourceOffsets ?? [] }),
    () => ({ type: 'switchSink', jobId: auth, to: s.authoritative.output }),
  ];
  return seq[i]?.() ?? null;
}
