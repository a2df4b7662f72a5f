/**
 * pitlane as a package (issue 17): `npm pack` of this repository, `pitlane init` of a
 * job project in a temporary folder outside it, the tarball installed there with npm
 * (nothing of the repository needed at run time), the project's own unit test and
 * type check, then its job run by the installed CLI against the real broker: a managed
 * job from the scaffolded spec, a savepoint, and a canary of its v2 to promotion.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kafkaForTest, testConnection, uniqueName } from './support/kafka.ts';
import { sleep } from '../src/clock.ts';
import { listEntries } from '../src/engines/embedded/control/job-directory.ts';
import { isOurProcess, stopPid } from '../src/process/index.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

interface Result {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

function sh(cmd: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<Result> {
  return new Promise((done) => {
    const p = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    p.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    p.on('close', (code) => done({ code, out, err }));
  });
}

function ok(r: Result, what: string): string {
  assert.equal(r.code, 0, `${what} exited ${r.code}:\n${r.out}\n${r.err}`);
  return r.out;
}

/** Where the test's time goes, printed as a diagnostic (nothing asserts on it). */
function phases(t: { diagnostic(message: string): void }) {
  let last = performance.now();
  return (what: string) => {
    const now = performance.now();
    t.diagnostic(`${what}: ${((now - last) / 1000).toFixed(1)}s`);
    last = now;
  };
}

test('a job project from pitlane init, with the packed pitlane installed, runs, takes a savepoint and is promoted through a canary', { timeout: 600_000 }, async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'pl-package-'));
  assert.ok(!work.startsWith(ROOT), 'the project is outside the repository');
  const project = join(work, 'shop');
  const name = uniqueName('shop').toLowerCase();
  const k = kafkaForTest(t);
  const env: NodeJS.ProcessEnv = { ...process.env, KAFKA_BROKERS: testConnection().brokers.join(','), PITLANE_STATE_DIR: join(work, 'state'), PITLANE_LOG_LEVEL: 'warn' };
  const cli = (args: readonly string[]) => sh(join(project, 'node_modules/.bin/pitlane'), args, project, env);
  let producing = true;
  let produced = 0;
  t.after(async () => {
    producing = false;
    await cli(['canary', 'abort', name, '--reason', 'test cleanup']);
    const jobs = join(work, 'state', 'jobs');
    const entries = listEntries(jobs);
    for (const e of entries) await cli(['canary', 'stop-job', e.name]);
    for (const e of entries) if (isOurProcess(e.pid, 'host-main')) await stopPid(e.pid, 5000);
    const sup = join(work, 'state', 'deployments', name, 'supervisor.pid');
    if (existsSync(sup)) {
      const pid = Number(readFileSync(sup, 'utf8'));
      if (isOurProcess(pid, 'supervisor-main')) await stopPid(pid, 10_000);
    }
    rmSync(work, { recursive: true, force: true });
  });

  const phase = phases(t);
  // The package, and a project made by its init, with the tarball installed by npm.
  ok(await sh('npm', ['pack', '--pack-destination', work, '--silent'], ROOT), 'npm pack');
  const tarball = join(work, `pitlane-${(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version}.tgz`);
  const listing = ok(await sh('tar', ['tzf', tarball], work), 'tar');
  assert.match(listing, /^package\/dist\/types\/engine\/authoring\.d\.ts$/m, 'type declarations are packed');
  assert.doesNotMatch(listing, /\.test\.ts$|^package\/(test|bench|node_modules)\/|\/target\//m, 'no tests, benches, node_modules or build output');
  phase('npm pack');
  ok(await sh(process.execPath, [join(ROOT, 'bin/pitlane.mjs'), 'init', project, '--name', name], work), 'pitlane init');
  ok(await sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], project), 'npm install');
  assert.ok(!existsSync(join(project, 'node_modules/pitlane/test')), 'installed from the tarball');
  phase('init and npm install');
  ok(await sh('npm', ['test'], project), "the project's unit test");
  ok(await sh('npm', ['run', 'typecheck'], project), "the project's type check (the package's declarations)");
  phase('npm test and typecheck');

  // The scaffolded spec names the topics after the project.
  const spec = readFileSync(join(project, 'deploy.yaml'), 'utf8');
  const input = `${name}.orders`;
  for (const topic of [input, `${name}.totals`, `${name}.totals-canary`, `${name}.store`]) {
    k.trackTopic(topic);
    await k.kafka.createTopics([{ topic, partitions: topic.endsWith('.store') ? 1 : 4 }]);
  }
  env.PITLANE_STORE = `kafka:${name}.store`;
  assert.match(spec, new RegExp(`inputs: \\[${input.replace(/\./g, '\\.')}\\]`));
  const traffic = (async () => {
    for (let i = 0; producing; i++) {
      const ts = Date.now();
      const orders = Array.from({ length: 20 }, (_, j) => ({ orderId: `o-${i}-${j}`, merchant: `m-${(i * 20 + j) % 13}`, amount: ((i + j) % 50) + 1, ts }));
      // A transient broker error (a topic without a leader yet) skips a beat; nothing asserts on exact counts.
      await k.kafka.produce(input, orders.map((o) => ({ key: o.merchant, value: JSON.stringify(o), timestamp: ts }))).then(
        () => void (produced += orders.length),
        () => undefined,
      );
      await sleep(100);
    }
  })();
  t.after(() => traffic.catch(() => undefined));

  ok(await cli(['canary', 'launch', 'deploy.yaml', '--parallelism', '2']), 'canary launch');
  const savepoint = JSON.parse(ok(await cli(['savepoint', 'trigger', '--spec', 'deploy.yaml', '--once', '--json']), 'savepoint')) as { path: string };
  assert.ok(existsSync(savepoint.path), `the savepoint ${savepoint.path} exists`);
  phase('canary launch and savepoint');

  // The README's upgrade: v2 is a copy of v1 with its version changed, named in the spec.
  copyFileSync(join(project, 'job/v1.ts'), join(project, 'job/v2.ts'));
  writeFileSync(join(project, 'job/v2.ts'), readFileSync(join(project, 'job/v2.ts'), 'utf8').replace("version: '1'", "version: '2'"));
  writeFileSync(join(project, 'deploy.yaml'), spec.replace(/^candidate: .*$/m, `candidate: { job: job/v2.ts, version: v2, canary: ${name}.totals-canary, parallelism: 2 }`));
  ok(await cli(['canary', 'start', 'deploy.yaml']), 'canary start');
  ok(await cli(['canary', 'gate', name, '--wait', '--timeout', '180s']), 'canary gate');
  // The scaffolded business check (checks/totals.ts, importing the installed pitlane) ran in the shadow analysis and passed.
  const report = JSON.parse(readFileSync(join(work, 'state', 'deployments', name, 'report.json'), 'utf8')) as { assessment: { checks: { check: string; type: string; status: string }[] } };
  assert.deepEqual(report.assessment.checks.find((c) => c.type === 'custom'), { ...report.assessment.checks.find((c) => c.type === 'custom'), check: 'merchant-totals', status: 'Successful' });
  phase('canary start and gate');
  ok(await cli(['canary', 'promote', name]), 'canary promote');
  phase('promote');
  const status = JSON.parse(ok(await cli(['canary', 'status', name, '--json']), 'status')) as { deployment: { phase: string } };
  assert.equal(status.deployment.phase, 'Promoted');
  assert.ok(produced > 0);
});
