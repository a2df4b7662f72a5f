/** How a deployment reads to people (`pitlane canary status`), and its gate exit status. Pure. */
import type { Deployment } from './lifecycle/model.ts';
import { noiseReplicaOf } from './lifecycle/model.ts';
import type { JobStatus } from '../engines/adapter.ts';

export type GateOutcome = 'pass' | 'fail' | 'inconclusive' | 'error' | 'pending';

/** The gate's answer from the stored record: a verdict, an error (the deployment ended without one), or not yet. */
export function gateOutcome(d: Deployment): GateOutcome {
  if (d.abort && (d.abort.by === 'preflight' || d.abort.by === 'error')) return 'error';
  if (d.verdict) return d.verdict.status;
  if (d.phase === 'Aborted' || d.phase === 'RolledBack') return 'error';
  return 'pending';
}

/** What runs for a deployment right now, as `canary status` sees it. */
export interface LiveView {
  readonly supervisorRunning: boolean;
  readonly authoritative: Pick<JobStatus, 'state' | 'failure'> | undefined;
}

/**
 * The line of a job's failure worth showing: job hosts log JSON lines, so the
 * last one's error (or message) rather than the whole line.
 */
export function failureSummary(failure: string): string {
  const lines = failure.split('\n').filter((l) => l.trim() !== '');
  for (const line of lines.reverse()) {
    try {
      const j = JSON.parse(line) as { err?: unknown; msg?: unknown; level?: unknown };
      if (typeof j.err === 'string') return j.err;
      if (typeof j.level === 'number' && j.level >= 50 && typeof j.msg === 'string') return j.msg;
    } catch {
      return line;
    }
  }
  return lines[0] ?? failure;
}

const AWAITING_VERDICT = new Set(['Shadowing', 'Analyzing', 'Inconclusive']);
const DOWN = new Set(['failed', 'unknown', 'cancelled', 'finished']);

/**
 * Why a deployment that waits for a verdict cannot get one, or undefined. A
 * dead candidate is not a stall: the supervisor turns it into a fail verdict.
 */
export function stallOf(d: Deployment, live: LiveView): { readonly reason: string; readonly hint: string } | undefined {
  if (!AWAITING_VERDICT.has(d.phase)) return undefined;
  const a = live.authoritative;
  if (a && DOWN.has(a.state)) {
    const why = a.failure ? `: ${failureSummary(a.failure)}` : '';
    return {
      reason: `${d.name} cannot be judged: the authoritative job ${d.jobs.authoritative} is ${a.state}${why}. Without its output the comparison cannot progress.`,
      hint: `See its log (\`pitlane canary status ${d.name}\`). Start it again from its last savepoint, or abort the deployment (\`pitlane canary abort ${d.name} --reason ...\`).`,
    };
  }
  if (!live.supervisorRunning) {
    return {
      reason: `${d.name} is ${d.phase} but its shadow supervisor is not running, so no verdict can come.`,
      hint: `Restart it with \`pitlane canary resume ${d.name}\`; its log is in the deployment's state directory (supervisor.log).`,
    };
  }
  return undefined;
}

/** A rollback by replay (plans.ts, replayRollback): the input from the kept savepoint to where the new job stopped. */
function replayedInput(d: Deployment): string | undefined {
  const plan = d.plan;
  const stop = d.rollback?.steps.find((s) => s.type === 'stopWithSavepoint')?.result.savepoint?.sourceOffsets;
  const kept = d.promotion?.rollbackSavepoint?.sourceOffsets;
  if (!(plan?.strategy === 'savepoint-handoff' && plan.mode === 'cold' && plan.replayRollback) || !stop || !kept) return undefined;
  return kept.map((o) => `${o.topic}/${o.partition}@${o.offset}..${stop.find((x) => x.topic === o.topic && x.partition === o.partition)?.offset ?? '?'}`).join(' ');
}

const ms = (n: number | undefined) => (n === undefined ? '-' : `${n} ms`);

export function describeDeployment(d: Deployment): string {
  const lines = [
    `${d.name}  ${d.phase}  (revision ${d.revision}, generation ${d.generation})`,
    `  authoritative  ${d.spec.authoritative.job} (${d.spec.authoritative.version}) → ${d.spec.authoritative.output}   job ${d.jobs.authoritative}`,
    `  candidate      ${d.spec.candidate.job}${d.spec.candidate.version ? ` (${d.spec.candidate.version})` : ''} → ${d.spec.candidate.canary}   job ${d.jobs.candidate}, parallelism ${d.spec.candidate.parallelism}`,
    `  live job       ${d.jobs.live}; downstream reads ${d.activeTopic}`,
  ];
  const noise = noiseReplicaOf(d);
  if (noise) lines.splice(3, 0, `  noise replica  ${d.spec.authoritative.job} (${d.spec.authoritative.version}) → ${noise.topic}   job ${noise.jobId}`);
  if (d.fork) lines.push(`  forked from    ${d.fork.savepoint.location} at ${d.fork.savepoint.sourceOffsets.map((o) => `${o.topic}/${o.partition}@${o.offset}`).join(' ')}`);
  if (d.preflight) {
    lines.push(`  preflight      ${d.preflight.compatible ? 'compatible' : 'REFUSED'}`);
    for (const r of d.preflight.refusals) lines.push(`    ✗ ${r}`);
    for (const n of d.preflight.notes) lines.push(`    · ${n}`);
  }
  if (d.verdict) lines.push(`  verdict        ${d.verdict.status}${d.verdict.reason ? ` — ${d.verdict.reason}` : ''}`);
  const p = d.promotion;
  if (p) {
    lines.push(`  promotion      ${p.strategy}${p.mode ? ` (${p.mode})` : ''}${p.auto ? ', auto' : ''}${p.override ? `, override: ${p.override.reason}` : ''}; steps done: ${p.steps.map((s) => s.type).join(' → ') || 'none'}`);
    if (p.pitStop) lines.push(`  pit stop       output gap ${ms(p.pitStop.outputGapMs)}, no writer ${ms(p.pitStop.noWriterMs)}`);
    if (p.rollbackSavepoint) lines.push(`  rollback sp    ${p.rollbackSavepoint.location}`);
  }
  if (d.abort) lines.push(`  aborted        by ${d.abort.by}: ${d.abort.reason}${d.abort.debugSavepoint ? `; candidate savepoint kept at ${d.abort.debugSavepoint.location}` : ''}`);
  if (d.rollback) lines.push(`  rollback       ${d.rollback.completedAt ? 'done' : 'in progress'}; steps: ${d.rollback.steps.map((s) => s.type).join(' → ') || 'none'}`);
  const replayed = replayedInput(d);
  if (replayed) lines.push(`  replayed       input ${replayed} ran through both versions: its output is on ${d.spec.authoritative.output} twice, the new version's then the old one's (the lineage headers name each record's input)`);
  if (d.pending.length > 0) lines.push(`  pending        ${d.pending.map((p) => `${p.effect.type} (${p.id})`).join(', ')}`);
  if (d.lastError) lines.push(`  last error     [${d.lastError.code}] ${d.lastError.message}${d.pending.length > 0 ? ` — retry with \`pitlane canary resume ${d.name}\`` : ''}`);
  return lines.join('\n');
}
