/**
 * Webhooks and the confirm hook end to end: the real CLI and broker, a real
 * receiver on 127.0.0.1. A buggy candidate (auto promotion) tells every webhook it
 * failed and was aborted — one receiver answers 500 then 200 (retried, recorded
 * delivered), one never answers (recorded failed after its attempts) — and the
 * deployment goes on unaffected. A good candidate is passed, its promotion held by
 * a confirm hook answering 403 (nothing stopped, v1 still authoritative), then
 * promoted once the hook answers 200; the promoted event carries who and the pit stop.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canaryHarness } from './canary-harness.ts';
import { webhookReceiver } from './support/webhook-receiver.ts';
import { waitFor } from './support/kafka.ts';
import type { NotificationRecord } from '../src/orchestrator/notify/record.ts';
import { KafkaDeploymentStore } from '../src/orchestrator/store/kafka-store.ts';

async function notifyLog(h: Awaited<ReturnType<typeof canaryHarness>>): Promise<NotificationRecord[]> {
  const r = await h.cli(['canary', 'status', h.name, '--json']);
  if (r.code !== 0) throw new Error(`status failed: ${r.err}`);
  return (JSON.parse(r.out) as { notifications: NotificationRecord[] }).notifications;
}

test('a buggy candidate: failed and aborted are delivered; a 500 is retried, a receiver that never answers times out; the abort goes on', { timeout: 300_000 }, async (t) => {
  const rx = await webhookReceiver(t, {
    '/events': () => ({ status: 204 }),
    '/flaky': (n) => (n === 1 ? { status: 500, body: 'temporarily broken' } : { status: 200 }),
    '/hang': () => 'hang',
  });
  const h = await canaryHarness(t, 'hooksfail');
  h.startTraffic(1000);
  await h.launch(4);
  const notify = [
    'notify:',
    `  - { url: "${rx.url}/events" }`,
    `  - { url: "${rx.url}/flaky", on: [failed], backoff: 100ms }`,
    `  - { url: "${rx.url}/hang", on: [failed], timeout: 300ms, attempts: 2, backoff: 100ms }`,
  ].join('\n');
  const spec = h.spec({ candidate: 'src/demo/fraud-v2-buggy.ts', promotion: '{ strategy: savepoint-handoff, auto: true }', extra: notify });
  const start = await h.cli(['canary', 'start', spec]);
  assert.equal(start.code, 0, start.err);

  // The supervisor records the fail and the auto abort, and delivers.
  await waitFor(() => rx.events('/events').includes('aborted'), { timeoutMs: 150_000, intervalMs: 500, message: `failed + aborted at /events (got ${rx.events('/events').join(',')})` });
  assert.deepEqual(rx.events('/events'), ['failed', 'aborted']);
  const failed = rx.received.find((r) => r.path === '/events' && r.body.event === 'failed')!;
  assert.equal(failed.body.deployment, h.name);
  assert.equal(failed.headers['idempotency-key'], failed.body.id);
  assert.match(String(failed.body.id), new RegExp(`^${h.name}@\\d+\\.failed$`));
  assert.match((failed.body.verdict as { reason: string }).reason, /key-coverage/);
  assert.deepEqual(failed.body.versions, { authoritative: 'v1', candidate: 'v2' });
  assert.deepEqual(failed.body.engines, { authoritative: 'embedded', candidate: 'embedded' });
  assert.match((failed.body.report as { html: string }).html, /report\.html$/);

  // The 500 was retried with the same event id; the receiver that never answers was given up on.
  const log = await waitFor(async () => {
    const l = await notifyLog(h);
    return l.filter((n) => n.state !== 'pending').length === 4 ? l : undefined;
  }, { timeoutMs: 60_000, intervalMs: 500, message: 'every delivery recorded' });
  const byPath = (p: string) => log.filter((n) => n.url.endsWith(p));
  assert.deepEqual(byPath('/events').map((n) => [n.event, n.state, n.attempts]), [['failed', 'delivered', 1], ['aborted', 'delivered', 1]]);
  assert.deepEqual(byPath('/flaky').map((n) => [n.event, n.state, n.attempts, n.last?.status]), [['failed', 'delivered', 2, 200]]);
  assert.deepEqual(byPath('/hang').map((n) => [n.event, n.state, n.attempts]), [['failed', 'failed', 2]]);
  assert.match(byPath('/hang')[0]!.last?.error ?? '', /timeout/);
  const flaky = rx.received.filter((r) => r.path === '/flaky');
  assert.equal(flaky.length, 2);
  assert.equal(flaky[0]!.body.id, flaky[1]!.body.id, 'a retry carries the same event id');

  // The deployment was not held up by any of it.
  const s = await h.status();
  assert.equal(s.deployment.phase, 'Aborted');
  assert.equal(s.deployment.abort?.by, 'auto');
  assert.equal(s.jobs.find((j) => j.jobId === h.name)?.state, 'running', 'v1 untouched');
  // The status shows the deliveries.
  const text = await h.cli(['canary', 'status', h.name]);
  assert.match(text.out, /webhook failed → http:\/\/127\.0\.0\.1:\d+\/hang: failed after 2 attempt\(s\) — did not answer within 300ms \(timeout\)/);
});

test('a good candidate: passed is delivered; a confirm hook answering 403 holds the promotion (nothing stopped), then 200 lets it promote', { timeout: 300_000 }, async (t) => {
  let approve = false;
  const rx = await webhookReceiver(t, {
    '/events': () => ({ status: 200 }),
    '/confirm': () => (approve ? { status: 200, body: 'approved' } : { status: 403, body: 'change freeze until Monday' }),
  });
  const h = await canaryHarness(t, 'hookspass');
  h.startTraffic(1000);
  await h.launch(4);
  const spec = h.spec({ promotion: `{ strategy: savepoint-handoff, mode: warm, confirm: { url: "${rx.url}/confirm", timeout: 2s } }`, extra: `notify: [{ url: "${rx.url}/events", on: [passed, promoted, failed, rolledBack] }]` });
  const start = await h.cli(['canary', 'start', spec]);
  assert.equal(start.code, 0, start.err);
  const gate = await h.cli(['canary', 'gate', h.name, '--wait', '--timeout', '150s']);
  assert.equal(gate.code, 0, `gate: ${gate.out} ${gate.err}`);
  await waitFor(() => rx.events('/events').includes('passed'), { timeoutMs: 30_000, intervalMs: 200, message: 'passed delivered' });

  const held = await h.cli(['canary', 'promote', h.name]);
  assert.notEqual(held.code, 0, 'a held promotion is not a success');
  assert.match(held.err, new RegExp(`the confirm hook at ${rx.url}/confirm answered 403 \\("change freeze until Monday"\\): the promotion of ${h.name} is held\\. Nothing was stopped; ${h.name} stays Passed\\.`));
  let s = await h.status();
  assert.equal(s.deployment.phase, 'Passed');
  assert.equal(s.deployment.jobs.live, h.name, 'v1 is still the authoritative job');
  assert.equal(s.deployment.pending.length, 0);
  assert.equal(s.jobs.find((j) => j.jobId === h.name)?.state, 'running');
  assert.equal(s.jobs.find((j) => j.jobId === `${h.name}.candidate`)?.state, 'running', 'the candidate keeps shadowing');
  const asked = rx.received.filter((r) => r.path === '/confirm');
  assert.equal(asked.length, 1);
  assert.equal(asked[0]!.body.event, 'confirm-promotion');
  assert.equal(asked[0]!.body.phase, 'Passed');

  approve = true;
  const promote = await h.cli(['canary', 'promote', h.name, '--json']);
  assert.equal(promote.code, 0, promote.err);
  s = await h.status();
  assert.equal(s.deployment.phase, 'Promoted');
  assert.equal(s.deployment.jobs.live, `${h.name}.candidate`);
  // The promote command ends once its events are delivered: the promoted event is there already.
  assert.deepEqual(rx.events('/events'), ['passed', 'promoted']);
  const promoted = rx.received.find((r) => r.body.event === 'promoted')!;
  assert.match(String((promoted.body.action as { by: string }).by), /via cli/);
  assert.ok((promoted.body.promotion as { pitStop: { outputGapMs?: number } }).pitStop.outputGapMs !== undefined, 'the pit stop is in the event');
  assert.equal(rx.received.filter((r) => r.path === '/confirm').length, 2);
  assert.deepEqual((await notifyLog(h)).map((n) => [n.event, n.state]), [['passed', 'delivered'], ['promoted', 'delivered']]);

  // A rollback is told too, with who asked and why; the hook is not asked again.
  const rollback = await h.cli(['canary', 'rollback', h.name, '--reason', 'latency regression']);
  assert.equal(rollback.code, 0, rollback.err);
  assert.deepEqual(rx.events('/events'), ['passed', 'promoted', 'rolledBack']);
  const rolled = rx.received.find((r) => r.body.event === 'rolledBack')!;
  assert.deepEqual([(rolled.body.action as { command: string }).command, (rolled.body.action as { reason: string }).reason], ['rollback', 'latency regression']);
  assert.equal(rolled.body.phase, 'RolledBack');
  assert.equal(rx.received.filter((r) => r.path === '/confirm').length, 2);
});

test('auto promotion held by the confirm hook: recorded Passed, the supervisor asks again, and promotes once the hook says yes', { timeout: 300_000 }, async (t) => {
  const rx = await webhookReceiver(t, {
    '/events': () => ({ status: 200 }),
    '/confirm': (n) => (n <= 2 ? { status: 409, body: 'not yet' } : { status: 200 }),
  });
  const h = await canaryHarness(t, 'hooksauto');
  h.startTraffic(1000);
  await h.launch(4);
  const spec = h.spec({ promotion: `{ strategy: savepoint-handoff, mode: warm, auto: true, confirm: { url: "${rx.url}/confirm" } }`, extra: `notify: [{ url: "${rx.url}/events", on: [passed, promoted] }]` });
  const start = await h.cli(['canary', 'start', spec]);
  assert.equal(start.code, 0, start.err);

  const d = await waitFor(async () => {
    const s = await h.status();
    return s.deployment.phase === 'Promoted' && s.deployment.pending.length === 0 ? s.deployment : undefined;
  }, { timeoutMs: 200_000, intervalMs: 1000, message: `promoted by the supervisor (confirm asked ${rx.events('/confirm').length} times)` });
  assert.equal(d.jobs.live, `${h.name}.candidate`);
  assert.equal(rx.received.filter((r) => r.path === '/confirm').length, 3, 'asked until it approved, then no more');
  // The held pass is in the history, with the hook's answer.
  const history = await new KafkaDeploymentStore(h.k.kafka, { topic: h.env.PITLANE_STORE!.slice('kafka:'.length) }).history(h.name);
  const held = history.find((e) => e.event.type === 'verdict' && e.event.held !== undefined);
  assert.equal(held?.to, 'Passed');
  assert.match(held?.event.type === 'verdict' ? (held.event.held ?? '') : '', /^the confirm hook at http:\/\/127\.0\.0\.1:\d+\/confirm answered 409 \("not yet"\)$/);
  await waitFor(() => rx.events('/events').includes('promoted'), { timeoutMs: 30_000, intervalMs: 200, message: 'promoted delivered' });
  assert.deepEqual(rx.events('/events'), ['passed', 'promoted']);
  const promoted = rx.received.find((r) => r.body.event === 'promoted')!;
  assert.equal((promoted.body.action as { by: string }).by, 'auto (the confirm hook asked again)');
});
