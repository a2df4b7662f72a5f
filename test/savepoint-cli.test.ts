// The savepoint commands end to end: the real CLI (bin/pitlane.mjs) on real files,
// with a real job module for `check --job`.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile, mkdir, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TestContext } from 'node:test';
import { syntheticSnapshot, writeSavepoint } from '../src/engine/index.ts';
import { PROFILE_SCHEMA } from '../src/engine/savepoint/synthetic.ts';
import { repo, runCli } from './savepoint-runtime-support.ts';
import { existsSync } from 'node:fs';
import { LocalDeploymentStore } from '../src/orchestrator/store/local-store.ts';
import { savepointRecord } from '../src/orchestrator/savepoints/record.ts';
import { newDeployment } from '../src/orchestrator/lifecycle/model.ts';
import { parseDeploymentSpec } from '../src/orchestrator/spec/load.ts';

// `dispose` asks the savepoint history whether a deployment needs the savepoint: a directory store of this file's own.
const state = join(tmpdir(), `pitlane-sp-cli-${process.pid}`);
after(() => rm(state, { recursive: true, force: true }));
const cli = (args: string[]) => runCli(args, { ...process.env, PITLANE_STORE: `dir:${join(state, 'store')}`, PITLANE_STATE_DIR: join(state, 'state') });

/** A job module like a user would write, restoring into the synthetic savepoint's operators. */
function jobModule(version: string, schema: object): string {
  const api = (f: string): string => pathToFileURL(join(repo, 'src', 'engine', 'api', f)).href;
  return `import { defineJob } from '${api('job.ts')}';
import { valueState } from '${api('state.ts')}';
import { avroCodec } from '${api('codecs.ts')}';
export default defineJob({
  name: 'synthetic', version: '${version}', maxParallelism: 128,
  build(env) {
    env.fromKafka({ uid: 'source', topics: 'events' })
      .keyBy((e) => e.userId, { fingerprint: 'string:userId' })
      .process('profiles', { states: [valueState('profile', { codec: avroCodec(${JSON.stringify(schema)}) })], processElement() {} });
  },
});
`;
}

