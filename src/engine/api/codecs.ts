/**
 * State codecs: how state values become bytes in a snapshot. A codec's `spec` is
 * stored in the savepoint, so a restore can check compatibility before reading data
 * (design.md §3–§4). Avro codecs decode older snapshots by Avro schema resolution
 * (a new field with a default is filled in).
 */
import avro from 'avsc';
import type { StateCodecSpec } from '../snapshot/model.ts';
import { SavepointFormatError, describeUnknown } from '../../errors.ts';

export interface StateCodec<T> {
  readonly spec: StateCodecSpec;
  encode(value: T): Buffer;
  /** Decodes bytes written with `writer` (this codec's own spec when absent). */
  decode(bytes: Buffer, writer?: StateCodecSpec): T;
}

export function jsonCodec<T>(): StateCodec<T> {
  return {
    spec: { type: 'json' },
    encode: (value) => Buffer.from(JSON.stringify(value)),
    decode: (bytes) => JSON.parse(bytes.toString('utf8')) as T,
  };
}

export function avroCodec<T>(schema: object): StateCodec<T> {
  const type = avro.Type.forSchema(schema as avro.Schema);
  type Resolver = ReturnType<avro.Type['createResolver']>;
  const resolvers = new Map<string, Resolver>();
  return {
    spec: { type: 'avro', schema },
    encode: (value) => type.toBuffer(value),
    decode(bytes, writer) {
      if (!writer || writer.type !== 'avro' || JSON.stringify(writer.schema) === JSON.stringify(schema)) return type.fromBuffer(bytes) as T;
      const id = JSON.stringify(writer.schema);
      let resolver = resolvers.get(id);
      if (!resolver) {
        try {
          resolver = type.createResolver(avro.Type.forSchema(writer.schema as avro.Schema));
        } catch (e) {
          throw new SavepointFormatError('STATE_SCHEMA_UNRESOLVABLE', `State written with an incompatible Avro schema: ${describeUnknown(e)}`, {
            hint: 'Give new fields a default, or restore with --allow-non-restored-state and rebuild this state.',
          });
        }
        resolvers.set(id, resolver);
      }
      return type.fromBuffer(bytes, resolver) as T;
    },
  };
}
