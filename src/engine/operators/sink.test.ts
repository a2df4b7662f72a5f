import { test } from 'node:test';
import assert from 'node:assert/strict';
import avro from 'avsc';
import { SerdeError, isPitlaneError } from '../../errors.ts';
import type { OutgoingRecord } from '../../kafka/port.ts';
import type { GraphNode } from '../api/graph.ts';
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
