/**
 * The savepoint history end to end, through the real CLI against the real broker
 * (the history lives in the test's own store topic): periodic savepoints of a
 * managed job with the spec's retention, the fork and the handoff of a deployment
 * recorded as its own, retention that keeps exactly the newest N and every savepoint
 * a deployment still needs (fork source while shadowing, rollback after promotion),
 * and an explicit dispose of a needed one refused, naming the deployment.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { canaryHarness, type CliResult } from './canary-harness.ts';

interface Listed {
  readonly id: string;
  readonly job: string;
  readonly location: string;
  readonly trigger: string;
  readonly deployment?: string;
  readonly pin?: { readonly deployment: string; readonly reason: string };
}

const ok = (r: CliResult, what: string): string => {
  assert.equal(r.code, 0, `${what}: ${r.err}`);
  return r.out;
};

test('savepoint history: periodic savepoints, fork and handoff recorded; retention keeps exactly the newest and what a deployment needs', { timeout: 300_000 }, async (t) => {
  const h = await canaryHarness(t, 'sph');
  const spec = h.spec({ extra: 'savepoints: { keepLast: 1, interval: 1s }' });
  const list = async (...filter: string[]): Promise<Listed[]> => (JSON.parse(ok(await h.cli(['savepoint', 'list', ...filter, '--json']), 'list')) as { savepoints: Listed[] }).savepoints;
  /** The history of the authoritative job, newest first, as [trigger, pin reason]. */
  const shape = async () => (await list('--job', h.name)).map((x) => [x.trigger, x.pin?.reason ?? null]);
  h.startTraffic(1000);
  ok(await h.cli(['canary', 'launch', spec, '--parallelism', '2']), 'launch');

  // Periodic at the spec's interval: three savepoints a second apart; after each, the spec keeps the newest one only.
  const periodic = ok(await h.cli(['savepoint', 'trigger', '--spec', spec, '--count', '3', '--json']), 'periodic');
  const taken = periodic.trim().split('\n').map((l) => JSON.parse(l) as { path: string; disposed: string[] });
  assert.equal(taken.length, 3);
  assert.deepEqual(taken.map((x) => x.disposed), [[], [taken[0]!.path], [taken[1]!.path]]);
  assert.deepEqual(taken.map((x) => existsSync(x.path)), [false, false, true]);
  assert.deepEqual(await shape(), [['periodic', null]]);

  // The fork is the deployment's; the orchestrator applies the spec's retention after it.
  ok(await h.cli(['canary', 'start', spec]), 'canary start');
  const [fork] = await list('--deployment', h.name);
  assert.deepEqual([fork?.trigger, fork?.job, fork?.pin], ['fork', h.name, { deployment: h.name, reason: 'fork source' }]);
  assert.equal(existsSync(taken[2]!.path), false, 'the periodic one went: the fork is newer');

  // A newer manual savepoint: keep-last 1 would dispose of the fork, but the deployment shadows from it.
  const manual = JSON.parse(ok(await h.cli(['savepoint', 'trigger', '--spec', spec, '--once', '--json']), 'trigger')) as { path: string; disposed: string[] };
  assert.deepEqual(manual.disposed, []);
  assert.deepEqual(await shape(), [['manual', null], ['fork', 'fork source']]);
  const refusedFork = await h.cli(['savepoint', 'dispose', fork!.location]);
  assert.equal(refusedFork.code, 3);
  assert.match(refusedFork.err, new RegExp(`SAVEPOINT_PINNED.*deployment ${h.name} forked from it`));
  assert.ok(existsSync(fork!.location));

  // Promoted (warm): the old job's final savepoint is the rollback savepoint; the fork is released and goes.
  assert.equal((await h.cli(['canary', 'gate', h.name, '--wait', '--timeout', '120s'])).code, 0);
  const pr = await h.cli(['canary', 'promote', h.name]);
  if (pr.code !== 0) {
    const d = (await h.status()).deployment;
    assert.fail(`promote: ${pr.err} (now ${d.phase} at revision ${d.revision}, verdict ${JSON.stringify(d.verdict)})`);
  }
  const promoted = (await h.status()).deployment;
  assert.equal(promoted.phase, 'Promoted');
  const rollback = promoted.promotion!.rollbackSavepoint!.location;
  assert.deepEqual(await shape(), [['handoff', 'rollback']]);
  assert.deepEqual((await list('--job', h.name))[0]!.location, rollback);
  assert.deepEqual([existsSync(fork!.location), existsSync(manual.path), existsSync(rollback)], [false, false, true]);

  // The old version runs again under its name and takes a newer savepoint: the rollback one is still kept.
  ok(await h.cli(['canary', 'launch', spec, '--parallelism', '2', '--from', 'latest']), 'relaunch');
  const after = JSON.parse(ok(await h.cli(['savepoint', 'trigger', '--spec', spec, '--once', '--json']), 'trigger after promotion')) as { path: string; disposed: string[] };
  assert.deepEqual(after.disposed, [], 'retention disposed of nothing: the rollback savepoint is needed');
  assert.deepEqual(await shape(), [['manual', null], ['handoff', 'rollback']]);
  // The same from the command line, with a policy that would take everything but the newest.
  const retain = JSON.parse(ok(await h.cli(['savepoint', 'dispose', '--past-retention', '--keep-last', '1', '--max-age', '0s', '--job', h.name, '--json']), 'retention')) as { disposed: unknown[]; kept: { location: string; pin?: { reason: string } }[] };
  assert.deepEqual(retain.disposed, []);
  assert.deepEqual(retain.kept.map((k) => [k.location, k.pin?.reason ?? null]), [[after.path, null], [rollback, 'rollback']]);
  const refused = await h.cli(['savepoint', 'dispose', rollback]);
  assert.equal(refused.code, 3);
  assert.match(refused.err, new RegExp(`SAVEPOINT_PINNED.*deployment ${h.name} needs it for a rollback`));
  assert.ok(existsSync(rollback), 'the rollback savepoint is untouched');

  // One that nothing needs is disposed of by its id: files, then entry.
  const newest = (await list('--job', h.name))[0]!;
  ok(await h.cli(['savepoint', 'dispose', newest.id]), 'dispose by id');
  assert.equal(existsSync(newest.location), false);
  assert.deepEqual(await shape(), [['handoff', 'rollback']]);
});
