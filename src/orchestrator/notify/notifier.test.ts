/**
 * The notifier with a fake HTTP port (answers scripted per URL) and a fake sleep
 * (the waits are recorded, never slept): retries, backoff, bounded attempts,
 * permanent refusals, and a delivery left pending by one process finished by the next.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryDeploymentStore } from '../store/port.ts';
import { silentLogger } from '../../logger.ts';
import { Notifier, backoffDelay, MAX_BACKOFF_MS } from './notifier.ts';
import type { PostJson, PostOutcome, PostRequest } from './http.ts';
import { LINKS, PROMOTED, history, done } from './test-support.ts';
import type { TransitionEntry } from '../lifecycle/model.ts';

async function storeWith(entries: readonly TransitionEntry[]): Promise<MemoryDeploymentStore> {
  const store = new MemoryDeploymentStore();
  for (const e of entries) await store.append(e);
  return store;
}

/** Answers each URL from its script in turn (the last answer repeats); records every request. */
function fakePost(scripts: Record<string, readonly PostOutcome[]>) {
  const calls: PostRequest[] = [];
  const post: PostJson = async (r) => {
    calls.push(r);
    const key = Object.keys(scripts).find((k) => r.url.includes(k))!;
    const n = calls.filter((c) => c.url === r.url).length;
    const script = scripts[key]!;
    return script[Math.min(n, script.length) - 1]!;
  };
  return { post, calls };
}

const ok: PostOutcome = { answered: true, status: 204, excerpt: '' };
const e500: PostOutcome = { answered: true, status: 500, excerpt: 'boom' };
const timeout: PostOutcome = { answered: false, error: 'did not answer within 100ms (timeout)' };

function notifier(store: MemoryDeploymentStore, post: PostJson, sleeps: number[] = []) {
  let t = 50_000;
  return new Notifier({ store, post, clock: { now: () => ++t }, sleep: async (ms) => void sleeps.push(ms), logger: silentLogger(), reportLinks: () => LINKS });
}

const ONE_HOOK = 'notify: [{ url: "http://127.0.0.1:9/hook", attempts: 4, backoff: 100ms, timeout: 250ms }]\n';
const FAILED = history([[{ type: 'start' }, { phase: 'Forking' }], [done('a'), { phase: 'Shadowing' }], [{ type: 'verdict', status: 'fail', reason: 'count' }, { phase: 'Failed', verdict: { status: 'fail', at: 3, reason: 'count' } }]], ONE_HOOK);

test('backoff doubles from the initial delay and stops growing at a minute', () => {
  assert.deepEqual([1, 2, 3, 4].map((n) => backoffDelay(1000, n)), [1000, 2000, 4000, 8000]);
  assert.equal(backoffDelay(1000, 30), MAX_BACKOFF_MS);
});

test('a 500 then a 204: retried after the backoff, recorded delivered with the attempts it took', async () => {
  const store = await storeWith(FAILED);
  const { post, calls } = fakePost({ hook: [e500, e500, ok] });
  const sleeps: number[] = [];
  const [r] = await notifier(store, post, sleeps).deliverOwed('fraud');
  assert.equal(r?.state, 'delivered');
  assert.equal(r?.attempts, 3);
  assert.deepEqual(sleeps, [100, 200]);
  assert.equal(calls.length, 3);
  // Every attempt is the same event: same body, same id in the headers, the spec's timeout.
  assert.deepEqual(new Set(calls.map((c) => JSON.stringify(c.body))).size, 1);
  assert.equal(calls[0]!.headers?.['idempotency-key'], 'fraud@4.failed');
  assert.equal(calls[0]!.headers?.['x-pitlane-event'], 'failed');
  assert.equal(calls[0]!.timeoutMs, 250);
  assert.deepEqual((await store.notifications('fraud')).map((n) => [n.id, n.state, n.attempts, n.last?.status]), [['fraud@4.failed#0', 'delivered', 3, 204]]);
  // Nothing is owed any more: a second pass sends nothing.
  assert.deepEqual(await notifier(store, post).deliverOwed('fraud'), []);
  assert.equal(calls.length, 3);
});

