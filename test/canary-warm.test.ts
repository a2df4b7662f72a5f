/**
 * End to end through the CLI on the real broker: a passing candidate is promoted
 * by WARM savepoint handoff (both jobs aligned on the same input offsets, the old
 * one stopped there with a savepoint, the candidate's sink switched — no restore),
 * and the authoritative topic, read back read_committed, has exactly one alert per
 * qualifying payment: v1's rule before the handoff offsets, v2's from them on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canaryHarness, amountOf } from './canary-harness.ts';
import { verifyHandoff } from '../src/demo/verify.ts';

test('pass → warm handoff: no alert lost or duplicated, pit stop recorded', { timeout: 240_000 }, async (t) => {
  const h = await canaryHarness(t, 'warm');
  h.startTraffic(1000);
  await h.launch(4);
  const start = await h.cli(['canary', 'start', h.spec(), '--json']);
  assert.equal(start.code, 0, start.err);
  assert.equal((JSON.parse(start.out) as { phase: string }).phase, 'Shadowing');

  const gate = await h.cli(['canary', 'gate', h.name, '--wait', '--timeout', '120s']);
  assert.equal(gate.code, 0, `gate: ${gate.out} ${gate.err}`);

  const promote = await h.cli(['canary', 'promote', h.name, '--json']);
  assert.equal(promote.code, 0, promote.err);
  const d = (await h.status()).deployment;
  assert.equal(d.phase, 'Promoted');
  assert.equal(d.jobs.live, `${h.name}.candidate`);
  assert.deepEqual(d.promotion?.steps.map((s) => s.type), ['stopAnalysis', 'warmHandoff']);
  assert.ok(d.promotion?.pitStop?.outputGapMs !== undefined, 'the pit stop was measured');
  assert.ok(d.promotion?.rollbackSavepoint, 'the old job left a savepoint for rollback');

  // A second promote is refused: a deployment is promoted once.
  const again = await h.cli(['canary', 'promote', h.name]);
  assert.equal(again.code, 3);
  assert.match(again.err, /ALREADY_PROMOTED/);

  await new Promise((r) => setTimeout(r, 1500)); // some traffic after the handoff
  await h.stopTraffic();
  await h.caughtUp(d.jobs.live);
  const cut = d.promotion!.steps.find((s) => s.type === 'warmHandoff')!.result.positions!;
  const v = await verifyHandoff(h.k.kafka, { input: h.input, output: h.output, cut, until: await h.highs(h.input), before: (x) => amountOf(x) > 100, after: (x) => amountOf(x) > 500 });
  assert.ok(v.expected > 100, `enough alerts to judge (${v.expected})`);
  assert.deepEqual({ missing: v.missing, duplicates: v.duplicates, unexpected: v.unexpected }, { missing: 0, duplicates: 0, unexpected: 0 }, v.examples.join('; '));
  // Alerts from both sides of the cut are on the authoritative topic.
  assert.ok(cut.some((c) => c.offset > 0));
});
