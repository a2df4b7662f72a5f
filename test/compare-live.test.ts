import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kafkaForTest, waitFor } from './support/kafka.ts';
import { silentLogger } from '../src/logger.ts';
import { createComparison, resolveCompareConfig } from '../src/compare/index.ts';
import { TEST_CONFIG, authoritativeRows, writeRows } from './compare-support.ts';

test('live mode: windows are judged as both followed topics advance, and not before', async (t) => {
  const k = kafkaForTest(t);
  const [ta, tb] = [await k.topic('live-a', 2), await k.topic('live-b', 2)];
  const comparison = createComparison(
    { a: { topic: ta, from: 'earliest', to: 'follow' }, b: { topic: tb, from: 'earliest', to: 'follow' }, config: resolveCompareConfig({ ...TEST_CONFIG, grace: 0 }) },
    { kafka: k.kafka, logger: silentLogger() },
  );
  t.after(() => comparison.close());
  const rows = authoritativeRows(20, 6);
  const firstHalf = rows.filter((r) => r.eventTime < rows[0]!.eventTime + 30_000);
  // Only a advances: nothing can be judged, whatever a does.
  await writeRows(k.kafka, ta, firstHalf);
  await waitFor(async () => (await comparison.step({ timeoutMs: 200 }), comparison.report().sides.a.records === firstHalf.length || undefined), { message: 'a read' });
  assert.equal(comparison.report().windows.length, 0);
  // Then b catches up: the windows both watermarks passed are judged.
  await writeRows(k.kafka, tb, firstHalf);
  const r = await waitFor(async () => {
    await comparison.step({ timeoutMs: 200 });
    const rep = comparison.report();
    return rep.windows.length >= 2 ? rep : undefined;
  }, { message: 'windows judged' });
  assert.equal(r.complete, false);
  assert.deepEqual(r.measurements.filter((m) => m.status === 'Failed').map((m) => [m.metric, m.observed, m.detail]), []);
  assert.ok(r.windows.length <= 3, 'a window is never judged before both watermarks pass its end');
});
