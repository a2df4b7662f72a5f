/**
 * Decoding and encoding state values by their descriptor's codec, for tools that
 * look inside state (inspect/read, the state processor). Pure.
 *
 * Encodings (the engine's contract for state bytes): Avro values are the plain Avro
 * binary encoding of the descriptor's schema (no registry header: the schema lives
 * in the savepoint); JSON values are UTF-8 JSON text (checked against the state's
 * declared schema, if it has one, when written).
 */
import avro from 'avsc';
import { SavepointFormatError } from '../../errors.ts';
import type { StateCodecSpec } from '../snapshot/model.ts';
import { checkJsonWithSchema } from '../api/json-schema.ts';

export interface ValueCodec {
  decode(bytes: Buffer): unknown;
  encode(value: unknown): Buffer;
}

function schemaType(schema: object, where: string): avro.Type {
  try {
    return avro.Type.forSchema(schema as avro.Schema);
  } catch (e) {
    throw new SavepointFormatError('STATE_BAD_SCHEMA', `The Avro schema of ${where} is invalid: ${e instanceof Error ? e.message : String(e)}.`, { hint: 'Fix the schema of the state descriptor.' });
  }
}

export function valueCodec(spec: StateCodecSpec, where: string): ValueCodec {
  if (spec.type === 'json') {
    const type = spec.schema === undefined ? undefined : schemaType(spec.schema, where);
    return {
      decode: (b) => JSON.parse(b.toString('utf8')) as unknown,
      encode: (v) => {
        const problem = type && checkJsonWithSchema(type, v);
        if (problem) {
          throw new SavepointFormatError('STATE_VALUE_INVALID', `A value for ${where} does not match its schema${problem.path ? ` at ${problem.path}` : ''}: expected ${problem.expected}, got ${problem.actual}.`, {
            hint: 'Make the transform return values of the target schema (or pass the new descriptor).',
          });
        }
        return Buffer.from(JSON.stringify(v) ?? 'null', 'utf8');
      },
    };
  }
  const type = schemaType(spec.schema, where);
  return {
    decode: (b) => type.fromBuffer(b) as unknown,
    encode: (v) => {
      if (!type.isValid(v)) {
        throw new SavepointFormatError('STATE_VALUE_INVALID', `A value for ${where} does not match its Avro schema: ${JSON.stringify(v)?.slice(0, 200)}.`, { hint: 'Make the transform return values of the target schema (or pass the new descriptor).' });
      }
      return type.toBuffer(v);
    },
  };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A key as people and NDJSON want it. The engine's canonical key bytes are JSON
 * text (src/engine/key.ts), so a key is shown as its JSON value; bytes that are not
 * JSON are shown as text when printable UTF-8, else as base64.
 */
export function keyForm(key: Buffer): { key: unknown } | { keyText: string } | { keyBase64: string } {
  let s: string;
  try {
    s = utf8.decode(key);
  } catch {
    return { keyBase64: key.toString('base64') };
  }
  try {
    return { key: JSON.parse(s) as unknown };
  } catch {
    // not JSON: text or base64 below
  }
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u0008\u000e-\u001f\u007f]/.test(s) ? { keyBase64: key.toString('base64') } : { keyText: s };
}

/** JSON.stringify that keeps Avro's bytes/longs readable (Buffers as base64, bigints as strings). */
export function toJsonLine(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (v && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data)) return Buffer.from((v as { data: number[] }).data).toString('base64');
    return v;
  });
}
