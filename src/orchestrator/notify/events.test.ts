import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventBody, lifecycleEvents, outbox, owesDelivery } from './events.ts';
import type { NotificationRecord } from './record.ts';
import { LINKS, PROMOTED, done, history } from './test-support.ts';

test('the lifecycle events of a history, each with a stable id and the command that caused it', () => {
  const evs = lifecycleEvents(PROMOTED);
  assert.deepEqual(evs.map((e) => e.id), ['fraud@5.passed', 'fraud@8.promoted', 'fraud@10.rolledBack']);
  assert.equal(evs[1]!.cause?.event.type, 'promote');
  assert.equal(evs[2]!.cause?.revision, 9);
  // The same history read by another process gives the same ids.
  assert.deepEqual(lifecycleEvents(structuredClone(PROMOTED)).map((e) => e.id), evs.map((e) => e.id));
});

test('a fail with auto promotion is both failed and aborted; a preflight refusal is aborted', () => {
  const auto = history([
    [{ type: 'start' }, { phase: 'Forking' }],
    [done('a'), { phase: 'Shadowing' }],
    [{ type: 'verdict', status: 'fail', reason: 'key-coverage 0.4 < 0.9' }, { phase: 'Aborted', verdict: { status: 'fail', at: 3000, reason: 'key-coverage 0.4 < 0.9' }, abort: { at: 3000, by: 'auto', reason: 'the gate failed' } }],
    [done('b'), { phase: 'Aborted' }],
  ]);
  assert.deepEqual(lifecycleEvents(auto).map((e) => e.id), ['fraud@4.failed', 'fraud@4.aborted']);
  const refused = history([[{ type: 'start' }, { phase: 'Forking' }], [done('a'), { phase: 'Aborted', abort: { at: 2, by: 'preflight', reason: 'state changed type' } }]]);
  assert.deepEqual(lifecycleEvents(refused).map((e) => e.event), ['aborted']);
});

test('owesDelivery: only an entry that is an event some webhook subscribes to', () => {
  const only = history([[{ type: 'start' }, { phase: 'Forking' }], [{ type: 'verdict', status: 'fail' }, { phase: 'Failed' }]], 'notify: [{ url: "http://h/x", on: [promoted] }]\n');
  assert.equal(owesDelivery(only[1]!.record, only[2]!), false, 'a fail nobody subscribes to');
  assert.equal(owesDelivery(PROMOTED[6]!.record, PROMOTED[7]!), true, 'promoted');
  assert.equal(owesDelivery(PROMOTED[5]!.record, PROMOTED[6]!), false, 'a promotion step');
  const none = history([[{ type: 'verdict', status: 'fail' }, { phase: 'Failed' }]], '');
  assert.equal(owesDelivery(none[0]!.record, none[1]!), false, 'no notify in the spec');
});

test('the outbox: every subscribed (event, webhook) neither delivered nor failed, old events left alone', () => {
  const now = 20_000;
  const all = outbox(PROMOTED, [], now, 3600_000);
  assert.deepEqual(all.map((o) => `${o.event.id}#${o.hook}`), ['fraud@5.passed#0', 'fraud@8.promoted#0', 'fraud@8.promoted#1', 'fraud@10.rolledBack#0']);
  const rec = (id: string, state: NotificationRecord['state'], attempts: number): NotificationRecord => ({ id, eventId: id.split('#')[0]!, deployment: 'fraud', generation: 1, event: 'passed', hook: 0, url: 'u', state, attempts, eventAt: 0, updatedAt: 0 });
  const left = outbox(PROMOTED, [rec('fraud@5.passed#0', 'delivered', 1), rec('fraud@8.promoted#0', 'failed', 5), rec('fraud@8.promoted#1', 'pending', 2)], now, 3600_000);
  assert.deepEqual(left.map((o) => [`${o.event.id}#${o.hook}`, o.record?.attempts]), [['fraud@8.promoted#1', 2], ['fraud@10.rolledBack#0', undefined]]);
  // Past the horizon, an event nobody tried is not sent; one that was begun is finished.
  const late = outbox(PROMOTED, [rec('fraud@8.promoted#1', 'pending', 2)], 10_000 + 3600_000 + 1, 3600_000);
  assert.deepEqual(late.map((o) => `${o.event.id}#${o.hook}`), ['fraud@8.promoted#1']);
});

test('the body: who and why, versions, engines, verdict, pit stop, report links', () => {
  const promoted = lifecycleEvents(PROMOTED)[1]!;
  const b = eventBody(promoted, LINKS);
  assert.equal(b.id, 'fraud@8.promoted');
  assert.equal(b.event, 'promoted');
  assert.equal(b.deployment, 'fraud');
  assert.equal(b.phase, 'Promoted');
  assert.equal(b.at, new Date(8000).toISOString());
  assert.deepEqual(b.versions, { authoritative: 'v1', candidate: null });
  assert.deepEqual(b.engines, { authoritative: 'embedded', candidate: 'embedded' });
  assert.deepEqual(b.verdict, { status: 'pass', reason: 'all checks passed', at: new Date(5000).toISOString() });
  assert.deepEqual((b.promotion as { pitStop: unknown }).pitStop, { outputGapMs: 12 });
  assert.deepEqual(b.action, { command: 'promote', by: 'alice via cli', reason: null, skipConfirm: null });
  assert.deepEqual(b.report, LINKS);
  const rolled = eventBody(lifecycleEvents(PROMOTED)[2]!, LINKS);
  assert.deepEqual(rolled.action, { command: 'rollback', by: 'bob via cli', reason: 'latency', skipConfirm: null });
  assert.equal(eventBody(lifecycleEvents(PROMOTED)[0]!, LINKS).action, null, 'a verdict is no manual command');
  assert.doesNotThrow(() => JSON.stringify(b));
});
