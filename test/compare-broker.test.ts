import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kafkaForTest } from './support/kafka.ts';
import { silentLogger } from '../src/logger.ts';
import { createComparison, resolveCompareConfig, type ComparisonReport } from '../src/compare/index.ts';
import { isPitlaneError } from '../src/errors.ts';
import { INJECTIONS, TEST_CONFIG, authoritativeRows, writeRows, type Row } from './compare-support.ts';

type Clients = ReturnType<typeof kafkaForTest>;

async function compareRows(k: Clients, a: readonly Row[], b: readonly Row[], config: unknown = TEST_CONFIG): Promise<ComparisonReport> {
  const ta = await k.topic('cmp-a');
  const tb = await k.topic('cmp-b');
  await writeRows(k.kafka, ta, a);
  await writeRows(k.kafka, tb, b);
  const comparison = createComparison({ a: { topic: ta }, b: { topic: tb }, config: resolveCompareConfig(config) }, { kafka: k.kafka, registry: k.registry, logger: silentLogger() });
  return comparison.run();
}

const failedTypes = (r: ComparisonReport) => r.assessment.checks.filter((c) => c.status !== 'Successful').map((c) => `${c.type}:${c.status}`);

for (const inj of INJECTIONS) {
  test(`compare on the broker: ${inj.name} ${inj.check ? `is caught by ${inj.check} only` : 'passes'}`, async (t) => {
    const k = kafkaForTest(t);
    const a = authoritativeRows();
    const report = await compareRows(k, a, inj.mutate(a));
    assert.equal(report.sides.a.records, a.length);
    assert.equal(report.sides.b.records, a.length);
    assert.equal(report.windows.length, 6);
    assert.deepEqual(failedTypes(report), inj.check ? [`${inj.check}:Failed`] : [], JSON.stringify(report.assessment.checks.map((c) => [c.check, c.status, c.reason])));
    assert.equal(report.verdict, inj.check ? 'Failed' : 'Successful');
  });
}

test('compare on the broker: an expected difference passes, an unexpected one still fails', async (t) => {
  const k = kafkaForTest(t);
  const a = authoritativeRows();
  const withRisk: Row[] = a.map((r) => ({ ...r, value: { ...r.value, riskScore: 0.5 } }));
  const expected = { ...TEST_CONFIG, expected: [{ check: 'schema', addedFields: ['riskScore'], reason: 'v2 scores risk' }] };
  const ok = await compareRows(k, a, withRisk, expected);
  assert.equal(ok.verdict, 'Successful', JSON.stringify(ok.assessment.checks.map((c) => [c.check, c.status, c.reason])));
  const alsoRetyped = withRisk.map((r) => ({ ...r, value: { ...r.value, score: String(r.value.score) } }));
  const bad = await compareRows(k, a, alsoRetyped, expected);
  assert.deepEqual(failedTypes(bad), ['schema:Failed']);
  const schema = bad.measurements.find((m) => m.type === 'schema' && m.status === 'Failed');
  assert.deepEqual((schema?.detail.unexpected as { retyped: { field: string }[] }).retyped.map((r) => r.field), ['score']);
  // Without the declaration, the new field fails the schema check.
  const undeclared = await compareRows(k, a, withRisk);
  assert.deepEqual(failedTypes(undeclared), ['schema:Failed']);
});

test('compare on the broker: the noise floor hides what two copies of a also show', async (t) => {
  const k = kafkaForTest(t);
  const a = authoritativeRows();
  // Both the copy and the candidate lose the same 3 records per window: count differs by 7.5 %.
  const thinned = a.filter((r) => Number(r.key.slice(5)) >= 3);
  const ta = await k.topic('cmp-a');
  const tb = await k.topic('cmp-b');
  const tn = await k.topic('cmp-n');
  await writeRows(k.kafka, ta, a);
  await writeRows(k.kafka, tb, thinned);
  await writeRows(k.kafka, tn, thinned);
  const config = resolveCompareConfig({ ...TEST_CONFIG, checks: [{ type: 'count' }] });
  const deps = { kafka: k.kafka, registry: k.registry, logger: silentLogger() };
  const without = await createComparison({ a: { topic: ta }, b: { topic: tb }, config }, deps).run();
  assert.equal(without.verdict, 'Failed');
  const withNoise = await createComparison({ a: { topic: ta }, b: { topic: tb }, noise: { topic: tn }, config }, deps).run();
  assert.equal(withNoise.verdict, 'Successful');
  assert.ok(withNoise.measurements.every((m) => m.detail.withinNoise === true));
});

