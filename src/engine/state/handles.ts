/**
 * `ctx.state`: handles bound to the operator's current key. Each declared descriptor
 * owns one slot in the key's entry; a handle reads the slot and creates the entry
 * only on write, and drops the key once all its state is cleared. Every write is
 * checked against the state's codec first (checks.ts): a value that would not
 * encode is refused, not stored, and the record that wrote it fails.
 */
import { JobDefinitionError } from '../../errors.ts';
import type {
  AnyStateDescriptor,
  ListState,
  ListStateDescriptor,
  MapState,
  MapStateDescriptor,
  MapStateKey,
  ReducingState,
  ReducingStateDescriptor,
  StateAccess,
  ValueState,
  ValueStateDescriptor,
} from '../api/state.ts';
import type { StateCodec, StateValueProblem } from '../api/codecs.ts';
import type { KeyEntry } from './store.ts';
import { repairSlot, stateValueError } from './checks.ts';

export interface KeyScope {
  entry(): KeyEntry | undefined;
  ensureEntry(): KeyEntry;
  releaseIfEmpty(): void;
  /** The key in scope, canonical (JSON): for messages. */
  scopeKey(): string;
  /** Marks the record in scope as failed by `error` (even if user code catches it) and returns it to throw. */
  reject(error: Error): Error;
}

export class StateHandles implements StateAccess {
  private readonly slots = new Map<object, number>();
  private readonly handles = new Map<object, unknown>();

  constructor(
    private readonly scope: KeyScope,
    descriptors: readonly AnyStateDescriptor[],
    private readonly operator: string,
  ) {
    descriptors.forEach((d, i) => this.slots.set(d, i));
  }

  private slotOf(d: { readonly name: string }, kind: string): number {
    const i = this.slots.get(d);
    if (i === undefined) {
      throw new JobDefinitionError('JOB_UNDECLARED_STATE', `${this.operator} uses the ${kind} state "${d.name}", which it does not declare.`, {
        hint: `Add it to the operator's states: [...] so snapshots and restore checks know it.`,
      });
    }
    return i;
  }

  private cached<H>(d: object, make: () => H): H {
    let h = this.handles.get(d) as H | undefined;
    if (!h) {
      h = make();
      this.handles.set(d, h);
    }
    return h;
  }

  /** Refuses a write to slot `i`: drops what of the stored value no longer fits (changed in place), then throws. */
  private refuse(i: number, d: AnyStateDescriptor, problem: StateValueProblem, part?: string): never {
    const e = this.scope.entry();
    let dropped = false;
    if (e) {
      const mapKeyCodec = d.kind === 'map' ? (d.mapKeyCodec as StateCodec<unknown>) : undefined;
      const r = repairSlot(d.kind, d.codec as StateCodec<unknown>, mapKeyCodec, e.slots[i]);
      if (r.dropped) {
        dropped = true;
        if (r.value === undefined) this.clearSlot(i);
        else e.slots[i] = r.value;
      }
    }
    throw this.scope.reject(stateValueError({ operator: this.operator, state: d.name, kind: d.kind, key: this.scope.scopeKey(), problem, ...(part ? { part } : {}), dropped }));
  }

  private clearSlot(i: number): void {
    const e = this.scope.entry();
    if (e) {
      e.slots[i] = undefined;
      this.scope.releaseIfEmpty();
    }
  }

  value<T>(d: ValueStateDescriptor<T>): ValueState<T> {
    const i = this.slotOf(d, 'value');
    return this.cached(d, () => ({
      value: () => this.scope.entry()?.slots[i] as T | undefined,
      update: (v: T) => {
        if (v === undefined) return this.clearSlot(i);
        const p = d.codec.check?.(v);
        if (p) this.refuse(i, d as AnyStateDescriptor, p);
        this.scope.ensureEntry().slots[i] = v;
      },
      clear: () => this.clearSlot(i),
    }));
  }

  list<T>(d: ListStateDescriptor<T>): ListState<T> {
    const i = this.slotOf(d, 'list');
    return this.cached(d, () => ({
      get: () => (this.scope.entry()?.slots[i] as T[] | undefined) ?? [],
      add: (v: T) => {
        const p = d.codec.check?.(v);
        if (p) this.refuse(i, d as AnyStateDescriptor, p, 'list element');
        const e = this.scope.ensureEntry();
        const list = e.slots[i] as T[] | undefined;
        if (list) list.push(v);
        else e.slots[i] = [v];
      },
      update: (vs: readonly T[]) => {
        if (vs.length === 0) return this.clearSlot(i);
        if (d.codec.check) {
          for (let j = 0; j < vs.length; j++) {
            const p = d.codec.check(vs[j]!);
            if (p) this.refuse(i, d as AnyStateDescriptor, { ...p, path: p.path ? `${j}.${p.path}` : String(j) }, 'list');
          }
        }
        this.scope.ensureEntry().slots[i] = [...vs];
      },
      clear: () => this.clearSlot(i),
    }));
  }

  map<K extends MapStateKey, V>(d: MapStateDescriptor<K, V>): MapState<K, V> {
    const i = this.slotOf(d, 'map');
    const current = () => this.scope.entry()?.slots[i] as Map<K, V> | undefined;
    return this.cached(d, () => ({
      get: (k: K) => current()?.get(k),
      has: (k: K) => current()?.has(k) ?? false,
      put: (k: K, v: V) => {
        const pk = d.mapKeyCodec.check?.(k);
        if (pk) this.refuse(i, d as AnyStateDescriptor, pk, 'map key');
        const pv = d.codec.check?.(v);
        if (pv) this.refuse(i, d as AnyStateDescriptor, pv, `map value at ${JSON.stringify(k)}`);
        const e = this.scope.ensureEntry();
        let m = e.slots[i] as Map<K, V> | undefined;
        if (!m) e.slots[i] = m = new Map();
        m.set(k, v);
      },
      delete: (k: K) => {
        const m = current();
        if (m?.delete(k) && m.size === 0) this.clearSlot(i);
      },
      entries: () => [...(current()?.entries() ?? [])],
      get size() {
        return current()?.size ?? 0;
      },
      clear: () => this.clearSlot(i),
    }));
  }

  reducing<T>(d: ReducingStateDescriptor<T>): ReducingState<T> {
    const i = this.slotOf(d, 'reducing');
    return this.cached(d, () => ({
      get: () => this.scope.entry()?.slots[i] as T | undefined,
      add: (v: T) => {
        const acc = this.scope.entry()?.slots[i] as T | undefined;
        const next = acc === undefined ? v : d.reduce(acc, v);
        const p = d.codec.check?.(next);
        if (p) this.refuse(i, d as AnyStateDescriptor, p);
        this.scope.ensureEntry().slots[i] = next;
      },
      clear: () => this.clearSlot(i),
    }));
  }
}
