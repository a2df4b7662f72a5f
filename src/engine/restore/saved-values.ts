/**
 * The check left for a JSON state whose savepoint holds no schema (written before
 * JSON state had schemas, or declared without one) when the new job declares one:
 * every saved value is read as the restore would read it (`conformJson`: defaults
 * filled, removed fields dropped) and checked against the new schema. Every value,
 * not a sample, so "they fit" is a fact about this savepoint rather than a guessed
 * schema. A value that does not fit refuses the plan, naming its key and field.
 */
import { checkJsonWithSchema, conformJson, jsonStateType } from '../api/json-schema.ts';
import { previewValue } from '../api/value-checks.ts';
import { readStateEntries, type StateEntryRead } from '../savepoint/inspect.ts';
import type { JobDescription } from '../snapshot/model.ts';
import type { RestorePlan, RestoreProblem, StateNote } from './plan-types.ts';

const keyOf = (e: StateEntryRead): string => previewValue('key' in e ? e.key : 'keyText' in e ? e.keyText : e.keyBase64);

/** `plan` with its unchecked JSON states checked against their saved values wherever the new job declares a schema. */
export async function checkSavedValues(dir: string, plan: RestorePlan, job: JobDescription): Promise<RestorePlan> {
  const problems: RestoreProblem[] = [];
  const checked: StateNote[] = [];
  const unchecked: StateNote[] = [];
  for (const u of plan.unchecked) {
    const next = job.operators.find((o) => o.uid === u.uid)?.states.find((s) => s.name === u.state);
    if (u.state === undefined || next?.codec.type !== 'json' || next.codec.schema === undefined) {
      unchecked.push(u);
      continue;
    }
    const type = jsonStateType(next.codec.schema);
    let values = 0;
    let problem: RestoreProblem | undefined;
    for await (const e of readStateEntries(dir, u.uid, u.state)) {
      const p = checkJsonWithSchema(type, conformJson(type, e.value));
      if (p) {
        problem = {
          code: 'SAVED_VALUE_DOES_NOT_FIT',
          uid: u.uid,
          state: u.state,
          ...(p.path ? { field: p.path } : {}),
          message: `State "${u.state}" of operator "${u.uid}": the savepoint holds no schema for it, and the saved value of key ${keyOf(e)} does not fit the new schema${p.path ? ` at "${p.path}"` : ''}: expected ${p.expected}, got ${p.actual}.`,
          fix: 'make the new schema accept the saved values (a default for a new field, a union for a changed one), or migrate them with the state processor (transformSavepoint) and restore from the migrated savepoint; or give the operator a new uid and pass --allow-non-restored-state to drop its saved state (it starts empty)',
        };
        break;
      }
      values++;
    }
    if (problem) problems.push(problem);
    else checked.push({ uid: u.uid, state: u.state, reason: `the savepoint holds no schema for it; all ${values} saved value(s) fit the new schema, read as the restore reads them` });
  }
  if (problems.length === 0 && checked.length === 0) return plan;
  return { ...plan, compatible: plan.compatible && problems.length === 0, problems: [...plan.problems, ...problems], unchecked, valuesChecked: [...(plan.valuesChecked ?? []), ...checked] };
}
