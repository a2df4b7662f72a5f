/**
 * `ctx.state`: handles bound to the operator's current key. Each declared descriptor
 * owns one slot in the key's entry; a handle reads the slot and creates the entry
 * only on write, and drops the key once all its state is cleared.
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
import type { KeyEntry } from './store.ts';

export interface KeyScope {
  entry(): KeyEntry | undefined;
  ensureEntry(): KeyEntry;
  releaseIfEmpty(): void;
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
        if (v === undefined) this.clearSlot(i);
        else this.scope.ensureEntry().slots[i] = v;
      },
      clear: () => this.clearSlot(i),
    }));
  }

  list<T>(d: ListStateDescriptor<T>): ListState<T> {
    const i = this.slotOf(d, 'list');
    return this.cached(d, () => ({
      get: () => (this.scope.entry()?.slots[i] as T[] | undefined) ?? [],
      add: (v: T) => {
        const e = this.scope.ensureEntry();
        const list = e.slots[i] as T[] | undefined;
        if (list) list.push(v);
        else e.slots[i] = [v];
      },
      update: (vs: readonly T[]) => {
        if (vs.length === 0) this.clearSlot(i);
        else this.scope.ensureEntry().slots[i] = [...vs];
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
        const e = this.scope.ensureEntry();
        const acc = e.slots[i] as T | undefined;
        e.slots[i] = acc === undefined ? v : d.reduce(acc, v);
      },
      clear: () => this.clearSlot(i),
    }));
  }
}
