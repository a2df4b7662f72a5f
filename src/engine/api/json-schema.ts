/**
 * JSON state with a declared schema: an Avro schema describing the JSON values of a
 * state (the values are still stored as JSON text). The schema lets restore planning
 * apply Avro's evolution rules to JSON state, lets keyed state refuse a value that
 * does not match it, and lets a restore read values saved under an older schema:
 * `conformJson` fills a new field with its default and drops a removed one.
 */
import avro from 'avsc';
import { JobDefinitionError, describeUnknown } from '../../errors.ts';
import type { StateValueProblem } from './codecs.ts';
import { avroProblem, checkJson, previewValue } from './value-checks.ts';

const NOT_JSON = new Set(['bytes', 'fixed']);

/** The avsc type of a JSON state's declared schema; refuses a schema that is not Avro or whose values JSON cannot hold. */
export function jsonStateType(schema: object): avro.Type {
  let type: avro.Type;
  try {
    type = avro.Type.forSchema(schema as avro.Schema);
  } catch (e) {
    throw new JobDefinitionError('STATE_BAD_SCHEMA', `A JSON state's schema is not a valid Avro schema: ${describeUnknown(e)}.`, {
      hint: 'Declare the shape of the state values as an Avro schema, e.g. { type: "record", name: "Count", fields: [{ name: "count", type: "long" }] }.',
    });
  }
  const bad = new Set<string>();
  const seen = new Set<avro.Type>();
  const walk = (t: avro.Type): void => {
    if (seen.has(t)) return;
    seen.add(t);
    if (NOT_JSON.has(t.typeName)) bad.add(t.typeName);
    if (t instanceof avro.types.RecordType) for (const f of t.fields) walk(f.type);
    else if (t instanceof avro.types.ArrayType) walk(t.itemsType);
    else if (t instanceof avro.types.MapType) walk(t.valuesType);
    else if (t instanceof avro.types.UnwrappedUnionType || t instanceof avro.types.WrappedUnionType) for (const b of t.types) walk(b);
  };
  walk(type);
  if (bad.size > 0) {
    throw new JobDefinitionError('STATE_BAD_SCHEMA', `A JSON state's schema uses ${[...bad].join(' and ')}, which JSON text cannot hold.`, { hint: 'Use string (e.g. base64) in a JSON state, or an Avro codec (avroCodec) for binary values.' });
  }
  return type;
}

/** The first field of a record value its schema does not declare (JSON text would keep it, unchecked). */
function undeclared(type: avro.Type, value: unknown, path: string[]): StateValueProblem | undefined {
  if (!(type instanceof avro.types.RecordType) || value === null || typeof value !== 'object') return undefined;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const f = type.fields.find((x) => x.name === k);
    if (!f) return { path: [...path, k].join('.'), expected: `no field "${k}" (the schema ${type.name ?? 'record'} does not declare it)`, actual: previewValue(v) };
    const inner = undeclared(f.type, v, [...path, k]);
    if (inner) return inner;
  }
  return undefined;
}

/** Whether a value fits a JSON state's schema: JSON-encodable, valid Avro, no field the schema does not declare. */
export function checkJsonWithSchema(type: avro.Type, value: unknown): StateValueProblem | undefined {
  const json = checkJson(value);
  if (json) return json;
  if (type.isValid(value, { noUndeclaredFields: true })) return undefined;
  if (!type.isValid(value)) return avroProblem(type, value);
  return undeclared(type, value, []) ?? avroProblem(type, value);
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Reads a JSON value saved under another (or no) schema as `type`: a record gets each
 * field the new schema has (by name or alias), a missing one its default, and loses
 * fields the new schema no longer has. Values are not converted otherwise: JSON has
 * one number type, so Avro's widenings (int → long → float → double) need nothing.
 * Restore planning has already refused what cannot be read this way.
 */
export function conformJson(type: avro.Type, value: unknown): unknown {
  if (type instanceof avro.types.RecordType) {
    if (!isPlainObject(value)) return value;
    const out: Record<string, unknown> = {};
    for (const f of type.fields) {
      const name = [f.name, ...(f.aliases ?? [])].find((n) => value[n] !== undefined);
      if (name !== undefined) out[f.name] = conformJson(f.type, value[name]);
      else {
        const d: unknown = f.defaultValue();
        if (d !== undefined) out[f.name] = d;
      }
    }
    return out;
  }
  if (type instanceof avro.types.ArrayType) return Array.isArray(value) ? value.map((v) => conformJson(type.itemsType, v)) : value;
  if (type instanceof avro.types.MapType) return isPlainObject(value) ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, conformJson(type.valuesType, v)])) : value;
  if (type instanceof avro.types.UnwrappedUnionType) {
    if (value === null) return value;
    for (const b of type.types) {
      if (b.typeName === 'null') continue;
      const c = conformJson(b, value);
      if (b.isValid(c)) return c;
    }
  }
  return value;
}
