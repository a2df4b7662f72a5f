import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment } from './lifecycle/model.ts';
import { failureSummary, gateOutcome, stallOf } from './view.ts';

test('gateOutcome: the gate answer per stored record', () => {
  const cases: [string, Partial<Deployment>, string][] = [
    ['no verdict yet', { phase: 'Shadowing' }, 'pending'],
    ['pass', { phase: 'Passed', verdict: { status: 'pass', at: 1 } }, 'pass'],
    ['promoted after a pass', { phase: 'Promoted', verdict: { status: 'pass', at: 1 } }, 'pass'],
    ['fail', { phase: 'Failed', verdict: { status: 'fail', at: 1 } }, 'fail'],
    ['auto-aborted on fail', { phase: 'Aborted', verdict: { status: 'fail', at: 1 }, abort: { at: 2, reason: 'gate failed', by: 'auto' } }, 'fail'],
    ['inconclusive', { phase: 'Inconclusive', verdict: { status: 'inconclusive', at: 1 } }, 'inconclusive'],
    ['preflight refusal is an error, not a verdict', { phase: 'Aborted', abort: { at: 1, reason: 'x', by: 'preflight' } }, 'error'],
    ['fork error', { phase: 'Aborted', abort: { at: 1, reason: 'x', by: 'error' } }, 'error'],
    ['aborted by a user before a verdict', { phase: 'Aborted', abort: { at: 1, reason: 'x', by: 'user' } }, 'error'],
  ];
  for (const [label, d, want] of cases) assert.equal(gateOutcome(d as Deployment), want, label);
});

test('stallOf: a wait for a verdict that cannot end says why', async () => {
  const { parseDeploymentSpec } = await import('./spec/load.ts');
  const { newDeployment } = await import('./lifecycle/model.ts');
  const spec = parseDeploymentSpec('name: f\ninputs: [in]\nauthoritative: { job: a.ts, version: v1, output: out }\ncandidate: { job: b.ts, canary: can, parallelism: 2 }\n', 'f.yaml');
  const d = (phase: Deployment['phase']): Deployment => ({ ...newDeployment(spec, 0), phase });
  const running = { state: 'running' as const };
  const failed = { state: 'failed' as const, failure: '{"level":30,"msg":"job host running"}\n{"level":50,"err":"Cannot reach Kafka at 127.0.0.1:9 while trying to commit a transaction","msg":"job failed"}' };
  const cases: [string, Deployment, Parameters<typeof stallOf>[1], RegExp | undefined][] = [
    ['all running', d('Shadowing'), { supervisorRunning: true, authoritative: running }, undefined],
    ['no supervisor', d('Analyzing'), { supervisorRunning: false, authoritative: running }, /shadow supervisor is not running/],
    ['authoritative job failed: its error, not the JSON line', d('Shadowing'), { supervisorRunning: true, authoritative: failed }, /authoritative job f is failed: Cannot reach Kafka at 127\.0\.0\.1:9 while trying to commit a transaction\./],
    ['authoritative job gone', d('Inconclusive'), { supervisorRunning: true, authoritative: { state: 'unknown' } }, /is unknown/],
    ['a decided deployment is not stalled', d('Passed'), { supervisorRunning: false, authoritative: failed }, undefined],
    ['nor a promoting one', d('Promoting'), { supervisorRunning: false, authoritative: running }, undefined],
  ];
  for (const [label, dep, live, want] of cases) {
    const s = stallOf(dep, live);
    if (want === undefined) assert.equal(s, undefined, label);
    else {
      assert.match(s?.reason ?? '', want, label);
      assert.ok((s?.hint.length ?? 0) > 0, `${label}: a hint`);
    }
  }
});

test('failureSummary: the error of the last JSON log line that has one, else the last line', () => {
  assert.equal(failureSummary('plain text\nlast words'), 'last words');
  assert.equal(failureSummary('{"level":50,"err":"boom","msg":"job failed"}\n{"level":30,"msg":"bye"}'), 'boom');
  assert.equal(failureSummary('{"level":50,"msg":"job host failed to start"}'), 'job host failed to start');
});
