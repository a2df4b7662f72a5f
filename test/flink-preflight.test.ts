/**
 * The Flink preflight (issue 14, part 3) against a real cluster and broker, through the
 * CLI: fraud v1 runs on Flink, `pitlane flink savepoint` takes a savepoint while it
 * runs, and `pitlane savepoint check` judges candidates built from their jars —
 * fraud v2 (its Profile gains a field: compatible, a migration), v2 with the keyed
 * step's uid renamed (its state has no operator), v2 with another max parallelism,
 * and a version whose Profile.count changed type (int → long). Each refusal names the
 * uid, the state and the fix; v1 runs throughout. The Flink adapter's preflight (what
 * the orchestrator calls before anything stops) refuses the same way.
 *
 * The cluster: FLINK_REST_URL when set (a shared one), else one started here in an
 * owned dev dir and stopped at the end.
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { devDown } from '../src/dev/launcher.ts';
import { devUpFlink } from '../src/dev/flink-launcher.ts';
import { cacheRoot } from '../src/dev/paths.ts';
import { buildFlinkJobs, FLINK_ENTRY_CLASSES } from '../src/dev/flink-jobs-build.ts';
import { flinkSavepointTool } from '../src/dev/flink-savepoint-tool.ts';
import { FlinkAdapter } from '../src/engines/flink/adapter.ts';
import { DEFAULT_FLINK_ARGS } from '../src/engines/flink/args.ts';
import { silentLogger } from '../src/logger.ts';
import { generateTransactions } from '../examples/fraud/generate.ts';
import type { Transaction } from '../examples/fraud/model.ts';
import { kafkaForTest, uniqueName, waitFor } from './support/kafka.ts';
import { ownedTestDevDir } from './support/infra.ts';
import { json } from './engine-harness.ts';

const BIN = fileURLToPath(new URL('../bin/pitlane.mjs', import.meta.url));
const devDir = ownedTestDevDir();
const stateDir = join(devDir, 'state');
let rest = process.env.FLINK_REST_URL ?? '';
let ownCluster = false;

before(async () => {
  if (!rest) {
    const cluster = await devUpFlink({ devDir, cacheDir: cacheRoot(), readyTimeoutMs: 150_000 });
    rest = cluster[0]!.url;
    ownCluster = true;
  }
});

after(async () => {
  if (ownCluster) await devDown(devDir, { purge: true });
  else rmSync(devDir, { recursive: true, force: true });
});

function pl(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, '--dev-dir', devDir, ...args], { encoding: 'utf8', timeout: 300_000, env: { ...process.env, FLINK_REST_URL: rest, PITLANE_STATE_DIR: stateDir } });
  return { code: r.status, out: r.stdout, err: r.stderr, json: <T = Record<string, unknown>>() => JSON.parse(r.stdout) as T };
}

interface Problem {
  code: string;
  uid: string;
  state?: string;
  message: string;
  fix: string;
}
interface Check {
  engine: string;
  compatible: boolean;
  problems: Problem[];
  notes: string[];
  savepoint: { uid: string | null; operatorId: string; maxParallelism: number; keyedStates: { name: string; kind: string; type: string }[] }[];
}

async function v1Running(name: string): Promise<void> {
  const status = pl('flink', 'status', name, '--json');
  assert.equal(status.code, 0, status.err);
  assert.equal(status.json<{ state: string }>().state, 'running', 'v1 keeps running');
}

test('preflight of Flink savepoints while v1 runs: v2 passes; a removed uid, a changed max parallelism and an incompatible state type are refused, each naming the uid, the state and the fix', async (t: TestContext) => {
  const k = kafkaForTest(t);
  const input = await k.topic('flink-pre-in', 2);
  const out = await k.topic('flink-pre-out');
  const txs = generateTransactions({ count: 120, seed: 7, users: 9 });
  await k.kafka.produce(input, json(txs, (x: Transaction) => x.userId));
  const built = await buildFlinkJobs();
  const v1 = uniqueName('pre-v1');
  k.trackGroup(v1);
  t.after(() => {
    pl('flink', 'cancel', v1);
  });

  const started = pl('flink', 'run', built.jars['fraud-v1'], '--entry-class', FLINK_ENTRY_CLASSES.fraudV1.entryClass, '--name', v1, '--parallelism', '2', '--input', input, '--output', out, '--json');
  assert.equal(started.code, 0, started.err);
  await waitFor(async () => pl('flink', 'status', v1, '--json').json<{ metrics?: { recordsIn: number } }>().metrics?.recordsIn === txs.length, { timeoutMs: 120_000, intervalMs: 1000, message: 'v1 has read every transaction' });
  const spDir = mkdtempSync(join(tmpdir(), 'pitlane-pre-sp-'));
  t.after(() => rmSync(spDir, { recursive: true, force: true }));
  const sp = pl('flink', 'savepoint', v1, '--dir', spDir, '--json');
  assert.equal(sp.code, 0, sp.err);
  const savepoint = sp.json<{ location: string }>().location;
  await v1Running(v1);

  const v2Jar = built.jars['fraud-v2'];
  const contract = (...extra: string[]) => [...DEFAULT_FLINK_ARGS, ...extra].flatMap((a) => ['--arg', a]);
  const check = (jar: string, entryClass: string, ...flags: string[]) => pl('savepoint', 'check', savepoint, '--jar', jar, '--entry-class', entryClass, '--parallelism', '2', '--input', input, ...flags, '--json');

  await t.test('v2 (Profile gains a field): compatible; the savepoint is read with its uids, max parallelism and state', async () => {
    const r = check(v2Jar, FLINK_ENTRY_CLASSES.fraudV2.entryClass);
    assert.equal(r.code, 0, `${r.err}\n${r.out}`);
    const c = r.json<Check>();
    assert.equal(c.engine, 'flink');
    assert.equal(c.compatible, true);
    assert.deepEqual(c.problems, []);
    const profile = c.savepoint.find((o) => o.keyedStates.some((s) => s.name === 'profile'));
    assert.ok(profile, JSON.stringify(c.savepoint));
    assert.equal(profile.maxParallelism, 128);
    assert.match(profile.keyedStates.find((s) => s.name === 'profile')!.type, /PojoSerializer<dev\.pitlane\.flink\.fraud\.Profile>/);
    assert.ok(c.notes.some((n) => /^uid "profile"\/profile: .* migrates .*field "maxAmount" added/.test(n)), c.notes.join('\n'));
    await v1Running(v1);
  });

  await t.test('a removed uid: refused with the uid, the state and both fixes; allow-non-restored-state accepts it', async () => {
    const r = check(v2Jar, FLINK_ENTRY_CLASSES.fraudV2.entryClass, ...contract('--profile-uid', 'profile-renamed'));
    assert.equal(r.code, 1, `${r.err}\n${r.out}`);
    const c = r.json<Check>();
    assert.equal(c.compatible, false);
    const p = c.problems.find((x) => x.code === 'STATE_NOT_RESTORED');
    assert.ok(p, JSON.stringify(c.problems));
    assert.equal(p.state, 'profile');
    assert.equal(p.uid, 'uid "profile"', 'Flink 2 keeps the uid in the savepoint');
    assert.match(p.fix, /allow-non-restored-state/);
    const allowed = check(v2Jar, FLINK_ENTRY_CLASSES.fraudV2.entryClass, ...contract('--profile-uid', 'profile-renamed'), '--allow-non-restored-state');
    assert.equal(allowed.code, 0, allowed.out);
    assert.ok(allowed.json<Check>().notes.some((n) => /dropped/.test(n)));
    await v1Running(v1);
  });

  await t.test('a changed max parallelism: refused for the stateful operators, with the saved value in the fix', async () => {
    const r = check(v2Jar, FLINK_ENTRY_CLASSES.fraudV2.entryClass, ...contract('--max-parallelism', '256'));
    assert.equal(r.code, 1, `${r.err}\n${r.out}`);
    const c = r.json<Check>();
    const changed = c.problems.filter((x) => x.code === 'MAX_PARALLELISM_CHANGED');
    assert.ok(changed.length >= 1, JSON.stringify(c.problems));
    assert.ok(changed.every((x) => /saved with max parallelism 128; the candidate sets 256/.test(x.message) && /back to 128/.test(x.fix)));
    assert.deepEqual(changed.map((x) => x.uid).filter((u) => ['uid "transactions"', 'uid "profile"', 'uid "flags"'].includes(u)).sort(), ['uid "flags"', 'uid "profile"', 'uid "transactions"']);
    await v1Running(v1);
  });

  await t.test('an incompatible state type (Profile.count int → long): refused with the uid, the state and the fix', async () => {
    const r = check(built.jars['fraud-incompatible'], FLINK_ENTRY_CLASSES.fraudIncompatible.entryClass);
    assert.equal(r.code, 1, `${r.err}\n${r.out}`);
    const c = r.json<Check>();
    const p = c.problems.find((x) => x.code === 'STATE_TYPE_CHANGED');
    assert.ok(p, JSON.stringify(c.problems));
    assert.equal(p.state, 'profile');
    assert.equal(p.uid, 'uid "profile"');
    assert.match(p.message, /State "profile" of operator uid "profile" changed type incompatibly .*field "count" was IntSerializer, is LongSerializer/);
    assert.match(p.fix, /not change a field's type/);
    const human = pl('savepoint', 'check', savepoint, '--jar', built.jars['fraud-incompatible'], '--entry-class', FLINK_ENTRY_CLASSES.fraudIncompatible.entryClass, '--parallelism', '2');
    assert.equal(human.code, 1);
    assert.match(human.out, /incompatible: 1 problem\(s\)/);
    assert.match(human.out, /✗ \[STATE_TYPE_CHANGED\]/);
    assert.match(human.out, /fix: keep the state's type compatible/);
    await v1Running(v1);
  });

  await t.test('a state whose descriptor the job graph holds (a field of the function) is compared with it: POJO → Long is refused, where the class of the saved type alone would pass', async () => {
    const r = check(v2Jar, FLINK_ENTRY_CLASSES.fraudV2LongState.entryClass);
    assert.equal(r.code, 1, `${r.err}\n${r.out}`);
    const c = r.json<Check & { compatibility: { state: string | null; via: string; candidate: string | null; result: string }[] }>();
    assert.deepEqual(c.problems.map((p) => [p.code, p.uid, p.state]), [['STATE_TYPE_CHANGED', 'uid "profile"', 'profile']]);
    const v = c.compatibility.find((x) => x.state === 'profile')!;
    assert.deepEqual([v.via, v.candidate, v.result], ['descriptor', 'LongSerializer', 'INCOMPATIBLE']);
    await v1Running(v1);
  });

  await t.test('Flink agrees: started from the savepoint, the incompatible type and the changed max parallelism fail with Flink\'s own cause, and nothing is left running', async () => {
    const [typed, maxp] = [uniqueName('pre-typed'), uniqueName('pre-maxp')];
    k.trackGroup(typed);
    k.trackGroup(maxp);
    t.after(() => {
      pl('flink', 'cancel', typed);
      pl('flink', 'cancel', maxp);
    });
    const run = (jar: string, entryClass: string, name: string, ...flags: string[]) => pl('flink', 'run', jar, '--entry-class', entryClass, '--name', name, '--parallelism', '2', '--from-savepoint', savepoint, '--input', input, '--output', out, ...flags);
    const a = run(built.jars['fraud-incompatible'], FLINK_ENTRY_CLASSES.fraudIncompatible.entryClass, typed);
    assert.equal(a.code, 3, a.out);
    assert.match(a.err, /FLINK_JOB_FAILED.*StateMigrationException.*must not be incompatible/s);
    const b = run(v2Jar, FLINK_ENTRY_CLASSES.fraudV2.entryClass, maxp, ...contract('--max-parallelism', '256'));
    assert.equal(b.code, 3, b.out);
    assert.match(b.err, /FLINK_JOB_FAILED.*Max parallelism mismatch/s);
    for (const name of [typed, maxp]) assert.notEqual(pl('flink', 'status', name, '--json').json<{ state: string }>().state, 'running');
    await v1Running(v1);
  });

  await t.test('the adapter\'s preflight (what the orchestrator runs before anything stops) refuses the same way', async () => {
    const adapter = new FlinkAdapter({ restUrl: rest, stateDir: join(devDir, 'adapter'), bootstrapServers: process.env.KAFKA_BROKERS!, kafka: k.kafka, logger: silentLogger(), savepointTool: () => flinkSavepointTool() });
    const job = (jar: string, entryClass: string, extra: string[] = []) => ({ job: jar, flink: { entryClass, args: [...DEFAULT_FLINK_ARGS, ...extra] }, parallelism: 2, inputs: [input], sinkTopic: out });
    const ok = await adapter.preflight(savepoint, job(v2Jar, FLINK_ENTRY_CLASSES.fraudV2.entryClass));
    assert.equal(ok.compatible, true, ok.refusals.join('\n'));
    const removed = await adapter.preflight(savepoint, job(v2Jar, FLINK_ENTRY_CLASSES.fraudV2.entryClass, ['--profile-uid', 'profile-renamed']));
    assert.equal(removed.compatible, false);
    assert.ok(removed.refusals.some((l) => /state of operator .*"profile" \(value/.test(l) && /Fix: .*allow-non-restored-state/.test(l)), removed.refusals.join('\n'));
    const maxp = await adapter.preflight(savepoint, job(v2Jar, FLINK_ENTRY_CLASSES.fraudV2.entryClass, ['--max-parallelism', '256']));
    assert.ok(maxp.refusals.some((l) => /max parallelism 128; the candidate sets 256/.test(l)), maxp.refusals.join('\n'));
    const typed = await adapter.preflight(savepoint, job(built.jars['fraud-incompatible'], FLINK_ENTRY_CLASSES.fraudIncompatible.entryClass));
    assert.ok(typed.refusals.some((l) => /State "profile" of operator .* changed type incompatibly/.test(l)), typed.refusals.join('\n'));
    await v1Running(v1);
  });

  await t.test('canary start of a Flink deployment runs the preflight on the fork\'s savepoint: the incompatible candidate is refused (exit 1) with the uid, state and fix, nothing is submitted for it, and the authoritative job keeps running', async () => {
    const name = uniqueName('flinkpre').toLowerCase();
    const canary = k.trackTopic(`${out}-canary-${name}`);
    await k.kafka.createTopics([{ topic: canary, partitions: 1 }]);
    k.trackGroup(`pitlane.${name}.${name}`);
    t.after(() => {
      pl('flink', 'cancel', name);
    });
    const spec = join(devDir, `${name}.yaml`);
    writeFileSync(
      spec,
      `name: ${name}\ninputs: [${input}]\nauthoritative: { engine: flink, jar: ${built.jars['fraud-v1']}, entryClass: ${FLINK_ENTRY_CLASSES.fraudV1.entryClass}, version: v1, output: ${out} }\ncandidate: { jar: ${built.jars['fraud-incompatible']}, entryClass: ${FLINK_ENTRY_CLASSES.fraudIncompatible.entryClass}, canary: ${canary}, parallelism: 2 }\nrollback: { keepSavepoint: false }\n`,
    );
    const store = ['--store', `dir:${join(devDir, 'store')}`, '--state-dir', stateDir];
    const launched = pl('canary', 'launch', spec, ...store, '--parallelism', '2');
    assert.equal(launched.code, 0, launched.err);
    await waitFor(async () => pl('flink', 'status', name, '--json').json<{ metrics?: { recordsIn: number } }>().metrics?.recordsIn === txs.length, { timeoutMs: 120_000, intervalMs: 1000, message: 'the authoritative job has read every transaction' });
    const started = pl('canary', 'start', spec, ...store);
    const status = pl('canary', 'status', name, ...store, '--json').json<{ deployment: { fork?: { savepoint?: { location: string } }; preflight?: { compatible: boolean; refusals: string[] } } }>();
    const forked = status.deployment.fork?.savepoint?.location;
    if (forked) t.after(() => rmSync(fileURLToPath(forked), { recursive: true, force: true }));
    assert.equal(started.code, 1, `${started.err}\n${started.out}`);
    assert.match(started.out, /preflight\s+REFUSED/);
    assert.match(started.out, /nothing was stopped: the authoritative job keeps running/);
    assert.equal(status.deployment.preflight?.compatible, false);
    assert.ok(status.deployment.preflight!.refusals.some((l) => /State "profile" of operator uid "profile" changed type incompatibly .*field "count".* Fix: keep the state's type compatible/.test(l)), status.deployment.preflight!.refusals.join('\n'));
    assert.equal(pl('flink', 'status', `${name}.candidate`, '--json').json<{ state: string }>().state, 'unknown', 'no candidate was submitted');
    await v1Running(name);
    await v1Running(v1);
  });

  await t.test('bad input: a savepoint check without --jar (a usage error, exit 64) and a jar whose entry class is not there (exit 3) say what to do', () => {
    const noJar = pl('savepoint', 'check', savepoint);
    assert.equal(noJar.code, 64, 'a usage error: the command line lacks --jar');
    assert.match(noJar.err, /CLI_CHECK_NEEDS_JAR/);
    const wrong = check(v2Jar, 'dev.pitlane.flink.fraud.NoSuchJob');
    assert.equal(wrong.code, 3, wrong.out);
    assert.match(wrong.err, /FLINK_PREFLIGHT_UNREADABLE/);
    assert.match(wrong.err, /NoSuchJob/);
  });
});
