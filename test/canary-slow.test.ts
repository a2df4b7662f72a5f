/**
 * End to end through the CLI: a candidate that cannot keep up with the input (a
 * few ms per record, at an input rate above what that allows) falls further and
 * further behind the authoritative job. Its outputs are still correct once they
 * come, so count, schema and key coverage pass; the lateness check's wall-clock
 * watermark lag is what fails the gate.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canaryHarness } from './canary-harness.ts';

test('a slow candidate: watermark lag fails the gate (exit 1), never promoted, v1 keeps running', { timeout: 240_000 }, async (t) => {
  const h = await canaryHarness(t, 'slow');
  // 500/s in; the candidate manages at most 250/s (4 ms per record).
  h.startTraffic(500);
  await h.launch(4);
  const spec = h.spec({ candidate: 'test/support/fraud-v2-slow.ts', promotion: '{ strategy: savepoint-handoff, auto: false }', checks: ['{ type: lateness, maxLagMs: 2000 }'] });
  const start = await h.cli(['canary', 'start', spec]);
  assert.equal(start.code, 0, start.err);

  const gate = await h.cli(['canary', 'gate', h.name, '--wait', '--timeout', '150s', '--json']);
  assert.equal(gate.code, 1, `gate: ${gate.out} ${gate.err}`);
  const s = await h.status();
  const d = s.deployment;
  assert.equal(d.phase, 'Failed');
  assert.match(d.verdict?.reason ?? '', /lateness/, `verdict: ${JSON.stringify(d.verdict)}`);
  assert.equal(d.promotion, undefined, 'never promoted');
  assert.equal(new Map(s.jobs.map((j) => [j.jobId, j.state])).get(h.name), 'running', 'the authoritative job was not touched');

  // The report says which check and by how much: the lag is over the 2 s limit.
  const report = await h.cli(['canary', 'report', h.name, '--json']);
  assert.equal(report.code, 0, report.err);

  const lag = (JSON.parse(report.out) as { watermarkLag?: { maxMs?: number } }).watermarkLag;
  assert.ok(lag?.maxMs !== undefined && lag.maxMs > 2000, `watermarkLag ${JSON.stringify(lag)}`);

  // The operator aborts it: the candidate stops (a slice at a time, so promptly), v1 runs on.
  const abort = await h.cli(['canary', 'abort', h.name, '--reason', 'too slow']);
  assert.equal(abort.code, 0, abort.err);
  const after = new Map((await h.status()).jobs.map((j) => [j.jobId, j.state]));
  assert.deepEqual([after.get(h.name), after.get(`${h.name}.candidate`)], ['running', 'finished']);
});