async function fixture(t: TestContext): Promise<{ root: string; sp: string }> {
  const root = await mkdtemp(join(tmpdir(), 'pitlane-spcli-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const sp = join(root, 'sp');
  await writeSavepoint(sp, syntheticSnapshot({ keys: 1000, timerEvery: 10 }));
  return { root, sp };
}

test('savepoint inspect shows operators, keys, offsets and checksums; a damaged file exits 1', async (t) => {
  const { sp } = await fixture(t);
  const ok = await cli(['savepoint', 'inspect', sp, '--json']);
  assert.equal(ok.code, 0, ok.stderr);
  const s = JSON.parse(ok.stdout) as { formatVersion: number; checksumsOk: boolean; operators: { uid: string; keys: number; timers: number; keyGroups: { keys: number }[] }[]; sourceOffsets: unknown[] };
  assert.equal(s.formatVersion, 1);
  assert.equal(s.checksumsOk, true);
  const profiles = s.operators.find((o) => o.uid === 'profiles')!;
  assert.equal(profiles.keys, 1000);
  assert.equal(profiles.timers, 100);
  assert.equal(profiles.keyGroups.reduce((n, k) => n + k.keys, 0), 1000);
  assert.equal(s.sourceOffsets.length, 2);
  const human = await cli(['savepoint', 'inspect', sp]);
  assert.match(human.stdout, /checksums\s+ok/);
  assert.match(human.stdout, /profiles\s+process\(profiles\)\s+process\s+4\s+1000\s+100/);

  const meta = (await readdir(join(sp, 'op-1-profiles'))).sort()[0]!;
  const path = join(sp, 'op-1-profiles', meta);
  const bytes = await readFile(path);
  bytes[20] = bytes[20]! ^ 0xff;
  await writeFile(path, bytes);
  const bad = await cli(['savepoint', 'inspect', sp]);
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, new RegExp(`checksums\\s+FAILED for 1 file[\\s\\S]*op-1-profiles/${meta}`));
});

test('savepoint check: compatible exits 0, a type change exits 1 naming uid, state and field, bad input exits 3', async (t) => {
  const { root, sp } = await fixture(t);
  await mkdir(join(root, 'jobs'));
  // Job modules are ES modules, as in a project whose package.json says "type": "module".
  await writeFile(join(root, 'jobs', 'package.json'), '{"type":"module"}');
  const v2 = join(root, 'jobs', 'v2.ts');
  await writeFile(v2, jobModule('v2', { ...PROFILE_SCHEMA, fields: [...PROFILE_SCHEMA.fields, { name: 'risk', type: 'double', default: 0 }] }));
  const good = await cli(['savepoint', 'check', sp, '--job', v2, '--parallelism', '8']);
  assert.equal(good.code, 0, good.stderr + good.stdout);
  assert.match(good.stdout, /^compatible: synthetic v1 → synthetic v2/);
  assert.match(good.stdout, /rescale: profiles 4 → 8 subtasks/);
  assert.match(good.stdout, /schema evolves: profiles\/profile/);

  const v3 = join(root, 'jobs', 'v3.ts');
  await writeFile(v3, jobModule('v3', { ...PROFILE_SCHEMA, fields: [{ name: 'count', type: 'string' }, ...PROFILE_SCHEMA.fields.slice(1)] }));
  const typeChange = await cli(['savepoint', 'check', sp, '--job', v3, '--json']);
  assert.equal(typeChange.code, 1, typeChange.stderr);
  const plan = JSON.parse(typeChange.stdout) as { compatible: boolean; problems: { code: string; uid: string; state: string; field: string; fix: string }[] };
  assert.equal(plan.compatible, false);
  assert.deepEqual(plan.problems.map((p) => [p.code, p.uid, p.state, p.field]), [['STATE_TYPE_CHANGED', 'profiles', 'profile', 'count']]);

  const other = join(root, 'other.json');
  await writeFile(other, JSON.stringify({ name: 'alarm', version: '1', maxParallelism: 128, inputTopics: ['events'], operators: [] }));
  const mismatch = await cli(['savepoint', 'check', sp, '--description', other]);
  assert.equal(mismatch.code, 1);
  assert.match(mismatch.stdout, /\[JOB_MISMATCH\] The savepoint belongs to job "synthetic", not "alarm"/);

  const missing = await cli(['savepoint', 'check', join(root, 'nope'), '--job', v2]);
  assert.equal(missing.code, 3);
  assert.match(missing.stderr, /SAVEPOINT_NOT_FOUND/);
  const noJob = await cli(['savepoint', 'check', sp]);
  assert.equal(noJob.code, 64, 'a usage error: neither --job nor --description');
  assert.match(noJob.stderr, /--job/);
});

test('savepoint check reads every byte: a flipped byte or a truncated file is refused (exit 1) naming the file, though the plan alone is compatible', async (t) => {
  const { root, sp } = await fixture(t);
  await mkdir(join(root, 'jobs'));
  await writeFile(join(root, 'jobs', 'package.json'), '{"type":"module"}');
  const v2 = join(root, 'jobs', 'v2.ts');
  await writeFile(v2, jobModule('v2', PROFILE_SCHEMA));
  assert.equal((await cli(['savepoint', 'check', sp, '--job', v2])).code, 0, 'intact: compatible');
  const dir = join(sp, 'op-1-profiles');
  const [first, second] = (await readdir(dir)).sort();
  const damage: [string, (b: Buffer) => Buffer][] = [
    [first!, (b) => {
      b[Math.floor(b.length / 2)] = b[Math.floor(b.length / 2)]! ^ 0x01;
      return b;
    }],
    [second!, (b) => b.subarray(0, b.length - 7)],
  ];
  for (const [file, hurt] of damage) {
    const path = join(dir, file);
    const intact = await readFile(path);
    await writeFile(path, hurt(Buffer.from(intact)));
    const human = await cli(['savepoint', 'check', sp, '--job', v2]);
    assert.equal(human.code, 1, human.stderr + human.stdout);
    assert.match(human.stdout, new RegExp(`^damaged: 1 file\\(s\\) of .* fail their checks[\\s\\S]*✗ op-1-profiles/${file}: [\\s\\S]*fix: restore from another savepoint`));
    assert.match(human.stdout, /the plan alone would be compatible/);
    const json = JSON.parse((await cli(['savepoint', 'check', sp, '--job', v2, '--json'])).stdout) as { compatible: boolean; damaged: { path: string }[] };
    assert.deepEqual([json.compatible, json.damaged.map((d) => d.path)], [false, [`op-1-profiles/${file}`]]);
    await writeFile(path, intact);
  }
});

test('savepoint read dumps keyed state as NDJSON; dispose deletes only savepoints', async (t) => {
  const { root, sp } = await fixture(t);
  const r = await cli(['savepoint', 'read', sp, '--uid', 'profiles', '--state', 'profile']);
  assert.equal(r.code, 0, r.stderr);
  const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { keyGroup: number; key: string; value: { count: number; total: number; lastSeen: number } });
  assert.equal(rows.length, 1000);
  const u42 = rows.find((x) => x.key === 'user-42')!;
  assert.deepEqual(u42.value, { count: 42, total: 42 * 1.25, lastSeen: 1_700_000_000_042 });
  const wrong = await cli(['savepoint', 'read', sp, '--uid', 'profiles', '--state', 'nope']);
  assert.equal(wrong.code, 3);
  assert.match(wrong.stderr, /no state "nope" \(it has "profile"\)/);

  await mkdir(join(root, 'plain'));
  const refuse = await cli(['savepoint', 'dispose', join(root, 'plain')]);
  assert.equal(refuse.code, 3);
  assert.match(refuse.stderr, /SAVEPOINT_NOT_A_SAVEPOINT/);
  const gone = await cli(['savepoint', 'dispose', sp, '--json']);
  assert.equal(gone.code, 0, gone.stderr);
  assert.deepEqual((await readdir(root)).sort(), ['plain']);
});