test('a receiver that never answers: bounded attempts, then failed with why; the next process does not retry it', async () => {
  const store = await storeWith(FAILED);
  const { post, calls } = fakePost({ hook: [timeout] });
  const sleeps: number[] = [];
  const [r] = await notifier(store, post, sleeps).deliverOwed('fraud');
  assert.equal(r?.state, 'failed');
  assert.equal(r?.attempts, 4);
  assert.deepEqual(sleeps, [100, 200, 400]);
  assert.match(r?.last?.error ?? '', /timeout/);
  assert.equal(r?.last?.status, undefined);
  assert.deepEqual(await notifier(store, post).deliverOwed('fraud'), []);
  assert.equal(calls.length, 4);
});

test('a 404 is not retried (no retry changes it); a 429 is', async () => {
  const store = await storeWith(FAILED);
  const { post, calls } = fakePost({ hook: [{ answered: true, status: 404, excerpt: 'no such hook' }] });
  const [r] = await notifier(store, post).deliverOwed('fraud');
  assert.equal(r?.state, 'failed');
  assert.equal(calls.length, 1);
  assert.match(r?.last?.error ?? '', /answered 404 \("no such hook"\)/);
  const again = await storeWith(FAILED);
  const busy = fakePost({ hook: [{ answered: true, status: 429, excerpt: '' }, ok] });
  assert.equal((await notifier(again, busy.post).deliverOwed('fraud'))[0]?.state, 'delivered');
});

test('a delivery a process left pending is finished by the next, from the attempts it had made', async () => {
  const store = await storeWith(FAILED);
  // The first process: two failed attempts recorded, then it dies (its store writes stop).
  let writes = 0;
  const dying = Object.assign(Object.create(store) as MemoryDeploymentStore, {
    putNotification: async (r: Parameters<MemoryDeploymentStore['putNotification']>[0]) => {
      if (++writes > 2) throw new Error('process gone');
      await store.putNotification(r);
    },
  });
  await notifier(dying, fakePost({ hook: [timeout] }).post).deliverOwed('fraud');
  assert.deepEqual((await store.notifications('fraud')).map((n) => [n.state, n.attempts]), [['pending', 2]]);
  // The next process (canary resume, the supervisor): two attempts left, the first one answers.
  const next = fakePost({ hook: [ok] });
  const sleeps: number[] = [];
  const [r] = await notifier(store, next.post, sleeps).deliverOwed('fraud');
  assert.deepEqual([r?.state, r?.attempts], ['delivered', 3]);
  assert.deepEqual(sleeps, [200], 'it waits the backoff the third attempt is due');
});

test('webhooks are delivered side by side, each in event order; a dead one delays no other', async () => {
  const store = await storeWith(PROMOTED);
  const { post, calls } = fakePost({ '/all': [timeout], '/promoted': [ok] });
  const n = notifier(store, post);
  n.kick('fraud');
  n.kick('fraud');
  await n.flush();
  const log = await store.notifications('fraud');
  assert.deepEqual(log.map((r) => [r.id, r.state]).sort(), [
    ['fraud@10.rolledBack#0', 'failed'],
    ['fraud@5.passed#0', 'failed'],
    ['fraud@8.promoted#0', 'failed'],
    ['fraud@8.promoted#1', 'delivered'],
  ]);
  assert.equal(log.find((r) => r.hook === 1)?.url, 'http://127.0.0.1:9/promoted', 'no query (it may hold a secret) in the log');
  const all = calls.filter((c) => c.url.endsWith('/all')).map((c) => (c.body as { event: string }).event);
  assert.deepEqual([...new Set(all)], ['passed', 'promoted', 'rolledBack'], 'in event order');
  assert.equal(calls.filter((c) => c.url.includes('/promoted')).length, 1, 'the live receiver got its one event once, not after the dead one');
});

test('a store that cannot record the outcome never throws into the caller', async () => {
  const store = await storeWith(FAILED);
  const broken = Object.assign(Object.create(store) as MemoryDeploymentStore, { putNotification: async () => Promise.reject(new Error('broker down')) });
  const [r] = await notifier(broken, fakePost({ hook: [ok] }).post).deliverOwed('fraud');
  assert.equal(r?.state, 'delivered');
  const unreadable = Object.assign(Object.create(store) as MemoryDeploymentStore, { history: async () => Promise.reject(new Error('broker down')) });
  const n = notifier(unreadable, fakePost({ hook: [ok] }).post);
  n.kick('fraud');
  await n.flush();
});
