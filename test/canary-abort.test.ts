/**
 * End to end through the CLI: a buggy candidate (it drops the payments of a range
 * of users) fails key coverage; with auto promotion the orchestrator aborts it —
 * the candidate stops with a savepoint kept for debugging, the authoritative job
 * keeps running untouched — and the gate exits 1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { canaryHarness } from './canary-harness.ts';

test('fail → auto abort: the gate exits 1, the candidate stops with a debug savepoint, v1 keeps running', { timeout: 240_000 }, async (t) => {
  const h = await canaryHarness(t, 'abort');
  h.startTraffic(1000);
  await h.launch(4);
  const spec = h.spec({ candidate: 'src/demo/fraud-v2-buggy.ts', promotion: '{ strategy: savepoint-handoff, auto: true }' });
  const start = await h.cli(['canary', 'start', spec]);
  assert.equal(start.code, 0, start.err);

  const gate = await h.cli(['canary', 'gate', h.name, '--wait', '--timeout', '120s', '--json']);
  assert.equal(gate.code, 1, `gate: ${gate.out} ${gate.err}`);
  assert.equal((JSON.parse(gate.out) as { outcome: string }).outcome, 'fail');

  let s = await h.status();
  for (let i = 0; i < 100 && (s.deployment.phase !== 'Aborted' || s.deployment.pending.length > 0); i++) {
    await new Promise((r) => setTimeout(r, 300));
    s = await h.status();
  }
  const d = s.deployment;
  assert.equal(d.phase, 'Aborted');
  assert.equal(d.abort?.by, 'auto');
  assert.match(d.verdict?.reason ?? '', /key-coverage/);
  assert.ok(d.abort?.debugSavepoint && existsSync(d.abort.debugSavepoint.location), 'the candidate savepoint is kept');
  assert.equal(d.promotion, undefined, 'never promoted');
  const byId = new Map(s.jobs.map((j) => [j.jobId, j.state]));
  assert.equal(byId.get(h.name), 'running', 'the authoritative job was not touched');
  assert.equal(byId.get(`${h.name}.candidate`), 'finished');

  // A failed candidate cannot be promoted (not even after the abort).
  const promote = await h.cli(['canary', 'promote', h.name]);
  assert.equal(promote.code, 3);
  assert.match(promote.err, /DEPLOYMENT_FINISHED|Aborted/);
});
