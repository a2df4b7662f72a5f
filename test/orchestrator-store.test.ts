import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, appendFile, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kafkaForTest, uniqueName } from './support/kafka.ts';
import { KafkaDeploymentStore } from '../src/orchestrator/store/kafka-store.ts';
import { LocalDeploymentStore } from '../src/orchestrator/store/local-store.ts';
import type { DeploymentStore } from '../src/orchestrator/store/port.ts';
import { newDeployment, type Deployment, type TransitionEntry } from '../src/orchestrator/lifecycle/model.ts';
import { parseDeploymentSpec } from '../src/orchestrator/spec/load.ts';
import { StoreError } from '../src/errors.ts';
import { savepointRecord } from '../src/orchestrator/savepoints/record.ts';

function spec(name: string) {
  return parseDeploymentSpec(
    `name: ${name}\ninputs: [in]\nauthoritative: { job: v1.ts, version: v1, output: out }\ncandidate: { job: v2.ts, canary: out-canary, parallelism: 2 }\n`,
    'test.yaml',
  );
}

function entry(d: Deployment, phase: Deployment['phase'] = d.phase): TransitionEntry {
  const record = { ...d, phase };
  return { name: d.name, revision: d.revision, at: d.revision, from: null, to: phase, event: { type: 'create' }, record };
}

const next = (d: Deployment, phase: Deployment['phase']): Deployment => ({ ...d, revision: d.revision + 1, phase });

const isStale = (e: unknown) => e instanceof StoreError && e.code === 'STORE_STALE_REVISION' && e.retriable;

/** The contract both stores keep; run against each with two instances on the same backing store. */
async function contract(a: DeploymentStore, b: DeploymentStore, name: string) {
  assert.equal(await a.load(name), undefined);
  const d1 = newDeployment(spec(name), 1);
  await a.append(entry(d1));
  // Another instance sees the write.
  assert.equal((await b.load(name))?.revision, 1);
  const d2 = next(d1, 'Forking');
  await b.append(entry(d2));
  assert.equal((await a.load(name))?.phase, 'Forking');
  // A writer that loaded revision 1 is stale now: its revision 2 is refused.
  await assert.rejects(a.append(entry(next(d1, 'Aborted'))), isStale);
  // Skipping a revision is refused, and so is creating a name that exists.
  await assert.rejects(a.append(entry({ ...d2, revision: 4 })), isStale);
  await assert.rejects(a.append(entry(d1)), isStale);
  const d3 = next(d2, 'Shadowing');
  await a.append(entry(d3));
  const hist = await b.history(name);
  assert.deepEqual(hist.map((h) => [h.revision, h.to]), [[1, 'Pending'], [2, 'Forking'], [3, 'Shadowing']], 'full history, in order');
  assert.ok((await b.list()).some((d) => d.name === name && d.revision === 3));
  await savepointContract(a, b, name);
}

/** The savepoint history: one entry per id, last writer wins, removal seen by the other instance; deployments untouched. */
async function savepointContract(a: DeploymentStore, b: DeploymentStore, name: string) {
  const one = savepointRecord({ location: `/sp/${name}/1`, completedAt: 10 }, { engine: 'embedded', job: name, trigger: 'manual' });
  const two = savepointRecord({ location: `/sp/${name}/2`, completedAt: 20 }, { engine: 'flink', cluster: 'http://127.0.0.1:8081', job: name, trigger: 'fork', deployment: { name, generation: 1 } });
  await a.putSavepoint(one);
  await b.putSavepoint(two);
  const byId = async (s: DeploymentStore) => Object.fromEntries((await s.savepoints()).map((r) => [r.id, r]));
  assert.deepEqual(await byId(a), { [one.id]: one, [two.id]: two });
  // Recording the same savepoint again is the same entry.
  await a.putSavepoint({ ...two, trigger: 'handoff' });
  assert.deepEqual(Object.keys(await byId(b)).sort(), [one.id, two.id].sort());
  assert.equal((await byId(b))[two.id]?.trigger, 'handoff');
  await b.removeSavepoint(one.id);
  await b.removeSavepoint(one.id);
  assert.deepEqual(Object.keys(await byId(a)), [two.id]);
  // A step's savepoints are stored with the step's append, and a refused append stores none.
  const d3 = (await a.load(name))!;
  const three = savepointRecord({ location: `/sp/${name}/3`, completedAt: 30 }, { engine: 'embedded', job: name, trigger: 'handoff', deployment: { name, generation: 1 } });
  const refused = savepointRecord({ location: `/sp/${name}/refused`, completedAt: 31 }, { engine: 'embedded', job: name, trigger: 'handoff' });
  await assert.rejects(b.append(entry(d3), [refused]), isStale);
  await a.append(entry(next(d3, 'Promoting')), [three]);
  assert.deepEqual(Object.keys(await byId(b)).sort(), [two.id, three.id].sort());
  // The history is not a deployment and changes none.
  assert.equal((await a.load(name))?.revision, 4);
  assert.ok((await a.list()).every((d) => typeof d.phase === 'string'));
}

