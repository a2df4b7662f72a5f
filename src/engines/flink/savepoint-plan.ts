/**
 * The judgement half of the Flink preflight (pure): what the savepoint tool
 * (flink/savepoint-tool, run by savepoint-tool.ts) found in a savepoint and in the
 * candidate's stream graph, against the rules Flink's own restore applies, so an
 * upgrade Flink would refuse is refused before anything stops, each refusal naming
 * the operator's uid, the state and the fix:
 *
 * - state of an operator the candidate does not have (Flink: "Cannot map
 *   checkpoint/savepoint state"), unless allowNonRestoredState drops it;
 * - a max parallelism the candidate sets that differs from the saved one (keyed state
 *   is cut into exactly that many key groups);
 * - a parallelism above the max parallelism the restore will have;
 * - a key or state serializer Flink finds incompatible with the saved snapshot (POJO:
 *   a field's type changed; Avro: an evolution the schema rules refuse; a reduce or
 *   window state whose type changed). The verdict is Flink's own
 *   (TypeSerializerSnapshot#resolveSchemaCompatibility), made by the tool.
 *
 * What the tool cannot see — a state descriptor a function makes in open() whose type
 * is not a class of the job's own — is a note: the candidate's restore in the shadow,
 * while v1 still runs, is the final proof.
 */
import type { SavepointFacts, SavedOperator, CandidateOperator, Verdict } from './savepoint-tool.ts';

export interface FlinkRestoreProblem {
  /** STATE_NOT_RESTORED, MAX_PARALLELISM_CHANGED, BAD_PARALLELISM, KEY_CHANGED, STATE_TYPE_CHANGED, STATE_UNREADABLE (as the embedded engine's plan where they mean the same). */
  readonly code: string;
  /** The operator's uid, or `operator <id>` when neither the savepoint nor the candidate names it. */
  readonly uid: string;
  readonly state?: string;
  readonly message: string;
  readonly fix: string;
}

export interface FlinkRestorePlan {
  readonly compatible: boolean;
  readonly problems: readonly FlinkRestoreProblem[];
  /** Dropped state (allowNonRestoredState), migrations, operators that start empty, what is left to the restore. */
  readonly notes: readonly string[];
}

export interface FlinkPlanOptions {
  readonly allowNonRestoredState?: boolean;
}

const ALLOW = 'allow-non-restored-state (--allow-non-restored-state; allowNonRestoredState in a spec)';

function label(saved: SavedOperator, next: CandidateOperator | undefined): string {
  const uid = saved.uid ?? next?.uid;
  return uid ? `uid "${uid}"` : `operator ${saved.operatorId}`;
}

function stateList(saved: SavedOperator): string {
  const keyed = saved.keyedStates.filter((s) => s.kind !== 'TIMERS').map((s) => `"${s.name}" (${s.kind.toLowerCase()}${s.type ? ` ${s.type}` : ''})`);
  const timers = saved.keyedStates.some((s) => s.kind === 'TIMERS') ? ['timers'] : [];
  const operator = saved.operatorStates.map((s) => `"${s}" (operator state)`);
  const all = [...keyed, ...timers, ...operator];
  return all.length > 0 ? all.join(', ') : 'its state';
}

function verdictText(v: Verdict): string {
  return `${v.saved} → ${v.candidate ?? 'unknown'}`;
}

