/**
 * Compatibility of one state descriptor across versions, by Avro schema resolution
 * (the writer is the savepoint's schema, the reader the new job's). Pure.
 *
 * A new field with a default and a removed field resolve; a changed type does not,
 * and the answer names the field. JSON-codec states carry no schema, so they are
 * compatible exactly when the codec stays JSON.
 */
import avro from 'avsc';
import type { StateCodecSpec } from '../snapshot/model.ts';

export type CodecCompat =
  | { readonly ok: true; readonly identical: boolean }
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

const MIGRATE = 'or migrate the saved state with the state processor (transformState) and restore from the migrated savepoint';

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

/** Can values written with `saved` be read as `next`? */
export function checkCodecCompat(saved: StateCodecSpec, next: StateCodecSpec): CodecCompat {
  if (saved.type !== next.type) {
    return { ok: false, code: 'CODEC_CHANGED', reason: `its codec changed from ${saved.type} to ${next.type}`, fix: `keep the ${saved.type} codec, ${MIGRATE}` };
  }
  if (saved.type === 'json' || next.type === 'json') return { ok: true, identical: true };
  const writer = parse(saved.schema);
  const reader = parse(next.schema);
  if (typeof writer === 'string') return { ok: false, code: 'INVALID_SCHEMA', reason: `the saved Avro schema is invalid (${writer})`, fix: 'the savepoint is damaged or was written by a broken engine; restore from another savepoint' };
  if (typeof reader === 'string') return { ok: false, code: 'INVALID_SCHEMA', reason: `the new Avro schema is invalid (${reader})`, fix: 'fix the state schema in the new job' };
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
