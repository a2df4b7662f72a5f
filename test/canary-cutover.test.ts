/**
 * End to end through the CLI: pass → consumer CUTOVER. A downstream consumer
 * group has read the authoritative topic up to its committed offsets; the
 * orchestrator moves it to the canary topic at the exactly matching record
 * (lineage headers) and then stops the old job with a savepoint. Everything the
 * group reads — the old topic up to its commit, then the canary topic from the
 * translated offsets — has one alert per qualifying payment: no gap, no duplicate.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { uniqueName } from './support/kafka.ts';
import { canaryHarness, amountOf } from './canary-harness.ts';
import { readAll, verifyOutputs } from '../src/demo/verify.ts';

test('pass → cutover: the downstream group continues on the canary topic with no gap or duplicate', { timeout: 240_000 }, async (t) => {
  const h = await canaryHarness(t, 'cut');
  const group = h.k.trackGroup(uniqueName('cut-group'));
  h.startTraffic(1000);
  await h.launch(4);
  const spec = h.spec({ promotion: `{ strategy: cutover, downstreamGroups: [${group}], groupEmptyTimeout: 30s }` });
  assert.equal((await h.cli(['canary', 'start', spec])).code, 0);
  assert.equal((await h.cli(['canary', 'gate', h.name, '--wait', '--timeout', '120s'])).code, 0);

  // The downstream group has consumed the authoritative topic up to here (and is not running now).
  const committed = await h.highs(h.output);
  await h.k.kafka.setGroupOffsets(group, committed);

  const promote = await h.cli(['canary', 'promote', h.name]);
  assert.equal(promote.code, 0, promote.err);
  const d = (await h.status()).deployment;
  assert.equal(d.phase, 'Promoted');
  assert.equal(d.activeTopic, h.canary, 'downstream now reads the canary topic');
  assert.deepEqual(d.promotion?.steps.map((x) => x.type), ['stopAnalysis', 'cutoverGroups', 'stopWithSavepoint']);
  const moved = await h.k.kafka.groupOffsets(group, h.canary);
  assert.equal(moved.length, 4, 'the group has offsets on every canary partition');

  await new Promise((r) => setTimeout(r, 1500));
  await h.stopTraffic();
  await h.caughtUp(d.jobs.candidate);
  const before = await readAll(h.k.kafka, h.output, { offsets: committed });
  const after = await readAll(h.k.kafka, h.canary, 'end', { offsets: moved });
  // The frontier per input partition: just past the last payment whose alert the group read.
  const frontier = new Map<number, number>();
  for (const r of before) {
    const p = Number(r.headers['pitlane.src.partition']?.toString());
    frontier.set(p, Math.max(frontier.get(p) ?? 0, Number(r.headers['pitlane.src.offset']?.toString()) + 1));
  }
  const v = await verifyOutputs(h.k.kafka, {
    input: h.input,
    until: await h.highs(h.input),
    outputs: [...before, ...after],
    ruleAt: (p, o) => (o < (frontier.get(p) ?? 0) ? (x) => amountOf(x) > 100 : (x) => amountOf(x) > 500),
  });
  assert.ok(v.expected > 100, `enough alerts to judge (${v.expected})`);
  assert.deepEqual({ missing: v.missing, duplicates: v.duplicates, unexpected: v.unexpected }, { missing: 0, duplicates: 0, unexpected: 0 }, v.examples.join('; '));
});
