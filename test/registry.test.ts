import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kafkaForTest, uniqueName } from './support/kafka.ts';
import { avroSerde, jsonSerde } from '../src/kafka/index.ts';
import { SerdeError } from '../src/errors.ts';

const PaymentV1 = {
  type: 'record',
  name: 'Payment',
  namespace: 'dev.pitlane.test',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'amount', type: 'double' },
    { name: 'note', type: ['null', 'string'], default: null },
  ],
};

test('an Avro record round trip through Kafka and the real schema registry', async (t) => {
  const k = kafkaForTest(t);
  assert.ok(k.registry, 'the test run must provide a schema registry (SCHEMA_REGISTRY_URL or the local launcher)');
  const topic = await k.topic('avro');
  const subject = k.trackSubject(`${topic}-value`);
  const serde = avroSerde<{ id: string; amount: number; note: string | null }>(k.registry, { subject, schema: PaymentV1 });
  const values = [
    { id: 'p1', amount: 12.5, note: null },
    { id: 'p2', amount: 999.99, note: 'big' },
  ];
  await k.kafka.produce(topic, await Promise.all(values.map(async (v) => ({ key: v.id, value: await serde.serialize(v) }))));
  const got = [];
  for await (const b of k.kafka.read({ topics: [topic] })) for (const r of b.records) got.push(await serde.deserialize(r.value!));
  assert.deepEqual(got, values);

  // The bytes are in the Confluent wire format, and the id resolves to our schema.
  const latest = await k.registry.latest(subject);
  assert.ok(latest);
  assert.deepEqual((await k.registry.schemaById(latest.id)) as object, latest.schema);
  assert.ok((await k.registry.subjects()).includes(subject));
});

test('the registry judges schema evolution: a defaulted new field passes, a retyped field fails', async (t) => {
  const k = kafkaForTest(t);
  assert.ok(k.registry);
  const subject = k.trackSubject(`${uniqueName('compat')}-value`);
  await k.registry.registerAvro(subject, PaymentV1);
  const added = { ...PaymentV1, fields: [...PaymentV1.fields, { name: 'currency', type: 'string', default: 'EUR' }] };
  const retyped = { ...PaymentV1, fields: PaymentV1.fields.map((f) => (f.name === 'amount' ? { name: 'amount', type: 'string' } : f)) };
  assert.equal((await k.registry.checkCompatibility(subject, added)).compatible, true);
  assert.equal((await k.registry.checkCompatibility(subject, retyped)).compatible, false);
});

test('bytes that are not Avro wire format or not JSON are SerdeErrors, not crashes', async (t) => {
  const k = kafkaForTest(t);
  assert.ok(k.registry);
  const serde = avroSerde(k.registry, { subject: 'unused' });
  await assert.rejects(serde.deserialize(Buffer.from('{"plain":"json"}')), (e: unknown) => e instanceof SerdeError && e.code === 'SERDE_DECODE_FAILED' && /wire format/.test(e.message));
  await assert.rejects(jsonSerde().deserialize(Buffer.from([0, 0, 0, 0, 1, 2])), (e: unknown) => e instanceof SerdeError && /not valid JSON/.test(e.message));
});
