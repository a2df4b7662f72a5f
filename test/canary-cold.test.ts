/**
 * End to end through the CLI: pass → COLD savepoint handoff. The shadow candidate
 * is cancelled, the authoritative job stops with a savepoint, and a new job of the
 * candidate version restores it and takes over the authoritative topic (the Flink
 * way). Read back read_committed: one alert per qualifying payment, v1's rule
 * before the savepoint's offsets and v2's from them on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canaryHarness, amountOf } from './canary-harness.ts';
import { verifyHandoff } from '../src/orchestrator/demo/verify.ts';

test('pass → cold handoff: restored from the stop savepoint, no alert lost or duplicated', { timeout: 240_000 }, async (t) => {
  const h = await canaryHarness(t, 'cold');
  h.startTraffic(1000);
  await h.launch(4);
  const start = await h.cli(['canary', 'start', h.spec({ promotion: '{ strategy: savepoint-handoff, mode: cold }' })]);
  assert.equal(start.code, 0, start.err);
  const gate = await h.cli(['canary', 'gate', h.name, '--wait', '--timeout', '120s']);
  assert.equal(gate.code, 0, `gate: ${gate.out} ${gate.err}`);
  const promote = await h.cli(['canary', 'promote', h.name]);
  assert.equal(promote.code, 0, promote.err);

  const s = await h.status();
  const d = s.deployment;
  assert.equal(d.phase, 'Promoted');
  assert.deepEqual(d.promotion?.steps.map((x) => x.type), ['stopAnalysis', 'cancelJob', 'stopWithSavepoint', 'startJob']);
  assert.equal(d.jobs.live, `${h.name}.promoted`);
  assert.ok(d.promotion?.pitStop?.outputGapMs !== undefined, 'the pit stop was measured');
  const states = new Map(s.jobs.map((j) => [j.jobId, j.state]));
  assert.equal(states.get(`${h.name}.promoted`), 'running');

  await new Promise((r) => setTimeout(r, 1500));
  await h.stopTraffic();
  await h.caughtUp(d.jobs.live);
  const cut = d.promotion!.steps.find((x) => x.type === 'stopWithSavepoint')!.result.savepoint!.sourceOffsets;
  const v = await verifyHandoff(h.k.kafka, { input: h.input, output: h.output, cut, until: await h.highs(h.input), before: (x) => amountOf(x) > 100, after: (x) => amountOf(x) > 500 });
  assert.ok(v.expected > 100, `enough alerts to judge (${v.expected})`);
  assert.deepEqual({ missing: v.missing, duplicates: v.duplicates, unexpected: v.unexpected }, { missing: 0, duplicates: 0, unexpected: 0 }, v.examples.join('; '));
});
