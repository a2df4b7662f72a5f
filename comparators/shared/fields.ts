import type { CompareRecord, FieldType } from '../types.ts';

/** Nested records are flattened to dotted paths down to this depth; deeper values count as one field. */
const MAX_DEPTH = 3;

const cache = new WeakMap<CompareRecord, ReadonlyMap<string, unknown>>();

/**
 * The record value's fields as dotted paths (`order.amount`). Several checks read
 * the same record, so the flattened view is computed once per record and shared;
 * the cache is weak, so it goes when the record does.
 */
export function fieldsOf(record: CompareRecord): ReadonlyMap<string, unknown> {
  let f = cache.get(record);
  if (!f) {
    const out = new Map<string, unknown>();
    if (isPlainObject(record.value)) flatten(record.value, '', out, 1);
    f = out;
    cache.set(record, f);
  }
  return f;
}

function flatten(obj: Record<string, unknown>, prefix: string, out: Map<string, unknown>, depth: number): void {
  for (const k of Object.keys(obj)) {
    const v = obj[k];
    const path = prefix ? `${prefix}.${k}` : k;
    if (depth < MAX_DEPTH && isPlainObject(v)) flatten(v, path, out, depth + 1);
    else out.set(path, v);
  }
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
}

/** A JSON value's type; integers and fractions are both `number`, because JSON cannot tell them apart. */
export function inferType(v: unknown): FieldType {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number' || typeof v === 'bigint') return 'number';
  if (typeof v === 'string') return 'string';
  if (Buffer.isBuffer(v)) return 'bytes';
  if (Array.isArray(v)) return 'array';
  return 'record';
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