function checkMatched(saved: SavedOperator, next: CandidateOperator, verdicts: readonly Verdict[], problems: FlinkRestoreProblem[], notes: string[]): void {
  const uid = label(saved, next);
  // Flink assigns state (and checks parallelism against it) only for operators that saved some.
  if (!saved.hasState) return;
  if (next.maxParallelism > 0 && next.maxParallelism !== saved.maxParallelism) {
    problems.push({
      code: 'MAX_PARALLELISM_CHANGED',
      uid,
      message: `Operator ${uid} was saved with max parallelism ${saved.maxParallelism}; the candidate sets ${next.maxParallelism}. Its state is cut into exactly ${saved.maxParallelism} key groups.`,
      fix: `set the max parallelism back to ${saved.maxParallelism} (env.setMaxParallelism / the operator's setMaxParallelism), or leave it unset so the restore takes the saved one; it cannot change for a job with state without rewriting the savepoint (State Processor API)`,
    });
  }
  const max = next.maxParallelism > 0 ? next.maxParallelism : saved.maxParallelism;
  if (next.parallelism > max) {
    problems.push({
      code: 'BAD_PARALLELISM',
      uid,
      message: `Operator ${uid} would run at parallelism ${next.parallelism}, above its max parallelism ${max}: a subtask needs at least one key group.`,
      fix: `run it at parallelism ${max} or less (--parallelism / the spec's parallelism)`,
    });
  }
  if (saved.readError) {
    problems.push({
      code: 'STATE_UNREADABLE',
      uid,
      message: `The saved state of operator ${uid}: ${saved.readError}.`,
      fix: 'keep the classes the saved state names (same name and package) in the candidate jar, or give the operator a new uid and pass ' + ALLOW + ' to drop the old state',
    });
  }
  for (const v of verdicts) {
    if (v.result === 'INCOMPATIBLE') {
      const key = v.kind === 'key';
      problems.push({
        code: key ? 'KEY_CHANGED' : 'STATE_TYPE_CHANGED',
        uid,
        ...(v.state ? { state: v.state } : {}),
        message: key
          ? `Operator ${uid} changed its key type (${verdictText(v)}): its saved state is partitioned by the old key.`
          : `State "${v.state}" of operator ${uid} changed type incompatibly (${verdictText(v)}${v.detail ? `: ${v.detail}` : ''}); Flink cannot migrate it.`,
        fix: key
          ? 'restore the old key type, or give the operator a new uid so it starts empty and pass ' + ALLOW + ' to drop the old state'
          : `keep the state's type compatible — a POJO may add or remove fields but not change a field's type or its class name; an Avro type may evolve only as Avro's schema resolution allows — or give the state a new name (or the operator a new uid) and pass ${ALLOW} to drop the old state`,
      });
    } else if (v.result === 'UNKNOWN') {
      notes.push(`${uid}/${v.state}: the candidate makes this state's descriptor at run time, so its type (saved: ${v.saved}) is checked by the candidate's own restore in the shadow`);
    } else if (v.result === 'COMPATIBLE_AFTER_MIGRATION' || v.via === 'class') {
      const migrates = v.result === 'COMPATIBLE_AFTER_MIGRATION' ? `the saved ${v.saved} migrates to ${v.candidate ?? '?'}${v.detail ? ` (${v.detail})` : ''}: schema evolution` : `the saved ${v.saved} reads as it is`;
      const byClass = v.via === 'class' ? `; checked with the candidate's class of that name (its descriptor is made at run time, so that the state still uses that class is left to the restore in the shadow)` : '';
      notes.push(`${uid}/${v.state ?? 'key'}: ${migrates}${byClass}`);
    }
  }
}

export function planFlinkRestore(facts: SavepointFacts, o: FlinkPlanOptions = {}): FlinkRestorePlan {
  const problems: FlinkRestoreProblem[] = [];
  const notes: string[] = [];
  const byId = new Map<string, CandidateOperator>();
  for (const op of facts.candidate.operators) for (const id of op.operatorIds) byId.set(id, op);
  const matched = new Set<CandidateOperator>();
  for (const saved of facts.savepoint) {
    const next = byId.get(saved.operatorId);
    if (!next) {
      if (!saved.hasState) continue;
      const uid = label(saved, undefined);
      if (o.allowNonRestoredState) {
        notes.push(`${uid}: dropped — the candidate has no operator for its state ${stateList(saved)} (allow-non-restored-state)`);
        continue;
      }
      const states = saved.keyedStates.filter((s) => s.kind !== 'TIMERS').map((s) => s.name);
      problems.push({
        code: 'STATE_NOT_RESTORED',
        uid,
        ...(states.length > 0 ? { state: states.join(', ') } : {}),
        message: `The savepoint holds state of operator ${uid}${saved.name ? ` (${saved.name})` : ''} — ${stateList(saved)} — and the candidate has no operator with that uid; the state would be lost.`,
        fix: `give the operator that should own it ${saved.uid ? `uid "${saved.uid}"` : 'its old uid'} again (.uid(...)), or pass ${ALLOW} to drop it`,
      });
      continue;
    }
    matched.add(next);
    checkMatched(saved, next, facts.compatibility.filter((v) => v.operatorId === saved.operatorId), problems, notes);
  }
  for (const next of facts.candidate.operators) {
    if (!matched.has(next) && (next.states.length > 0 || next.keyType)) notes.push(`${next.uid ? `uid "${next.uid}"` : next.name}: not in the savepoint, starts empty`);
  }
  return { compatible: problems.length === 0, problems, notes };
}

/** One line per problem, as PreflightReport.refusals has them: what, then the fix. */
export function refusalLines(plan: FlinkRestorePlan): string[] {
  return plan.problems.map((p) => `${p.message} Fix: ${p.fix}.`);
}
