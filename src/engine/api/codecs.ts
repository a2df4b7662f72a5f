/**
 * State codecs: how state values become bytes in a snapshot. A codec's `spec` is
 * stored in the savepoint, so a restore can check compatibility before reading data
 * (design.md §3–§4). Avro codecs decode older snapshots by Avro schema resolution
 * (a new field with a default is filled in).
 */
import avro from 'avsc';
import type { StateCodecSpec } from '../snapshot/model.ts';
import { JobDefinitionError, SavepointFormatError, describeUnknown } from '../../errors.ts';
import { avroProblem, checkJson } from './value-checks.ts';
import { checkJsonWithSchema, conformJson, jsonStateType } from './json-schema.ts';

/** Why a value does not fit a codec: where in it (`total`, `tags.1`; '' for the value itself), what was expected there, what was found. */
export interface StateValueProblem {
  readonly path: string;
  readonly expected: string;
  readonly actual: string;
}

export interface StateCodec<T> {
  readonly spec: StateCodecSpec;
  /**
   * Whether `encode` will take this value, without encoding it: undefined when it
   * will, else what is wrong. Keyed state calls it on every update, so a value that
   * cannot be snapshotted is refused with the record that caused it instead of
   * failing the next checkpoint. A codec without it is checked only at snapshots.
   */
  check?(value: T): StateValueProblem | undefined;
  encode(value: T): Buffer;
  /** Decodes bytes written with `writer` (this codec's own spec when absent). */
  decode(bytes: Buffer, writer?: StateCodecSpec): T;
}

export interface JsonCodecOptions {
  /**
   * The shape of the values, as an Avro schema (the values stay JSON text). With it,
   * every update is checked against the schema, the savepoint keeps the schema, and
   * restore planning applies Avro's evolution rules to this state (a new field needs
   * a default, a removed field is dropped, a type change is refused unless Avro
   * promotes it). Without it, the state is restored as saved and reported unchecked.
   */
  readonly schema?: object;
}

export function jsonCodec<T>(options: JsonCodecOptions = {}): StateCodec<T> {
  const encode = (value: T): Buffer => Buffer.from(JSON.stringify(value));
  const parse = (bytes: Buffer): T => JSON.parse(bytes.toString('utf8')) as T;
  if (options.schema === undefined) return { spec: { type: 'json' }, check: checkJson, encode, decode: parse };
  const schema = options.schema;
  const type = jsonStateType(schema);
  const own = JSON.stringify(schema);
  // Whether a writer spec is this codec's own schema, by identity (a restore passes one spec object per state).
  const sameAsOwn = new WeakMap<StateCodecSpec, boolean>();
  return {
    spec: { type: 'json', schema },
    check: (value) => checkJsonWithSchema(type, value),
    encode,
    decode(bytes, writer) {
      const value = parse(bytes);
      if (writer === undefined) return value;
      let same = sameAsOwn.get(writer);
      if (same === undefined) sameAsOwn.set(writer, (same = writer.type === 'json' && writer.schema !== undefined && JSON.stringify(writer.schema) === own));
      return same ? value : (conformJson(type, value) as T);
    },
  };
}

/** A state's codec options: a codec, or a schema for the default JSON codec (`{ schema }` = `{ codec: jsonCodec({ schema }) }`). */
export interface CodecOptions<T> {
  readonly codec?: StateCodec<T>;
  /** An Avro schema of the state's JSON values (see JsonCodecOptions.schema). */
  readonly schema?: object;
}

/** The codec `options` ask for: their codec, else JSON with their schema. Both at once is a definition error. */
export function codecOf<T>(options: CodecOptions<T>, where: string): StateCodec<T> {
  if (options.codec !== undefined && options.schema !== undefined) {
    throw new JobDefinitionError('STATE_CODEC_AND_SCHEMA', `${where} has both a codec and a schema.`, { hint: 'Pass { schema } for JSON state with a schema, or { codec } alone (avroCodec(schema) carries its own schema).' });
  }
  return options.codec ?? jsonCodec<T>(options.schema !== undefined ? { schema: options.schema } : {});
}

export function avroCodec<T>(schema: object): StateCodec<T> {
  const type = avro.Type.forSchema(schema as avro.Schema);
  type Resolver = ReturnType<avro.Type['createResolver']>;
  const own = JSON.stringify(schema);
  // null: the writer schema is this codec's own, no resolution needed.
  const resolvers = new Map<string, Resolver | null>();
  // A restore decodes every value of a state with the same writer spec object: looking
  // it up by identity spares a JSON.stringify of the schema per value (a million of
  // them in a large restore).
  const byWriter = new WeakMap<StateCodecSpec, Resolver | null>();
  const resolverFor = (writer: StateCodecSpec & { type: 'avro' }): Resolver | null => {
    const known = byWriter.get(writer);
    if (known !== undefined) return known;
    const id = JSON.stringify(writer.schema);
    let resolver = id === own ? null : resolvers.get(id);
    if (resolver === undefined) {
      try {
        resolver = type.createResolver(avro.Type.forSchema(writer.schema as avro.Schema));
      } catch (e) {
        throw new SavepointFormatError('STATE_SCHEMA_UNRESOLVABLE', `State written with an incompatible Avro schema: ${describeUnknown(e)}`, {
          hint: 'Give new fields a default, or restore with --allow-non-restored-state and rebuild this state.',
        });
      }
      resolvers.set(id, resolver);
    }
    byWriter.set(writer, resolver);
    return resolver;
  };
  return {
    spec: { type: 'avro', schema },
    check: (value) => (type.isValid(value) ? undefined : avroProblem(type, value)),
    encode: (value) => type.toBuffer(value),
    decode(bytes, writer) {
      const resolver = writer && writer.type === 'avro' ? resolverFor(writer) : null;
      return (resolver ? type.fromBuffer(bytes, resolver) : type.fromBuffer(bytes)) as T;
    },
  };
}