test('savepoint list and dispose --past-retention over a directory store: exactly the newest N go on living, and a rollback savepoint always', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'pitlane-sphist-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const env = { ...process.env, PITLANE_STORE: `dir:${join(root, 'store')}`, PITLANE_STATE_DIR: join(root, 'state') };
  const run = (args: string[]) => runCli(args, env);
  const store = new LocalDeploymentStore(join(root, 'store'));
  const day = 86_400_000;
  const now = Date.now();
  // Five savepoints of one job, a day apart; the oldest is a promoted deployment's rollback savepoint.
  const sps: string[] = [];
  for (let i = 0; i < 5; i++) {
    const dir = join(root, `sp${i}`);
    await writeSavepoint(dir, syntheticSnapshot({ keys: 10 }));
    await store.putSavepoint(savepointRecord({ location: dir, completedAt: now - (5 - i) * day }, { engine: 'embedded', job: 'fraud', trigger: i === 0 ? 'handoff' : 'periodic', ...(i === 0 ? { deployment: { name: 'fraud', generation: 1 } } : {}) }));
    sps.push(dir);
  }
  const d = newDeployment(parseDeploymentSpec('name: fraud\ninputs: [in]\nauthoritative: { job: v1.ts, version: v1, output: out }\ncandidate: { job: v2.ts, canary: can, parallelism: 2 }\n', 'f.yaml'), 0);
  const promotion = { strategy: 'savepoint-handoff' as const, auto: false, startedAt: 0, steps: [], rollbackSavepoint: { location: sps[0]!, sourceOffsets: [], completedAt: now - 5 * day } };
  await store.append({ name: 'fraud', revision: 1, at: 0, from: null, to: 'Promoted', event: { type: 'create' }, record: { ...d, phase: 'Promoted', promotion } });

  const listed = await run(['savepoint', 'list']);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /NEEDED BY/);
  assert.match(listed.stdout.split('\n').find((l) => l.includes(sps[0]!)) ?? '', /fraud \(rollback\)/);

  const dry = await run(['savepoint', 'dispose', '--past-retention', '--keep-last', '2', '--dry-run']);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /would dispose of 2, kept 3 \(1 needed by a deployment\)/);
  assert.ok(sps.every((s) => existsSync(s)), 'a dry run deletes nothing');

  const r = await run(['savepoint', 'dispose', '--past-retention', '--keep-last', '2', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { disposed: { location: string }[]; kept: { location: string; reason: string }[] };
  assert.deepEqual(out.disposed.map((x) => x.location).sort(), [sps[1], sps[2]]);
  assert.deepEqual(sps.map((s) => existsSync(s)), [true, false, false, true, true]);
  assert.match(out.kept.find((k) => k.location === sps[0])?.reason ?? '', /not among the last 2 of fraud, but deployment fraud needs it for a rollback/);

  const refused = await run(['savepoint', 'dispose', sps[0]!]);
  assert.equal(refused.code, 3);
  assert.match(refused.stderr, /SAVEPOINT_PINNED.*deployment fraud needs it for a rollback/);
  assert.ok(existsSync(sps[0]!));
  const json = JSON.parse((await run(['savepoint', 'list', '--json'])).stdout) as { savepoints: { location: string }[] };
  assert.deepEqual(json.savepoints.map((x) => x.location), [sps[4], sps[3], sps[0]]);
});
