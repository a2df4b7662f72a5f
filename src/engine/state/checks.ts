/**
 * Refused state updates (issue 12): a value that does not fit its state's codec is
 * refused where it is written, with the record that wrote it, instead of failing
 * every later snapshot. The update is not applied; if the stored value was changed
 * in place into the same bad shape (user code mutating what it read), the bad part
 * is dropped too, so whatever state is left always encodes.
 */
import { SerdeError } from '../../errors.ts';
import type { StateCodec, StateValueProblem } from '../api/codecs.ts';

export interface RefusedUpdate {
  /** The operator's name, e.g. `process(profile)`. */
  readonly operator: string;
  readonly state: string;
  /** The state's kind (`value`, `map`, …) or the engine's own state (`reduce`, `window accumulator`). */
  readonly kind: string;
  /** The key in scope, canonical (JSON). */
  readonly key: string;
  readonly problem: StateValueProblem;
  /** What part of the state was refused, when not the value itself: `map key`, `list element`. */
  readonly part?: string;
  /** True when a stored value, changed in place into the bad shape, was dropped. */
  readonly dropped?: boolean;
}

export function stateValueError(r: RefusedUpdate): SerdeError {
  const { path, expected, actual } = r.problem;
  const where = path ? `field "${path}"${r.part ? ` of the ${r.part}` : ''}` : `the ${r.part ?? 'value'}`;
  const dropped = r.dropped ? `; the stored ${r.part ?? 'value'}, changed in place to the same bad shape, was dropped` : '';
  return new SerdeError(
    'STATE_VALUE_INVALID',
    `${r.operator}: state "${r.state}" (${r.kind}) of key ${r.key}: ${where} must be ${expected}, not ${actual}. The update was not applied${dropped}.`,
    {
      hint: 'An input record (or the job code) gives a state field another type than its schema: fix the producer, or check the input before it reaches state. The record went to the dead-letter topic and the job went on.',
      data: { operator: r.operator, state: r.state, kind: r.kind, key: r.key, path, expected, actual, ...(r.part ? { part: r.part } : {}), ...(r.dropped ? { dropped: true } : {}) },
    },
  );
}

/** True when `codec` takes `v` (a codec without `check` takes everything here; snapshots check it). */
export function fits<T>(codec: StateCodec<T>, v: T): boolean {
  return codec.check?.(v) === undefined;
}

/**
 * A slot's content with whatever no longer fits its codec taken out: the slot as it
 * was when all of it fits (`dropped` false), else what is left (undefined when
 * nothing is). Only called after a refusal, so its cost does not matter.
 */
export function repairSlot(kind: string, codec: StateCodec<unknown>, mapKeyCodec: StateCodec<unknown> | undefined, slot: unknown): { value: unknown; dropped: boolean } {
  if (slot === undefined) return { value: undefined, dropped: false };
  if (kind === 'list') {
    const list = slot as unknown[];
    const kept = list.filter((x) => fits(codec, x));
    if (kept.length === list.length) return { value: slot, dropped: false };
    return { value: kept.length > 0 ? kept : undefined, dropped: true };
  }
  if (kind === 'map') {
    const m = slot as Map<unknown, unknown>;
    let dropped = false;
    for (const [k, v] of [...m]) {
      if (!fits(codec, v) || (mapKeyCodec && !fits(mapKeyCodec, k))) {
        m.delete(k);
        dropped = true;
      }
    }
    return { value: m.size > 0 ? m : undefined, dropped };
  }
  return fits(codec, slot) ? { value: slot, dropped: false } : { value: undefined, dropped: true };
}
