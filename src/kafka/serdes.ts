import { SerdeError, describeUnknown } from '../errors.ts';
import type { SchemaRegistryPort } from './registry.ts';

export type Format = 'json' | 'avro';

/** Turns values into record bytes and back. Decoding failures are SerdeErrors, never crashes. */
export interface Serde<T = unknown> {
  readonly format: Format;
  serialize(value: T): Promise<Buffer>;
  deserialize(bytes: Buffer): Promise<T>;
}

export function jsonSerde<T = unknown>(): Serde<T> {
  return {
    format: 'json',
    serialize: async (value) => Buffer.from(JSON.stringify(value)),
    deserialize: async (bytes) => {
      try {
        return JSON.parse(bytes.toString('utf8')) as T;
      } catch (e) {
        throw new SerdeError('SERDE_DECODE_FAILED', `Record is not valid JSON: ${describeUnknown(e)} (first bytes: ${preview(bytes)})`, {
          hint: 'The producer may write another format (Avro?); set the format of this topic accordingly.',
        });
      }
    },
  };
}

export interface AvroSerdeOptions {
  readonly subject: string;
  /** The writer schema for serialize; registered under the subject on first use. Decoding needs none. */
  readonly schema?: object;
}

/** Avro in the Confluent wire format (magic byte 0, 4-byte schema id, Avro binary), through the registry. */
export function avroSerde<T = unknown>(registry: SchemaRegistryPort, options: AvroSerdeOptions): Serde<T> {
  let id: Promise<number> | undefined;
  return {
    format: 'avro',
    async serialize(value) {
      if (!options.schema) {
        throw new SerdeError('SERDE_NO_SCHEMA', `No Avro schema was given for subject ${options.subject}; cannot write records.`, {
          hint: 'Give the writer schema in the sink or spec.',
        });
      }
      id ??= registry.registerAvro(options.subject, options.schema);
      try {
        return await registry.encode(await id, value);
      } catch (e) {
        throw new SerdeError('SERDE_ENCODE_FAILED', `Value does not match the Avro schema of ${options.subject}: ${describeUnknown(e)}`, {
          hint: 'Check the record against the schema (missing field? wrong type?).',
          cause: e,
        });
      }
    },
    async deserialize(bytes) {
      if (bytes.length < 5 || bytes[0] !== 0) {
        throw new SerdeError('SERDE_DECODE_FAILED', `Record is not in the Confluent Avro wire format (magic byte ${bytes[0] ?? 'missing'}, ${bytes.length} bytes: ${preview(bytes)}).`, {
          hint: 'The producer may write plain JSON or Avro without the registry framing; set the topic\'s format accordingly.',
        });
      }
      try {
        return toPlain(await registry.decode(bytes)) as T;
      } catch (e) {
        throw new SerdeError('SERDE_DECODE_FAILED', `Avro record with schema id ${bytes.readUInt32BE(1)} could not be decoded: ${describeUnknown(e)}`, {
          hint: 'Is the schema id registered in this registry? Is the registry the one the producer used?',
          cause: e,
        });
      }
    },
  };
}

/**
 * avsc decodes records into instances of generated classes; callers (checks,
 * comparisons, user jobs) expect plain objects that compare and serialize as data.
 */
export function toPlain(v: unknown): unknown {
  if (v === null || typeof v !== 'object' || Buffer.isBuffer(v)) return v;
  if (Array.isArray(v)) return v.map(toPlain);
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [k, toPlain(x)]));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = toPlain(x);
  return out;
}

function preview(bytes: Buffer): string {
  return JSON.stringify(bytes.subarray(0, 16).toString('latin1'));
}
