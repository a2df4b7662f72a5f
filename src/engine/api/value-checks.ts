/**
 * The codecs' `check`: whether a value will encode, and if not, where it does not
 * fit. Cheap on the good path (Avro: avsc's own `isValid`; JSON: one walk that
 * allocates nothing); the field path is worked out only for a value that fails.
 */
import type avro from 'avsc';
import type { StateValueProblem } from './codecs.ts';

/** A short rendering of a value for a message. */
export function previewValue(v: unknown): string {
  let s: string;
  if (typeof v === 'bigint') s = `${v}n`;
  else if (typeof v === 'function') s = 'a function';
  else if (typeof v === 'symbol' || v === undefined) s = String(v);
  else {
    try {
      s = JSON.stringify(v) ?? String(v);
    } catch {
      s = Object.prototype.toString.call(v);
    }
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** An Avro type as a message names it: `double`, `Profile`, `["null","string"]`. */
function describeAvroType(t: avro.Type): string {
  if (t.name) return t.name;
  const tn = t.typeName;
  if (!tn.includes(':') && tn !== 'array' && tn !== 'map') return tn;
  const s = String(t);
  return s.length > 80 ? tn : s;
}

/** Where `value` does not fit `type` (called once `type.isValid(value)` said it does not). */
export function avroProblem(type: avro.Type, value: unknown): StateValueProblem {
  let found: StateValueProblem | undefined;
  type.isValid(value, {
    errorHook(path: string[], any: unknown, t: avro.Type) {
      found ??= { path: path.join('.'), expected: describeAvroType(t), actual: previewValue(any) };
    },
  });
  return found ?? { path: '', expected: describeAvroType(type), actual: previewValue(value) };
}

const TOO_DEEP = 64;
const JSON_VALUE = 'a JSON value (string, number, boolean, null, array or object)';

/**
 * Why `Buffer.from(JSON.stringify(value))` would throw: the value itself is
 * undefined, a function or a symbol (stringify gives undefined), or a bigint
 * somewhere in it, or a cycle. Lossy but working conversions (NaN to null, a Map
 * to {}) are JSON's own and are let through.
 */
export function checkJson(value: unknown): StateValueProblem | undefined {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return undefined;
    case 'object':
      if (value === null) return undefined;
      break;
    default:
      return { path: '', expected: JSON_VALUE, actual: previewValue(value) };
  }
  const inner = walk(value, 0);
  if (inner === undefined) return undefined;
  if (inner !== TOO_DEEP_MARK) return { path: inner.segments.reverse().join('.'), expected: inner.expected, actual: inner.actual };
  // Very deep (or a cycle): let stringify itself decide, once.
  try {
    JSON.stringify(value);
    return undefined;
  } catch (e) {
    return { path: '', expected: 'a JSON value without cycles', actual: e instanceof Error ? e.message : String(e) };
  }
}

interface Found {
  readonly segments: string[];
  readonly expected: string;
  readonly actual: string;
}
const TOO_DEEP_MARK = Object.freeze({ segments: [], expected: '', actual: '' }) as Found;

function checkChild(x: unknown, segment: string, depth: number): Found | undefined {
  if (x === null || typeof x !== 'object') {
    if (typeof x !== 'bigint') return undefined;
    return { segments: [segment], expected: 'a number (JSON has no bigint)', actual: previewValue(x) };
  }
  const r = walk(x, depth + 1);
  if (r !== undefined && r !== TOO_DEEP_MARK) r.segments.push(segment);
  return r;
}

function walk(v: object, depth: number): Found | undefined {
  // toJSON decides for itself (a Date becomes a string).
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return undefined;
  if (depth >= TOO_DEEP) return TOO_DEEP_MARK;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const r = checkChild(v[i], String(i), depth);
      if (r !== undefined) return r;
    }
    return undefined;
  }
  for (const k in v) {
    const r = checkChild((v as Record<string, unknown>)[k], k, depth);
    if (r !== undefined) return r;
  }
  return undefined;
}
