/**
 * Deliveries survive the process that recorded the event: an event appended by a
 * process that died before delivering it (here: a controller without a notifier)
 * is delivered by the next orchestrator that resumes the deployment — the real
 * composition (create.ts), a `dir:` store and a real receiver on 127.0.0.1 — and
 * once delivered it is not sent again. A delivery left pending after some
 * attempts continues from them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOrchestrator } from '../src/orchestrator/create.ts';
import { LocalDeploymentStore } from '../src/orchestrator/store/local-store.ts';
import { silentLogger } from '../src/logger.ts';
import type { KafkaPort } from '../src/kafka/port.ts';
import { history, done } from '../src/orchestrator/notify/test-support.ts';
import { webhookReceiver } from './support/webhook-receiver.ts';

test('an event recorded but not delivered is delivered by the next process, once', async (t) => {
  const rx = await webhookReceiver(t, { '/hook': () => ({ status: 200 }), '/late': () => ({ status: 200 }) });
  const dir = mkdtempSync(join(tmpdir(), 'pl-notify-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const storeDir = join(dir, 'store');
  // The process that recorded the fail died right after its append: nothing was sent.
  const hooks = `notify:\n  - { url: "${rx.url}/hook" }\n  - { url: "${rx.url}/late" }\n`;
  const entries = history([[{ type: 'start' }, { phase: 'Forking' }], [done('a'), { phase: 'Shadowing' }], [{ type: 'verdict', status: 'fail', reason: 'count' }, { phase: 'Failed', verdict: { status: 'fail', at: Date.now(), reason: 'count' } }]], hooks).map((e) => ({ ...e, at: Date.now() }));
  const store = new LocalDeploymentStore(storeDir);
  for (const e of entries) await store.append(e);
  // …and the other webhook had had one failed attempt before it.
  await store.putNotification({ id: 'fraud@4.failed#1', eventId: 'fraud@4.failed', deployment: 'fraud', generation: 1, event: 'failed', hook: 1, url: `${rx.url}/late`, state: 'pending', attempts: 1, last: { at: Date.now(), status: 503 }, eventAt: Date.now(), updatedAt: Date.now() });
  assert.equal(rx.received.length, 0);

  const next = () => createOrchestrator({ connection: { brokers: ['127.0.0.1:1'] } as never, kafka: {} as KafkaPort, logger: silentLogger(), store: `dir:${storeDir}`, stateDir: join(dir, 'state') });
  const orch = next();
  await orch.controller.resume('fraud');
  await orch.close(); // a command ends once what it owes is delivered
  assert.deepEqual(rx.events('/hook'), ['failed']);
  assert.deepEqual(rx.events('/late'), ['failed']);
  assert.equal(rx.received[0]!.body.id, 'fraud@4.failed');
  const log = (await store.notifications('fraud')).sort((a, b) => a.hook - b.hook);
  assert.deepEqual(log.map((n) => [n.id, n.state, n.attempts]), [['fraud@4.failed#0', 'delivered', 1], ['fraud@4.failed#1', 'delivered', 2]]);

  // A third process owes nothing: no duplicate.
  const third = next();
  await third.controller.resume('fraud');
  await third.close();
  assert.equal(rx.received.length, 2);
});
