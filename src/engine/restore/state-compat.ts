/**
 * Compatibility of one state descriptor across versions, by Avro schema resolution
 * (the writer is the savepoint's schema, the reader the new job's). Pure.
 *
 * A new field with a default and a removed field resolve; a changed type does not,
 * and the answer names the field. A JSON state that declares its schema (an Avro
 * schema of its JSON values) is judged by the same rules; one without a schema on
 * either side cannot be judged: it is compatible but `unchecked`, with the reason,
 * never called identical.
 */
import avro from 'avsc';
import type { StateCodecSpec } from '../snapshot/model.ts';

export type CodecCompat =
  | { readonly ok: true; readonly identical: boolean; readonly unchecked?: string }
  | { readonly ok: false; readonly code: string; readonly field?: string; readonly reason: string; readonly fix: string };

type AvroType = avro.Type;

function label(t: AvroType): string {
  const name = (t as { name?: string }).name;
  const schema = t.schema();
  const s = name ?? (typeof schema === 'string' ? schema : JSON.stringify(schema));
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function resolves(reader: AvroType, writer: AvroType): boolean {
  try {
    reader.createResolver(writer);
    return true;
  } catch {
    return false;
  }
}

interface Culprit {
  readonly code: string;
  readonly field: string;
  readonly reason: string;
  readonly fix: string;
}

const MIGRATE = 'or migrate the saved state with the state processor (transformSavepoint) and restore from the migrated savepoint';

/** Walks matching records to find the first field that does not resolve. */
function findCulprit(reader: AvroType, writer: AvroType, path: string): Culprit | undefined {
  if (reader.typeName !== 'record' || writer.typeName !== 'record') return undefined;
  const rFields = (reader as avro.types.RecordType).fields;
  const wFields = (writer as avro.types.RecordType).fields;
  for (const rf of rFields) {
    const wf = wFields.find((f) => f.name === rf.name || (rf.aliases ?? []).includes(f.name));
    const name = path ? `${path}.${rf.name}` : rf.name;
    if (!wf) {
      if (rf.defaultValue() === undefined) {
        return { code: 'NEW_FIELD_WITHOUT_DEFAULT', field: name, reason: `new field "${name}" has no default, so saved values cannot fill it`, fix: `give field "${name}" a default in the new schema, ${MIGRATE}` };
      }
      continue;
    }
    if (!resolves(rf.type, wf.type)) {
      return findCulprit(rf.type, wf.type, name) ?? {
        code: 'STATE_TYPE_CHANGED',
        field: name,
        reason: `field "${name}" changed type from ${label(wf.type)} to ${label(rf.type)}, which Avro cannot resolve`,
        fix: `keep field "${name}" as ${label(wf.type)} (or a type Avro promotes it to), ${MIGRATE}`,
      };
    }
  }
  return undefined;
}

function parse(schema: object | string): AvroType | string {
  try {
    return avro.Type.forSchema(schema as avro.Schema);
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

const NO_SAVED_SCHEMA = 'the savepoint holds no schema for this JSON state (it was written without one), so its values cannot be checked against the new schema; they are read as saved, a missing field with a declared default gets the default';
const NO_NEW_SCHEMA = 'the new job declares no schema for this JSON state, so a change of its values\' shape cannot be checked; declare one ({ schema } on the state, reduce or aggregate: an Avro schema of its JSON values)';
const NO_SCHEMA = 'this JSON state declares no schema in either version, so a change of its values\' shape cannot be checked; declare one ({ schema } on the state, reduce or aggregate: an Avro schema of its JSON values)';

/** Can values written with `saved` be read as `next`? */
export function checkCodecCompat(saved: StateCodecSpec, next: StateCodecSpec): CodecCompat {
  if (saved.type !== next.type) {
    return { ok: false, code: 'CODEC_CHANGED', reason: `its codec changed from ${saved.type} to ${next.type}`, fix: `keep the ${saved.type} codec, ${MIGRATE}` };
  }
  if (saved.schema === undefined || next.schema === undefined) {
    const unchecked = saved.schema === undefined ? (next.schema === undefined ? NO_SCHEMA : NO_SAVED_SCHEMA) : NO_NEW_SCHEMA;
    return { ok: true, identical: false, unchecked };
  }
  return checkSchemaCompat(saved.schema, next.schema);
}

/** Can values of Avro schema `saved` be read as Avro schema `next` (same rules for Avro-coded and schema'd JSON state)? */
export function checkSchemaCompat(saved: object, next: object): CodecCompat {
  const writer = parse(saved);
  const reader = parse(next);
  if (typeof writer === 'string') return { ok: false, code: 'INVALID_SCHEMA', reason: `the saved schema is invalid (${writer})`, fix: 'the savepoint is damaged or was written by a broken engine; restore from another savepoint' };
  if (typeof reader === 'string') return { ok: false, code: 'INVALID_SCHEMA', reason: `the new schema is invalid (${reader})`, fix: 'fix the state schema in the new job' };
  if (resolves(reader, writer)) return { ok: true, identical: reader.equals(writer) };
  const culprit = findCulprit(reader, writer, '');
  if (culprit) return { ok: false, ...culprit };
  return {
    ok: false,
    code: 'STATE_TYPE_CHANGED',
    reason: `its type changed from ${label(writer)} to ${label(reader)}, which Avro cannot resolve`,
    fix: `keep the type ${label(writer)} (or one Avro promotes it to), ${MIGRATE}`,
  };
}
