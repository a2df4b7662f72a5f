/**
 * Keyed state descriptors and the handles user code gets from `ctx.state`.
 * A descriptor names a state and its codec; operators declare their descriptors up
 * front (`states: [...]`) so `describeJob` and restore planning know them before any
 * record is read.
 */
import type { StateKind } from '../snapshot/model.ts';
import { codecOf, jsonCodec, type CodecOptions, type StateCodec } from './codecs.ts';

export type MapStateKey = string | number;

interface DescriptorBase<Kind extends StateKind> {
  readonly name: string;
  readonly kind: Kind;
}

export interface ValueStateDescriptor<T> extends DescriptorBase<'value'> {
  readonly codec: StateCodec<T>;
}
export interface ListStateDescriptor<T> extends DescriptorBase<'list'> {
  readonly codec: StateCodec<T>;
}
export interface MapStateDescriptor<K extends MapStateKey, V> extends DescriptorBase<'map'> {
  readonly codec: StateCodec<V>;
  readonly mapKeyCodec: StateCodec<K>;
}
export interface ReducingStateDescriptor<T> extends DescriptorBase<'reducing'> {
  readonly codec: StateCodec<T>;
  reduce(a: T, b: T): T;
}

export type AnyStateDescriptor =
  | ValueStateDescriptor<unknown>
  | ListStateDescriptor<unknown>
  | MapStateDescriptor<MapStateKey, unknown>
  | ReducingStateDescriptor<unknown>;

/** `{ codec }`, or `{ schema }`: JSON values with a declared Avro schema (checked on every update and on restore). */
export type StateOptions<T> = CodecOptions<T>;

const codecFor = <T>(name: string, o: StateOptions<T>): StateCodec<T> => codecOf(o, `state "${name}"`);

export const valueState = <T>(name: string, o: StateOptions<T> = {}): ValueStateDescriptor<T> => ({ name, kind: 'value', codec: codecFor(name, o) });
export const listState = <T>(name: string, o: StateOptions<T> = {}): ListStateDescriptor<T> => ({ name, kind: 'list', codec: codecFor(name, o) });
export const mapState = <K extends MapStateKey, V>(name: string, o: StateOptions<V> & { mapKeyCodec?: StateCodec<K> } = {}): MapStateDescriptor<K, V> => ({
  name,
  kind: 'map',
  codec: codecFor(name, o),
  mapKeyCodec: o.mapKeyCodec ?? jsonCodec<K>(),
});
export const reducingState = <T>(name: string, reduce: (a: T, b: T) => T, o: StateOptions<T> = {}): ReducingStateDescriptor<T> => ({
  name,
  kind: 'reducing',
  codec: codecFor(name, o),
  reduce,
});

export interface ValueState<T> {
  value(): T | undefined;
  update(value: T): void;
  clear(): void;
}
export interface ListState<T> {
  get(): readonly T[];
  add(value: T): void;
  update(values: readonly T[]): void;
  clear(): void;
}
export interface MapState<K extends MapStateKey, V> {
  get(key: K): V | undefined;
  put(key: K, value: V): void;
  has(key: K): boolean;
  delete(key: K): void;
  entries(): [K, V][];
  readonly size: number;
  clear(): void;
}
export interface ReducingState<T> {
  get(): T | undefined;
  add(value: T): void;
  clear(): void;
}

/** `ctx.state`: the current key's state, one handle per declared descriptor. */
export interface StateAccess {
  value<T>(d: ValueStateDescriptor<T>): ValueState<T>;
  list<T>(d: ListStateDescriptor<T>): ListState<T>;
  map<K extends MapStateKey, V>(d: MapStateDescriptor<K, V>): MapState<K, V>;
  reducing<T>(d: ReducingStateDescriptor<T>): ReducingState<T>;
}
