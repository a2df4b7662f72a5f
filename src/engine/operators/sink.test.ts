import { test } from 'node:test';
import assert from 'node:assert/strict';
import avro from 'avsc';
import { JobDefinitionError, SerdeError, isPitlaneError } from '../../errors.ts';
import type { Compression, OutgoingRecord, SendOptions } from '../../kafka/port.ts';
import type { GraphNode } from '../api/graph.ts';
import { buildJob, defineJob } from '../api/job.ts';
import { KafkaSinkOperator } from './sink.ts';

const schema = { type: 'record', name: 'Flag', fields: [{ name: 'userId', type: 'string' }, { name: 'amount', type: 'double' }] };
const source = (offset: number) => ({ topic: 'fraud.tx', partition: 0, offset, key: null, value: null, headers: {}, timestamp: 0 });

test('an output value the Avro sink cannot serialize is a dead letter naming the field and its type; the others are written', async () => {
  const type = avro.Type.forSchema(schema as avro.Schema);
  const sent: OutgoingRecord[] = [];
  const letters: { error: unknown; offset: number }[] = [];
  const io = {
    send: async (_topic: string, records: readonly OutgoingRecord[]) => sent.push(...records),
    // As src/kafka/serdes.ts does: avsc's own message, without a field path.
    avroSerde: () => ({
      format: 'avro' as const,
      serialize: async (v: unknown) => {
        try {
          return type.toBuffer(v);
        } catch (e) {
          throw new SerdeError('SERDE_ENCODE_FAILED', `Value does not match the Avro schema of flags-value: ${(e as Error).message}`);
        }
      },
      deserialize: async () => undefined,
    }),
  };
  const node = { kind: 'sink', uid: 'flags', name: 'toKafka(flags)', sink: { type: 'kafka', topic: 'fraud.flags', key: undefined, format: { avro: { subject: 'flags-value', schema } } } } as unknown as GraphNode;
  const rt = { maxParallelism: 8, parallelism: 1, clock: { now: () => 0 }, deadLetter: (_op: string, error: unknown, src: { offset: number }) => letters.push({ error, offset: src.offset }) };
  const sink = new KafkaSinkOperator(node, rt, io);
  sink.processElement({ userId: 'u1', amount: 1 }, 1, source(0));
  sink.processElement({ userId: 'u1', amount: 'abc' }, 2, source(1));
  sink.processElement({ userId: 'u2', amount: 2 }, 3, source(2));
  await sink.flush();
  assert.equal(sent.length, 2);
  assert.equal(letters.length, 1);
  const { error, offset } = letters[0]!;
  assert.equal(offset, 1);
  assert.ok(isPitlaneError(error));
  assert.equal(error.code, 'SINK_VALUE_INVALID');
  assert.match(error.message, /toKafka\(flags\): an output record for fraud\.flags does not fit the Avro schema of flags-value: field "amount" must be double, not "abc"/);
  assert.deepEqual(error.data, { operator: 'toKafka(flags)', topic: 'fraud.flags', subject: 'flags-value', path: 'amount', expected: 'double', actual: '"abc"' });
});

const sinkJob = (compression?: string) =>
  defineJob({
    name: 'codec',
    version: '1',
    maxParallelism: 4,
    build: (env) => env.fromItems({ uid: 'in', items: [1], timestamp: () => 0 }).toKafka({ uid: 'out', topic: 'out.topic', ...(compression === undefined ? {} : { compression: compression as Compression }) }),
  });

test('a Kafka sink writes its batches with the compression it names (none by default)', async () => {
  for (const [asked, sentWith] of [[undefined, 'none'], ['lz4', 'lz4'], ['zstd', 'zstd'], ['snappy', 'snappy'], ['gzip', 'gzip']] as const) {
    const node = buildJob(sinkJob(asked)).graph.nodes.find((n) => n.kind === 'sink')!;
    const sends: SendOptions[] = [];
    const io = { send: async (_t: string, _r: readonly OutgoingRecord[], o?: SendOptions) => sends.push(o ?? {}), avroSerde: () => assert.fail('json sink') };
    const sink = new KafkaSinkOperator(node, { maxParallelism: 4, parallelism: 1, clock: { now: () => 0 }, deadLetter: () => assert.fail('no dead letter') } as never, io);
    sink.processElement({ n: 1 }, 1, source(0));
    await sink.flush();
    assert.deepEqual(sends, [{ compression: sentWith }], String(asked));
  }
});

test('a Kafka sink naming a codec Kafka does not have is refused when the job is built, with the ones it has', () => {
  assert.throws(
    () => buildJob(sinkJob('lz5')),
    (e: unknown) => e instanceof JobDefinitionError && e.code === 'JOB_BAD_COMPRESSION' && /"out" to out\.topic asks for compression "lz5"/.test(e.message) && /none, gzip, snappy, lz4, zstd/.test(e.hint ?? ''),
  );
});
