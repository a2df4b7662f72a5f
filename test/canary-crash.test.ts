/**
 * `kill -9` of the orchestrator, end to end: the jobs live in their own processes
 * and keep running; `pitlane canary resume` continues from the durable store
 * (a Kafka topic) and a deployment is promoted exactly once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canaryHarness, amountOf } from './canary-harness.ts';
import { verifyHandoff } from '../src/demo/verify.ts';

test('kill -9 of the shadow supervisor while Shadowing: jobs keep running, resume restarts it, promotion happens once', { timeout: 240_000 }, async (t) => {
  const h = await canaryHarness(t, 'kill-shadow');
  h.startTraffic(1000);
  await h.launch(4);
  assert.equal((await h.cli(['canary', 'start', h.spec()])).code, 0);
  const first = await h.status();
  assert.ok(['Shadowing', 'Analyzing', 'Passed'].includes(first.deployment.phase), `forked and shadowing (${first.deployment.phase})`);
  const pid = first.supervisor;
  assert.ok(pid, 'a supervisor runs the analysis');
  process.kill(pid, 'SIGKILL');
  // No waiting for it to be reaped: a killed process is a zombie until its parent (here
  // PID 1, which may never reap) collects it, and a zombie counts as dead.

  const after = await h.status();
  assert.equal(after.supervisor, null);
  const states = new Map(after.jobs.map((j) => [j.jobId, j.state]));
  assert.equal(states.get(h.name), 'running', 'the authoritative job survived');
  assert.equal(states.get(`${h.name}.candidate`), 'running', 'the candidate survived');

  const resume = await h.cli(['canary', 'resume', h.name]);
  assert.equal(resume.code, 0, resume.err);
  const restarted = (await h.status()).supervisor;
  assert.ok(restarted && restarted !== pid, 'a new supervisor runs');

  assert.equal((await h.cli(['canary', 'gate', h.name, '--wait', '--timeout', '120s'])).code, 0);
  assert.equal((await h.cli(['canary', 'promote', h.name])).code, 0);
  assert.equal((await h.status()).deployment.phase, 'Promoted');
});

test('kill -9 of the orchestrator while Promoting: resume finishes the handoff once, with no gap or duplicate', { timeout: 240_000 }, async (t) => {
  const h = await canaryHarness(t, 'kill-promote');
  h.startTraffic(1000);
  await h.launch(4);
  assert.equal((await h.cli(['canary', 'start', h.spec()])).code, 0);
  assert.equal((await h.cli(['canary', 'gate', h.name, '--wait', '--timeout', '120s'])).code, 0);

  // The orchestrator dies right after performing the handoff, before recording it.
  const crashed = await h.cli(['canary', 'promote', h.name], { PITLANE_CRASH_AFTER_EFFECT: 'warmHandoff' });
  assert.equal(crashed.signal, 'SIGKILL', `the promote process was killed (${crashed.code} ${crashed.err})`);
  const mid = (await h.status()).deployment;
  assert.equal(mid.phase, 'Promoting');
  assert.equal(mid.pending[0]?.effect.type, 'warmHandoff', 'the handoff is still pending in the store');

  // A second promote is refused while one is in flight; resume finishes it.
  const twice = await h.cli(['canary', 'promote', h.name]);
  assert.equal(twice.code, 3);
  assert.match(twice.err, /ALREADY_PROMOTING/);
  const resume = await h.cli(['canary', 'resume', h.name]);
  assert.equal(resume.code, 0, resume.err);
  const d = (await h.status()).deployment;
  assert.equal(d.phase, 'Promoted');
  assert.deepEqual(d.promotion?.steps.map((x) => x.type), ['stopAnalysis', 'warmHandoff']);

  await new Promise((r) => setTimeout(r, 1000));
  await h.stopTraffic();
  await h.caughtUp(d.jobs.live);
  const cut = d.promotion!.steps.find((x) => x.type === 'warmHandoff')!.result.positions!;
  const v = await verifyHandoff(h.k.kafka, { input: h.input, output: h.output, cut, until: await h.highs(h.input), before: (x) => amountOf(x) > 100, after: (x) => amountOf(x) > 500 });
  assert.deepEqual({ missing: v.missing, duplicates: v.duplicates, unexpected: v.unexpected }, { missing: 0, duplicates: 0, unexpected: 0 }, v.examples.join('; '));
});