test('kafka store: two instances see each other, a stale writer is refused, history is kept', async (t) => {
  const k = kafkaForTest(t);
  const topic = uniqueName('store');
  k.trackTopic(topic);
  const a = new KafkaDeploymentStore(k.kafka, { topic });
  const b = new KafkaDeploymentStore(k.kafka, { topic });
  await contract(a, b, 'fraud');
  // The topic is compacted (latest record per key) and the history survives compaction by its distinct keys.
  const other = newDeployment(spec('orders'), 1);
  await b.append(entry(other));
  assert.deepEqual((await a.list()).map((d) => d.name), ['fraud', 'orders']);
});

test('kafka store: a concurrent writer is fenced, so only one of two racing appends lands', async (t) => {
  const k = kafkaForTest(t);
  const topic = uniqueName('store-race');
  k.trackTopic(topic);
  const other = new KafkaDeploymentStore(k.kafka, { topic });
  const d1 = newDeployment(spec('race'), 1);
  await other.append(entry(d1));
  // Writer A has read revision 1 and is about to write revision 2 (Promoting)
  // when writer B appends its own revision 2 (Aborted) in between.
  let bDone = false;
  const a = new KafkaDeploymentStore(k.kafka, {
    topic,
    afterRead: async () => {
      if (bDone) return;
      await other.append(entry(next(d1, 'Aborted')));
      bDone = true;
    },
  });
  await assert.rejects(a.append(entry(next(d1, 'Promoting'))), isStale, 'a fenced append is a stale revision: the controller reloads and judges its command again');
  assert.ok(bDone);
  const reader = new KafkaDeploymentStore(k.kafka, { topic });
  const final = await reader.load('race');
  assert.equal(final?.phase, 'Aborted', "B's write stands");
  assert.deepEqual((await reader.history('race')).map((h) => h.to), ['Pending', 'Aborted'], "A's fenced write never became visible");
});

test('local store: the same contract on a real directory', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pitlane-store-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await contract(new LocalDeploymentStore(dir), new LocalDeploymentStore(dir), 'fraud');
  const view = JSON.parse(await readFile(join(dir, 'fraud.json'), 'utf8')) as Deployment;
  assert.equal(view.revision, 4, 'the per-deployment file shows the latest record');
});

test('local store: a directory not made yet lists nothing; one that cannot be listed is an error, not an empty store', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pitlane-store-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const missing = new LocalDeploymentStore(join(dir, 'not-yet'));
  assert.deepEqual(await missing.list(), []);
  assert.deepEqual(await missing.savepoints(), []);
  await writeFile(join(dir, 'a-file'), 'not a directory');
  const file = new LocalDeploymentStore(join(dir, 'a-file'));
  for (const call of [() => file.list(), () => file.savepoints(), () => file.notifications('fraud')]) {
    await assert.rejects(call(), (e: unknown) => e instanceof StoreError && e.code === 'STORE_UNREADABLE' && /ENOTDIR/.test(e.message));
  }
});

test('local store: a torn last line is ignored and cut off; a view left behind is repaired', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pitlane-store-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const s = new LocalDeploymentStore(dir);
  const d1 = newDeployment(spec('torn'), 1);
  await s.append(entry(d1));
  await appendFile(join(dir, 'torn.transitions.jsonl'), '{"name":"torn","revision":2,"rec'); // crash mid-append
  assert.equal((await s.load('torn'))?.revision, 1);
  await s.append(entry(next(d1, 'Forking')));
  assert.deepEqual((await s.history('torn')).map((h) => h.revision), [1, 2]);
  // Crash after the log line but before the view rename: the view is stale, load repairs it.
  await writeFile(join(dir, 'torn.json'), JSON.stringify(d1));
  assert.equal((await s.load('torn'))?.revision, 2);
  assert.equal((JSON.parse(await readFile(join(dir, 'torn.json'), 'utf8')) as Deployment).revision, 2);
});

test('local store: racing appends from two instances — exactly one wins', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pitlane-store-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const d1 = newDeployment(spec('race'), 1);
  await new LocalDeploymentStore(dir).append(entry(d1));
  const results = await Promise.allSettled(
    (['Promoting', 'Aborted', 'Shadowing', 'Failed'] as const).map((p) => new LocalDeploymentStore(dir).append(entry(next(d1, p)))),
  );
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
  for (const r of results) if (r.status === 'rejected') assert.ok(isStale(r.reason));
  assert.equal((await new LocalDeploymentStore(dir).history('race')).length, 2);
});

test('local store: a lock left by a dead process is broken', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pitlane-store-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'stale.lock'), '999999999');
  await new LocalDeploymentStore(dir).append(entry(newDeployment(spec('stale'), 1)));
  await writeFile(join(dir, 'held.lock'), String(process.pid));
  await assert.rejects(new LocalDeploymentStore(dir, 3).append(entry(newDeployment(spec('held'), 1))), (e: unknown) => e instanceof StoreError && e.code === 'STORE_LOCKED');
});
