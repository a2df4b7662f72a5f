import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kafkaForTest } from './support/kafka.ts';
import { avroSerde } from '../src/kafka/index.ts';
import { silentLogger } from '../src/logger.ts';
import { LINEAGE_HEADERS } from '../src/lineage.ts';
import { createComparison, resolveCompareConfig } from '../src/compare/index.ts';
import { TEST_CONFIG, authoritativeRows } from './compare-support.ts';

const V1 = {
  type: 'record',
  name: 'Txn',
  namespace: 'dev.pitlane.test.compare',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'amount', type: 'double' },
    { name: 'region', type: ['null', 'string'], default: null },
  ],
};
const V2_ADDED = { ...V1, fields: [...V1.fields, { name: 'riskScore', type: 'double', default: 0 }] };
const V2_RETYPED = { ...V1, fields: [V1.fields[0], { name: 'amount', type: 'string' }, V1.fields[2]] };

test('compare Avro topics: schema fields come from the registry, with its compatibility verdict', async (t) => {
  const k = kafkaForTest(t);
  assert.ok(k.registry, 'the test run must provide a schema registry (SCHEMA_REGISTRY_URL or the local launcher)');
  const registry = k.registry;
  const rows = authoritativeRows(20, 4);
  const write = async (prefix: string, schema: object, value: (r: (typeof rows)[number]) => object) => {
    const topic = await k.topic(prefix);
    const serde = avroSerde(registry, { subject: k.trackSubject(`${topic}-value`), schema });
    const records = [];
    for (const r of rows) {
      records.push({ key: r.key, value: await serde.serialize(value(r)), timestamp: r.timestamp, headers: { [LINEAGE_HEADERS.eventTime]: String(r.eventTime) } });
    }
    await k.kafka.produce(topic, records);
    return topic;
  };
  const v1 = (r: (typeof rows)[number]) => ({ id: r.key, amount: r.value.amount as number, region: r.value.region as string });
  const a = await write('avro-a', V1, v1);
  const added = await write('avro-added', V2_ADDED, (r) => ({ ...v1(r), riskScore: 0.5 }));
  const retyped = await write('avro-retyped', V2_RETYPED, (r) => ({ ...v1(r), amount: String(r.value.amount) }));
  const run = (b: string, extra: object = {}) =>
    createComparison(
      { a: { topic: a }, b: { topic: b }, config: resolveCompareConfig({ ...TEST_CONFIG, format: 'avro', ...extra }) },
      { kafka: k.kafka, registry, logger: silentLogger() },
    ).run();

  const declared = await run(added, { expected: [{ check: 'schema', addedFields: ['riskScore'] }] });
  assert.equal(declared.verdict, 'Successful', JSON.stringify(declared.assessment.checks.map((c) => [c.check, c.reason])));
  const m = declared.measurements.find((x) => x.type === 'schema');
  assert.deepEqual(m?.detail.source, { a: 'registry', b: 'registry' });
  assert.equal((m?.detail.compatibility as { compatible: boolean }).compatible, true);

  const undeclared = await run(added);
  assert.deepEqual(undeclared.assessment.checks.filter((c) => c.status !== 'Successful').map((c) => c.type), ['schema']);

  const bad = await run(retyped, { checks: [{ type: 'schema' }, { type: 'count' }] });
  assert.equal(bad.verdict, 'Failed');
  const s = bad.measurements.find((x) => x.type === 'schema');
  assert.deepEqual(s?.detail.retyped, [{ field: 'amount', a: 'double', b: 'string' }]);
  assert.equal((s?.detail.compatibility as { compatible: boolean }).compatible, false);
});
