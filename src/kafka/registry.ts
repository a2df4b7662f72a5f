import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { KafkaError, describeUnknown } from '../errors.ts';

export interface RegistryConfig {
  readonly url: string;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
}

export interface CompatibilityVerdict {
  readonly compatible: boolean;
  readonly messages: readonly string[];
}

/** The schema registry, spoken to with the Confluent REST protocol. */
export interface SchemaRegistryPort {
  readonly url: string;
  /** Registers (or finds) an Avro schema under a subject; returns its global id. */
  registerAvro(subject: string, schema: object): Promise<number>;
  /** The Avro schema (as JSON) stored under a global id. */
  schemaById(id: number): Promise<object>;
  latest(subject: string): Promise<{ id: number; version: number; schema: object } | undefined>;
  subjects(): Promise<string[]>;
  /** The registry's verdict on `schema` against the latest version of `subject`. */
  checkCompatibility(subject: string, schema: object): Promise<CompatibilityVerdict>;
  /** Confluent wire format: magic 0, 4-byte schema id, Avro binary. */
  encode(id: number, value: unknown): Promise<Buffer>;
  decode(buffer: Buffer): Promise<unknown>;
  deleteSubject(subject: string): Promise<void>;
}

const JSON_TYPE = 'application/vnd.schemaregistry.v1+json';

export function createSchemaRegistry(config: RegistryConfig): SchemaRegistryPort {
  const base = config.url.replace(/\/+$/, '');
  const auth = config.username ? { username: config.username, password: config.password ?? '' } : undefined;
  const client = new SchemaRegistry({ host: base, ...(auth ? { auth } : {}) });
  const headers: Record<string, string> = { 'Content-Type': JSON_TYPE, Accept: JSON_TYPE };
  if (auth) headers.Authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;

  const fail = (e: unknown, action: string) =>
    e instanceof KafkaError
      ? e
      : new KafkaError('REGISTRY_ERROR', `The schema registry at ${base} failed to ${action}: ${describeUnknown(e)}`, {
          retriable: /ECONNREFUSED|fetch failed|socket/i.test(describeUnknown(e)),
          cause: e,
          hint: 'Check SCHEMA_REGISTRY_URL (for the local one: `pitlane dev up --registry`).',
        });

  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    } catch (e) {
      throw fail(e, `${method} ${path}`);
    }
    const text = await res.text();
    let json: unknown = undefined;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = text;
    }
    return { status: res.status, json };
  }

  return {
    url: base,
    async registerAvro(subject, schema) {
      try {
        const { id } = await client.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject });
        return id;
      } catch (e) {
        throw fail(e, `register a schema under ${subject}`);
      }
    },
    async schemaById(id) {
      const { status, json } = await call('GET', `/schemas/ids/${id}`);
      if (status !== 200) throw fail(new Error(`HTTP ${status}: ${JSON.stringify(json)}`), `fetch schema ${id}`);
      return JSON.parse((json as { schema: string }).schema) as object;
    },
    async latest(subject) {
      const { status, json } = await call('GET', `/subjects/${encodeURIComponent(subject)}/versions/latest`);
      if (status === 404) return undefined;
      if (status !== 200) throw fail(new Error(`HTTP ${status}: ${JSON.stringify(json)}`), `read ${subject}`);
      const j = json as { id: number; version: number; schema: string };
      return { id: j.id, version: j.version, schema: JSON.parse(j.schema) as object };
    },
    async subjects() {
      const { status, json } = await call('GET', '/subjects');
      if (status !== 200) throw fail(new Error(`HTTP ${status}`), 'list subjects');
      return json as string[];
    },
    async checkCompatibility(subject, schema) {
      const { status, json } = await call('POST', `/compatibility/subjects/${encodeURIComponent(subject)}/versions/latest?verbose=true`, {
        schema: JSON.stringify(schema),
        schemaType: 'AVRO',
      });
      if (status === 404) return { compatible: true, messages: [`subject ${subject} has no version yet`] };
      if (status !== 200) throw fail(new Error(`HTTP ${status}: ${JSON.stringify(json)}`), `check compatibility against ${subject}`);
      const j = json as { is_compatible: boolean; messages?: string[] };
      return { compatible: j.is_compatible, messages: j.messages ?? [] };
    },
    async encode(id, value) {
      try {
        return await client.encode(id, value);
      } catch (e) {
        throw fail(e, `encode a record with schema ${id}`);
      }
    },
    async decode(buffer) {
      return client.decode(buffer);
    },
    async deleteSubject(subject) {
      const { status } = await call('DELETE', `/subjects/${encodeURIComponent(subject)}`);
      if (status !== 200 && status !== 404) throw fail(new Error(`HTTP ${status}`), `delete subject ${subject}`);
      await call('DELETE', `/subjects/${encodeURIComponent(subject)}?permanent=true`);
    },
  };
}