test('compare on the broker: empty topics are inconclusive, a missing topic is a clear error, undecodable records are counted', async (t) => {
  const k = kafkaForTest(t);
  const empty = await compareRows(k, [], []);
  assert.equal(empty.verdict, 'Inconclusive');

  const ta = await k.topic('cmp-a');
  const config = resolveCompareConfig(TEST_CONFIG);
  const deps = { kafka: k.kafka, registry: k.registry, logger: silentLogger() };
  await assert.rejects(createComparison({ a: { topic: ta }, b: { topic: `${ta}-missing` }, config }, deps).run(), (e) => isPitlaneError(e) && e.code === 'COMPARE_TOPIC_NOT_FOUND' && e.message.includes(`${ta}-missing`));

  const rows = authoritativeRows(10, 3);
  const tb = await k.topic('cmp-b');
  await writeRows(k.kafka, ta, rows);
  await writeRows(k.kafka, tb, rows);
  await k.kafka.produce(tb, [{ key: 'x', value: 'not json{' }, { key: 'y', value: '{"half":' }]);
  const r = await createComparison({ a: { topic: ta }, b: { topic: tb }, config: resolveCompareConfig({ ...TEST_CONFIG, minimum: { windows: 1, records: 1 } }) }, deps).run();
  assert.equal(r.sides.b.undecodable, 2);
  assert.equal(r.sides.a.undecodable, 0);
  assert.equal(r.verdict, 'Successful');
  const strict = resolveCompareConfig({ ...TEST_CONFIG, maxUndecodable: 1 });
  await assert.rejects(createComparison({ a: { topic: ta }, b: { topic: tb }, config: strict }, deps).run(), (e) => isPitlaneError(e) && e.code === 'COMPARE_UNDECODABLE');
});

test('compare on the broker: the worker thread reports what one thread does', async (t) => {
  const k = kafkaForTest(t);
  // Non-ASCII keys and values: packed batches hold the fetch response's framing bytes too.
  const a = authoritativeRows().map((r, i) => (i % 5 === 0 ? { ...r, key: `${r.key}-é`, value: { ...r.value, region: 'Zürich ✓' } } : r));
  const b = INJECTIONS.find((i) => i.check === 'aggregate')!.mutate(a);
  const ta = await k.topic('cmp-wa');
  const tb = await k.topic('cmp-wb');
  await writeRows(k.kafka, ta, a);
  await writeRows(k.kafka, tb, b);
  const run = (worker: boolean) => createComparison({ a: { topic: ta }, b: { topic: tb }, config: resolveCompareConfig(TEST_CONFIG) }, { kafka: k.kafka, logger: silentLogger(), worker, clock: () => 0 }).run();
  const [one, two] = [await run(false), await run(true)];
  assert.equal(two.sides.a.records, a.length);
  assert.equal(two.verdict, 'Failed');
  // The lateness detail notes where each side's watermark stood when a window was
  // judged: that depends on which side's reads happened to arrive first, on either path.
  assert.deepEqual(withoutProgress(two), withoutProgress(one));
});

/** The report without the lateness details' watermarkA/watermarkB (read timing, not results). */
function withoutProgress<T>(report: T): T {
  return JSON.parse(JSON.stringify(report), (k: string, v: unknown) => (k === 'watermarkA' || k === 'watermarkB' ? undefined : v)) as T;
}
