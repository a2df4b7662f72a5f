import type { CompareRecord, FieldType, Side } from '../types.ts';

/** Nested records are flattened to dotted paths down to this depth; deeper values count as one field. */
const MAX_DEPTH = 3;

/**
 * The field paths of a record value, in order. Records of one producer share a
 * few shapes, so shapes are interned: checks look up their per-field state once
 * per shape and then work by position, instead of by name on every record.
 */
export interface Shape {
  readonly id: number;
  readonly paths: readonly string[];
}

/** A record value flattened to dotted paths (`order.amount`): its shape and the values by position. */
export interface FieldView {
  readonly shape: Shape;
  readonly values: readonly unknown[];
}

/** Interned shapes are bounded; past this, new shapes are still correct but no longer shared. */
const MAX_SHAPES = 4096;
const shapes = new Map<string, Shape>();
let lastShape: Shape = { id: 0, paths: [] };
let nextId = 1;
/** The paths of the value being flattened: the first `scratchLength` (reset by index, not by setting length). */
const scratch: string[] = [];
let scratchLength = 0;

/** Child path names per parent path, so nested paths are not concatenated on every record. */
const childPaths = new Map<string, Map<string, string>>();

const EMPTY: FieldView = { shape: { id: 0, paths: [] }, values: [] };
const cache = new WeakMap<CompareRecord, FieldView>();

/**
 * The flattened view of a record: the one computed when the record was decoded,
 * or (for records built by hand) computed once and kept while the record lives.
 */
export function fieldsOf(record: CompareRecord): FieldView {
  if (record.fields) return record.fields;
  let f = cache.get(record);
  if (!f) cache.set(record, (f = viewOf(record.value)));
  return f;
}

/** Flattens a decoded value once; every check reads the same view. */
export function viewOf(value: unknown): FieldView {
  if (!isPlainObject(value)) return EMPTY;
  scratchLength = 0;
  const values: unknown[] = [];
  flatten(value, '', values, 1);
  return { shape: intern(scratch, scratchLength), values };
}

/** Whether for-in over an object whose prototype is Object.prototype sees only its own properties. */
const cleanPrototype = (() => {
  for (const _ in {}) return false;
  return true;
})();

function flatten(obj: Record<string, unknown>, prefix: string, values: unknown[], depth: number): void {
  const names = prefix ? childNames(prefix) : undefined;
  // Decoded JSON is plain; Avro records are class instances with enumerable methods.
  const ownOnly = cleanPrototype && Object.getPrototypeOf(obj) === Object.prototype;
  for (const k in obj) {
    if (!ownOnly && !Object.hasOwn(obj, k)) continue;
    const v = obj[k];
    let path = k;
    if (names) {
      const known = names.get(k);
      if (known === undefined) names.set(k, (path = `${prefix}.${k}`));
      else path = known;
    }
    if (depth < MAX_DEPTH && isPlainObject(v)) flatten(v, path, values, depth + 1);
    else {
      scratch[scratchLength++] = path;
      values.push(v);
    }
  }
}

function childNames(prefix: string): Map<string, string> {
  let m = childPaths.get(prefix);
  if (!m) {
    m = new Map();
    if (childPaths.size < MAX_SHAPES) childPaths.set(prefix, m);
  }
  return m;
}

function intern(scratchPaths: readonly string[], length: number): Shape {
  const last = lastShape.paths;
  if (last.length === length) {
    let same = true;
    for (let i = 0; i < length; i++) {
      if (last[i] !== scratchPaths[i]) {
        same = false;
        break;
      }
    }
    if (same) return lastShape;
  }
  const paths = scratchPaths.slice(0, length);
  const id = paths.join('\u0000');
  let s = shapes.get(id);
  if (!s) {
    s = { id: nextId++, paths };
    if (shapes.size < MAX_SHAPES) shapes.set(id, s);
  }
  lastShape = s;
  return s;
}

/**
 * Per-shape slots of one check and window: slot i holds the check's state for
 * path i of the shape. `resolve` builds the slots of a shape once.
 */
export class ShapeSlots<T> {
  private lastShape: Shape | undefined;
  private lastSlots: T[] = [];
  private readonly byShape = new Map<Shape, T[]>();

  constructor(private readonly resolve: (path: string) => T) {}

  of(shape: Shape): T[] {
    if (shape === this.lastShape) return this.lastSlots;
    let slots = this.byShape.get(shape);
    if (!slots) this.byShape.set(shape, (slots = shape.paths.map(this.resolve)));
    this.lastShape = shape;
    this.lastSlots = slots;
    return slots;
  }
}

/**
 * A check's per-field state of one window on both sides: `byPath` holds it by
 * field path, created on a path's first sight through `slots`; `make` returns
 * null for a path the check ignores (nothing is stored for it).
 */
export function sidePathState<T>(make: (path: string) => T | null): { byPath: Record<Side, Map<string, T>>; slots: Record<Side, ShapeSlots<T | null>> } {
  const byPath: Record<Side, Map<string, T>> = { a: new Map(), b: new Map() };
  const slotsOf = (side: Side) =>
    new ShapeSlots<T | null>((path) => {
      const known = byPath[side].get(path);
      if (known !== undefined) return known;
      const made = make(path);
      if (made !== null) byPath[side].set(path, made);
      return made;
    });
  return { byPath, slots: { a: slotsOf('a'), b: slotsOf('b') } };
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
}

/** Field name → type for the top level of an Avro record schema (unions of null and T read as T?). */
export function avroFields(schema: unknown, prefix = '', out: Record<string, FieldType> = {}, depth = 1): Record<string, FieldType> {
  if (!isPlainObject(schema) || !Array.isArray(schema.fields)) return out;
  for (const f of schema.fields as unknown[]) {
    if (!isPlainObject(f) || typeof f.name !== 'string') continue;
    const path = prefix ? `${prefix}.${f.name}` : f.name;
    const t = avroType(f.type);
    if (depth < MAX_DEPTH && isPlainObject(f.type) && f.type.type === 'record') avroFields(f.type, path, out, depth + 1);
    else out[path] = t;
  }
  return out;
}

function avroType(t: unknown): FieldType {
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) {
    const branches = t.map(avroType);
    const nonNull = branches.filter((b) => b !== 'null');
    return nonNull.length === 1 && branches.length === 2 ? `${nonNull[0]}?` : branches.join('|');
  }
  if (isPlainObject(t)) {
    if (typeof t.logicalType === 'string') return `${String(t.type)}:${t.logicalType}`;
    return typeof t.type === 'string' ? t.type : 'unknown';
  }
  return 'unknown';
}
