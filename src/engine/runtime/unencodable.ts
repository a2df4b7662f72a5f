/**
 * The error of a snapshot that meets a state value its codec will not encode. State
 * writes are checked where they happen (state/checks.ts), so this is a value user
 * code changed in place after writing it (or a codec without `check`): the error
 * names the operator, state, key and field instead of failing as an internal error.
 */
import { SerdeError, describeUnknown } from '../../errors.ts';
import type { StateCodec, StateValueProblem } from '../api/codecs.ts';
import type { KeyedOperator } from '../operators/keyed.ts';
import { ProcessOperator } from '../operators/process.ts';
import { ReduceOperator } from '../operators/reduce.ts';
import { WindowOperator, type WindowSlot } from '../operators/window.ts';

type Codec = StateCodec<unknown>;

function firstProblem(codec: Codec, values: Iterable<unknown>): StateValueProblem | undefined {
  if (!codec.check) return undefined;
  for (const v of values) {
    const p = codec.check(v);
    if (p) return p;
  }
  return undefined;
}

/** The state of one key that does not encode, and where. */
function locate(op: KeyedOperator, slots: unknown[]): { state: string; problem?: StateValueProblem } | undefined {
  if (op instanceof ProcessOperator) {
    for (let i = 0; i < op.states.length; i++) {
      const d = op.states[i]!;
      const v = slots[i];
      if (v === undefined) continue;
      let p: StateValueProblem | undefined;
      if (d.kind === 'list') p = firstProblem(d.codec, v as unknown[]);
      else if (d.kind === 'map') p = firstProblem(d.mapKeyCodec as Codec, (v as Map<unknown, unknown>).keys()) ?? firstProblem(d.codec, (v as Map<unknown, unknown>).values());
      else p = firstProblem(d.codec, [v]);
      if (p) return { state: d.name, problem: p };
    }
    return op.states.length === 1 ? { state: op.states[0]!.name } : undefined;
  }
  if (op instanceof ReduceOperator) return { state: 'reduce', ...opt(firstProblem(op.codec, [slots[0]])) };
  if (op instanceof WindowOperator) {
    const accs = [...((slots[0] as Map<string, WindowSlot> | undefined)?.values() ?? [])].map((s) => s.acc);
    return { state: 'windows', ...opt(firstProblem(op.codec, accs)) };
  }
  return undefined;
}

const opt = (problem: StateValueProblem | undefined) => (problem ? { problem } : {});

export function unencodableState(op: KeyedOperator, keyString: string, slots: unknown[], cause: unknown): SerdeError {
  const found = locate(op, slots);
  const state = found ? `state "${found.state}"` : 'a state';
  const p = found?.problem;
  const what = p ? `${p.path ? `field "${p.path}"` : 'the value'} must be ${p.expected}, not ${p.actual}` : describeUnknown(cause);
  return new SerdeError('STATE_SNAPSHOT_UNENCODABLE', `${op.node.name}: ${state} of key ${keyString} cannot be written to a snapshot: ${what}. It was changed in place after it was written, so no write check saw it.`, {
    hint: 'Write state only through update()/add()/put() with the new value (those writes are checked, and a bad one fails its record into the dead-letter topic); do not change a value read from state in place. Until this key is fixed every snapshot of the job fails.',
    cause,
    data: { operator: op.node.name, key: keyString, ...(found ? { state: found.state } : {}), ...(p ? { path: p.path, expected: p.expected, actual: p.actual } : {}) },
  });
}
