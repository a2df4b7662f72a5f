/**
 * End to end through the CLI: after a warm promotion, `pitlane canary rollback`
 * stops the new job with a savepoint, restarts the old version from the savepoint
 * kept at promotion, replays into the unused canary topic up to where the new job
 * stopped, and only then takes the authoritative topic back. The old output
 * stream is restored: v1's alerts before the promotion, v2's between promotion and
 * rollback, v1's after — each payment's alert exactly once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canaryHarness, amountOf } from './canary-harness.ts';
import { readAll, verifyOutputs } from '../src/demo/verify.ts';

test('rollback after a warm promotion restores the old output stream, with no gap or duplicate', { timeout: 300_000 }, async (t) => {
  const h = await canaryHarness(t, 'rb');
  h.startTraffic(1000);
  await h.launch(4);
  assert.equal((await h.cli(['canary', 'start', h.spec()])).code, 0);
  assert.equal((await h.cli(['canary', 'gate', h.name, '--wait', '--timeout', '120s'])).code, 0);
  assert.equal((await h.cli(['canary', 'promote', h.name])).code, 0);
  await new Promise((r) => setTimeout(r, 2000));

  const rb = await h.cli(['canary', 'rollback', h.name, '--reason', 'test']);
  assert.equal(rb.code, 0, rb.err);
  const s = await h.status();
  const d = s.deployment;
  assert.equal(d.phase, 'RolledBack');
  assert.ok(d.rollback?.completedAt, 'the rollback completed');
  assert.equal(d.jobs.live, h.name, 'the old version is live again');
  assert.equal(d.activeTopic, h.output);
  assert.deepEqual(d.rollback?.steps.map((x) => x.type), ['stopWithSavepoint', 'startJob', 'runUntil', 'switchSink']);
  const states = new Map(s.jobs.map((j) => [j.jobId, j.state]));
  assert.equal(states.get(h.name), 'running');
  assert.equal(states.get(`${h.name}.candidate`), 'finished');

  // Rolled back once; a second rollback is refused with a reason.
  const again = await h.cli(['canary', 'rollback', h.name]);
  assert.equal(again.code, 3);
  assert.match(again.err, /ALREADY_ROLLED_BACK/);

  await new Promise((r) => setTimeout(r, 1500));
  await h.stopTraffic();
  await h.caughtUp(h.name);
  const promotedAt = new Map(d.promotion!.steps.find((x) => x.type === 'warmHandoff')!.result.positions!.map((o) => [o.partition, o.offset]));
  const rolledAt = new Map(d.rollback!.steps.find((x) => x.type === 'stopWithSavepoint')!.result.savepoint!.sourceOffsets.map((o) => [o.partition, o.offset]));
  const v1 = (x: unknown) => amountOf(x) > 100;
  const v2 = (x: unknown) => amountOf(x) > 500;
  const v = await verifyOutputs(h.k.kafka, {
    input: h.input,
    until: await h.highs(h.input),
    outputs: await readAll(h.k.kafka, h.output, 'end'),
    ruleAt: (p, o) => (o < (promotedAt.get(p) ?? 0) ? v1 : o < (rolledAt.get(p) ?? 0) ? v2 : v1),
  });
  assert.ok(v.expected > 100, `enough alerts to judge (${v.expected})`);
  assert.deepEqual({ missing: v.missing, duplicates: v.duplicates, unexpected: v.unexpected }, { missing: 0, duplicates: 0, unexpected: 0 }, v.examples.join('; '));
});
