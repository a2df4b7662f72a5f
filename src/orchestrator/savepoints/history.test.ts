import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryDeploymentStore } from '../store/port.ts';
import { newDeployment, type TransitionEntry } from '../lifecycle/model.ts';
import { SPEC } from '../lifecycle/test-support.ts';
import { silentLogger } from '../../logger.ts';
import { PromotionError } from '../../errors.ts';
import { SavepointHistory } from './history.ts';
import { savepointRecord, type SavepointRecord } from './record.ts';

const DAY = 86_400_000;

function setup(failOn?: string) {
  const store = new MemoryDeploymentStore();
  const disposed: string[] = [];
  const history = new SavepointHistory(
    store,
    async (r: SavepointRecord) => {
      if (r.location === failOn) throw new Error('disk on fire');
      disposed.push(r.location);
    },
    { now: () => 10 * DAY },
    silentLogger(),
  );
  const take = (n: number, day: number, more: { deployment?: { name: string; generation: number } } = {}) =>
    history.record(savepointRecord({ location: `/sp/${n}`, completedAt: day * DAY }, { engine: 'embedded', job: 'fraud', trigger: 'manual', ...more }));
  return { store, history, disposed, take };
}

test('retain: files first, then the entry; a disposal that fails keeps its entry and the others go on', async () => {
  const s = setup('/sp/2');
  for (const [n, day] of [[1, 1], [2, 2], [3, 3], [4, 9]] as const) await s.take(n, day);
  const dry = await s.history.retain({ maxAgeMs: 5 * DAY }, {}, { dryRun: true });
  assert.deepEqual(dry.dispose.map((d) => d.record.location).sort(), ['/sp/1', '/sp/2', '/sp/3']);
  assert.deepEqual([s.disposed, (await s.history.list()).length], [[], 4], 'a dry run disposes of nothing');
  const r = await s.history.retain({ maxAgeMs: 5 * DAY });
  assert.deepEqual(r.disposed.map((x) => x.location).sort(), ['/sp/1', '/sp/3']);
  assert.deepEqual(r.failed.map((f) => [f.record.location, f.error]), [['/sp/2', 'disk on fire']]);
  assert.deepEqual((await s.history.list()).map((x) => x.location), ['/sp/4', '/sp/2'], 'newest first; the failed one is still listed');
});

test('dispose: refuses a savepoint a deployment needs, by its entry or by its location when it has none', async () => {
  const s = setup();
  const d = newDeployment(SPEC(), 0);
  const fork = { location: '/sp/fork', sourceOffsets: [], completedAt: DAY };
  const record = { ...d, phase: 'Shadowing' as const, fork: { savepoint: fork } };
  const entry: TransitionEntry = { name: d.name, revision: 1, at: 0, from: null, to: 'Shadowing', event: { type: 'create' }, record };
  await s.store.append(entry);
  await s.take(7, 2, { deployment: { name: 'fraud', generation: 1 } });
  const listed = await s.history.list({ deployment: 'fraud' });
  assert.deepEqual(listed.map((x) => [x.location, x.pin?.reason]), [['/sp/7', 'in flight']]);
  await assert.rejects(s.history.dispose(listed[0]!), (e: unknown) => e instanceof PromotionError && e.code === 'SAVEPOINT_PINNED' && /deployment fraud took it and is not finished/.test(e.message));
  assert.deepEqual(await s.history.pinOf(['/elsewhere', '/sp/fork']), { deployment: 'fraud', reason: 'fork source' });
  assert.equal(await s.history.pinOf(['/sp/other']), undefined);
  assert.deepEqual(s.disposed, []);
  // Found by id or by location.
  assert.equal((await s.history.find(listed[0]!.id))?.location, '/sp/7');
  assert.equal((await s.history.find('sp/7', '/sp/7'))?.id, listed[0]!.id);
});
