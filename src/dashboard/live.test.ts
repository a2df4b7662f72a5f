import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../logger.ts';
import type { Deployment } from '../orchestrator/lifecycle/model.ts';
import { StoreWatcher, type LiveEvent } from './live.ts';
import { deployment } from './test-support.ts';

test('StoreWatcher: changes, removals and new reports; an unreachable store keeps the last read and recovers', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pl-live-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let list: Deployment[] | Error = [deployment('a', 'Shadowing', { revision: 3 }), deployment('b', 'Promoted', { revision: 9 })];
  let clock = 0;
  const w = new StoreWatcher({ list: async () => (list instanceof Error ? Promise.reject(list) : list), reportFile: (n) => join(dir, `${n}.json`), intervalMs: 1_000_000, logger: silentLogger(), now: () => (clock += 5) });
  const events: LiveEvent[] = [];
  w.subscribe((e) => events.push(e));

  await w.poll();
  assert.deepEqual(events.shift(), { type: 'store', up: true, message: null });
  assert.deepEqual(events.shift(), { type: 'change', changed: [{ name: 'a', revision: 3, phase: 'Shadowing', verdict: null }, { name: 'b', revision: 9, phase: 'Promoted', verdict: null }], removed: [], reports: [] });
  await w.poll();
  assert.deepEqual(events, [], 'nothing changed, nothing said');

  writeFileSync(join(dir, 'a.json'), '{}');
  list = [deployment('a', 'Analyzing', { revision: 4 })];
  await w.poll();
  assert.deepEqual(events.shift(), { type: 'change', changed: [{ name: 'a', revision: 4, phase: 'Analyzing', verdict: null }], removed: ['b'], reports: ['a'] });

  list = new Error('broker down');
  await w.poll();
  await w.poll();
  assert.deepEqual(events.splice(0), [{ type: 'store', up: false, message: 'broker down' }], 'said once');
  assert.equal(w.snapshot().up, false);
  assert.deepEqual(w.snapshot().deployments.map((d) => d.name), ['a'], 'the last read is still shown');

  list = [deployment('a', 'Analyzing', { revision: 4 })];
  await w.poll();
  assert.deepEqual(events.splice(0), [{ type: 'store', up: true, message: null }]);
  assert.equal(w.snapshot().readMs, 5);
});

test('StoreWatcher: a store that does not answer is said down while the read goes on, and up when it answers', async () => {
  let release: (l: Deployment[]) => void = () => undefined;
  const w = new StoreWatcher({ list: () => new Promise<Deployment[]>((r) => (release = r)), reportFile: (n) => join(tmpdir(), `pl-live-none-${n}.json`), intervalMs: 10, slowMs: 30, logger: silentLogger(), now: Date.now });
  const events: LiveEvent[] = [];
  w.subscribe((e) => events.push(e));
  const polling = w.poll();
  await new Promise((r) => setTimeout(r, 80));
  assert.deepEqual(events.splice(0), [{ type: 'store', up: false, message: 'the store has not answered for 0.03 s (still trying)' }]);
  assert.equal(w.snapshot().up, false);
  release([deployment('a', 'Shadowing', { revision: 1 })]);
  await polling;
  assert.deepEqual(events.shift(), { type: 'store', up: true, message: null });
  assert.equal(w.snapshot().up, true);
});
