/**
 * A CLI that never leaves you guessing (issue 17, part 5), through the real `pitlane`
 * binary: usage errors exit 64 on every command; the log level is checked and can come
 * from PITLANE_LOG_LEVEL; `| head` ends quietly; an absent broker is one clear error;
 * topic create/delete say what exists; a managed job that fails to start says the
 * job's own error; `pitlane jobs` lists managed jobs; dev up shows its progress.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BIN, pitlaneCli } from './support/cli.ts';
import { CommanderError, type Command } from 'commander';
import { buildProgram } from '../src/cli/main.ts';
import { kafkaForTest, uniqueName } from './support/kafka.ts';
import { freePort } from '../src/process/index.ts';
import { syntheticSnapshot, writeSavepoint } from '../src/engine/index.ts';
import { devDown } from '../src/dev/launcher.ts';
import { LocalDeploymentStore } from '../src/orchestrator/store/local-store.ts';
import { newDeployment } from '../src/orchestrator/lifecycle/model.ts';
import { parseDeploymentSpec } from '../src/orchestrator/spec/load.ts';

const REPO = new URL('../', import.meta.url).pathname;

/** Runs `items` through `fn`, `width` at a time. */
async function pooled<T, R>(items: readonly T[], width: number, fn: (x: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  }));
  return out;
}

/** Every command of the tree, as the CLI's own help lists it: [path, its value-taking options]. */
/** Every leaf command of the real program, with its options that take a value (built in process: no spawn per --help). */
function commandTree(): { path: string[]; valueOptions: string[] }[] {
  const leaves: { path: string[]; valueOptions: string[] }[] = [];
  const walk = (cmd: Command, path: string[]) => {
    const subs = cmd.commands.filter((c) => c.name() !== 'help');
    if (subs.length === 0 && path.length > 0) {
      leaves.push({ path, valueOptions: cmd.options.filter((o) => o.required && o.long !== undefined).map((o) => o.long!) });
      return;
    }
    for (const c of subs) walk(c, [...path, c.name()]);
  };
  walk(buildProgram(), []);
  return leaves;
}

/** Parses `args` with the real program in this process; the command-line error commander raised (no action may run: each case is an error before one). */
async function parseError(args: readonly string[]): Promise<{ code: string; exitCode: number; stderr: string }> {
  const program = buildProgram();
  let stderr = '';
  const quiet = (c: Command) => {
    c.configureOutput({ writeErr: (t) => (stderr += t), writeOut: () => undefined });
    c.commands.forEach(quiet);
  };
  quiet(program);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      program.parseAsync(['node', 'pitlane', ...args]),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${args.join(' ')} ran instead of failing its parse`)), 10_000))),
    ]);
  } catch (e) {
    if (e instanceof CommanderError) return { code: e.code, exitCode: e.exitCode, stderr };
    throw e;
  } finally {
    clearTimeout(timer);
  }
  throw new Error(`${args.join(' ')} parsed without an error`);
}

const offline = async (): Promise<NodeJS.ProcessEnv> => ({ ...process.env, KAFKA_BROKERS: `127.0.0.1:${await freePort()}` });

test('bad flags exit 64 on every command: an unknown flag, a flag without its value', { timeout: 300_000 }, async () => {
  const tree = commandTree();
  assert.ok(tree.length >= 30, `the program has every command (found ${tree.length})`);
  assert.ok(tree.some((c) => c.path.join(' ') === 'topic create') && tree.some((c) => c.path.join(' ') === 'canary launch'));
  // Every command, parsed by the real program in this process: commander refuses the flag before any action runs.
  for (const { path, valueOptions } of tree) {
    const unknown = await parseError([...path, '--no-such-flag']);
    assert.ok(['commander.unknownOption', 'commander.missingMandatoryOptionValue'].includes(unknown.code), `${path.join(' ')} --no-such-flag: ${unknown.code}`);
    // (a command with a required option says that one first: still the command line)
    assert.match(unknown.stderr, /unknown option '--no-such-flag'|required option '.*' not specified/, path.join(' '));
    if (valueOptions.length > 0) {
      const missing = await parseError([...path, valueOptions[0]!]);
      assert.equal(missing.code, 'commander.optionMissingArgument', `${path.join(' ')} ${valueOptions[0]} (no value)`);
      assert.match(missing.stderr, /argument missing/, path.join(' '));
    }
  }
  // And as a process: main() turns each of those into exit 64 (a sample across the command groups).
  const env = await offline();
  const sample = tree.filter((_, i) => i % 8 === 0);
  const results = await pooled(sample, 4, async ({ path, valueOptions }) => ({
    path: path.join(' '),
    unknown: await pitlaneCli([...path, '--no-such-flag'], env),
    missing: valueOptions.length > 0 ? await pitlaneCli([...path, valueOptions[0]!], env) : undefined,
  }));
  for (const r of results) {
    assert.equal(r.unknown.code, 64, `${r.path} --no-such-flag: ${r.unknown.stderr}`);
    assert.match(r.unknown.stderr, /unknown option '--no-such-flag'|required option '.*' not specified/, r.path);
    if (r.missing) {
      assert.equal(r.missing.code, 64, `${r.path} (no value): ${r.missing.stderr}`);
      assert.match(r.missing.stderr, /argument missing/, r.path);
    }
  }
});

test('a flag value of the wrong type exits 64 naming the flag, before anything connects or starts', { timeout: 300_000 }, async () => {
  const env = await offline();
  const dev = mkdtempSync(join(tmpdir(), 'pl-papercuts-dev-'));
  try {
    const cases: [string[], RegExp][] = [
      [['topic', 'create', 'x', '--partitions', 'abc'], /--partitions must be a whole number of at least 1, not "abc"/],
      [['topic', 'create', 'x', '--partitions', '0'], /--partitions must be a whole number/],
      [['dev', 'smoke', '--records', 'many'], /--records must be a whole number/],
      [['dev', 'logs', 'kafka', '-n', 'ten'], /--lines must be a whole number/],
      [['--dev-dir', dev, 'dev', 'up', '--port', '99999'], /--port must be a whole number from 1 to 65535/],
      [['canary', 'launch', 'deploy/fraud.yaml', '--parallelism', 'x'], /--parallelism must be a whole number/],
      [['canary', 'launch', 'deploy/fraud.yaml', '--from', 'start'], /--from start is not earliest or latest/],
      [['canary', 'gate', 'nope', '--timeout', 'soon'], /--timeout/],
      [['run', 'examples/fraud/v1.ts', '--status-interval', 'often'], /--status-interval must be a positive number of seconds/],
      [['run', 'examples/fraud/v1.ts', '--delivery', 'twice'], /--delivery must be exactly-once or at-least-once/],
      [['compare', '--a', 'x', '--b', 'y', '--from', 'yesterday'], /--from yesterday is not a position/],
      [['dashboard', '--port', 'http'], /--port http is not a port number/],
      [['savepoint', 'trigger', 'fraud', '--once', '--every', '1h'], /--once and --every contradict/],
      [['--log-level', 'loud', 'topic', 'list'], /--log-level "loud" is not a log level[\s\S]*silent, fatal, error, warn, info, debug, trace/],
    ];
    const results = await pooled(cases, 4, async ([args]) => pitlaneCli(args, env));
    cases.forEach(([args, message], i) => {
      const r = results[i]!;
      assert.equal(r.code, 64, `pitlane ${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.doesNotMatch(r.stderr, /KAFKA_UNREACHABLE|\n\s+at /, `${args.join(' ')}: nothing connected, no stack`);
    });
    const badEnv = await pitlaneCli(['jobs'], { ...env, PITLANE_LOG_LEVEL: 'chatty' });
    assert.equal(badEnv.code, 64, badEnv.stderr);
    assert.match(badEnv.stderr, /PITLANE_LOG_LEVEL "chatty" is not a log level[\s\S]*silent, fatal, error, warn, info, debug, trace/);
  } finally {
    rmSync(dev, { recursive: true, force: true });
  }
});

test('a broker that is not there is one clear error (what, where, what to do), not kafkajs log lines first', { timeout: 300_000 }, async () => {
  const env = await offline();
  const where = env.KAFKA_BROKERS!;
  const commands = [['topic', 'list'], ['compare', '--a', 'x', '--b', 'y'], ['canary', 'status', 'nope', '--store', 'kafka'], ['savepoint', 'list']];
  const results = await pooled(commands, 4, (args) => pitlaneCli(args, env));
  commands.forEach((args, i) => {
    const r = results[i]!;
    assert.equal(r.code, 3, `${args.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.match(lines[0]!, new RegExp(`^error \\[KAFKA_UNREACHABLE\\]: Cannot reach Kafka at ${where}`), args.join(' '));
    assert.match(r.stderr, /pitlane dev up.*--brokers or KAFKA_BROKERS/);
    assert.ok(lines.length <= 2 && !lines.some((l) => l.startsWith('{')), `${args.join(' ')}: the error and its hint only:\n${r.stderr}`);
  });
  // A command that needs no broker does not complain about it.
  assert.equal((await pitlaneCli(['jobs'], env)).code, 0);
});

test('the default log level keeps stderr quiet; --log-level wins over PITLANE_LOG_LEVEL', { timeout: 120_000 }, async () => {
  const env = { ...process.env };
  delete env.PITLANE_LOG_LEVEL;
  const quiet = await pitlaneCli(['topic', 'list'], env);
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.equal(quiet.stderr, '');
  const flagWins = await pitlaneCli(['--log-level', 'silent', 'topic', 'list'], { ...env, PITLANE_LOG_LEVEL: 'debug' });
  assert.equal(flagWins.code, 0, flagWins.stderr);
  assert.equal(flagWins.stderr, '');
});

test('savepoint read | head ends quietly: exit 0, nothing on stderr', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pl-papercuts-pipe-'));
  try {
    const sp = join(dir, 'sp');
    await writeSavepoint(sp, syntheticSnapshot({ keys: 20_000 }));
    const r = await new Promise<{ code: number | null; stderr: string; lines: number }>((resolve) => {
      const child = spawn(process.execPath, [BIN, 'savepoint', 'read', sp, '--uid', 'profiles', '--state', 'profile'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      let seen = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      // What `head -2` does: read two lines, then close the pipe.
      child.stdout.on('data', (d: Buffer) => {
        seen += d.toString();
        if (seen.split('\n').length > 2) child.stdout.destroy();
      });
      child.on('close', (code) => resolve({ code, stderr, lines: seen.split('\n').length - 1 }));
    });
    assert.ok(r.lines >= 2);
    assert.equal(r.stderr, '', 'no stack, no message');
    assert.equal(r.code, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('topic create: an existing topic with the same settings is left as it is, with other settings it is an error naming both; topic errors carry the broker\'s reason', { timeout: 120_000 }, async (t) => {
  const k = kafkaForTest(t);
  const [a, b] = [uniqueName('cli-topic'), uniqueName('cli-topic')];
  k.trackTopic(a);
  k.trackTopic(b);
  const created = await pitlaneCli(['topic', 'create', a, '--partitions', '2']);
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stdout, new RegExp(`^created ${a} \\(2 partition`));
  const again = await pitlaneCli(['topic', 'create', a, '--partitions', '2', '--json']);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(JSON.parse(again.stdout), { created: [], existing: [a], partitions: 2, compact: false });
  const other = await pitlaneCli(['topic', 'create', a, b, '--partitions', '3', '--compact']);
  assert.equal(other.code, 3);
  assert.match(other.stderr, new RegExp(`TOPIC_EXISTS_DIFFERENT\\]: Topic ${a} exists already with 2 partition\\(s\\), not the 3 asked for and cleanup.policy=delete, not compact. Nothing was created.`));
  assert.ok(!(await k.kafka.listTopics()).includes(b), 'the other name was not created either');
  const invalid = await pitlaneCli(['topic', 'create', 'bad name!']);
  assert.equal(invalid.code, 3);
  assert.match(invalid.stderr, /bad name!: .*\(INVALID_TOPIC_EXCEPTION\)/);
  const missing = await pitlaneCli(['topic', 'delete', a, b]);
  assert.equal(missing.code, 3);
  assert.match(missing.stderr, new RegExp(`KAFKA_TOPIC_NOT_FOUND\\]: No topic ${b} .*nothing was deleted`));
  assert.ok((await k.kafka.listTopics()).includes(a), 'nothing was deleted');
});

test('canary launch of a job that fails at start says the job\'s own error; pitlane jobs lists the managed jobs', { timeout: 300_000 }, async (t) => {
  const k = kafkaForTest(t);
  const work = mkdtempSync(join(tmpdir(), 'pl-papercuts-launch-'));
  const [input, output] = [await k.topic('cli-in'), await k.topic('cli-out')];
  const name = uniqueName('cli-launch').toLowerCase();
  const env = { ...process.env, PITLANE_STATE_DIR: join(work, 'state'), PITLANE_STORE: `dir:${join(work, 'store')}` };
  t.after(async () => {
    await pitlaneCli(['canary', 'stop-job', `${name}-ok`], env);
    rmSync(work, { recursive: true, force: true });
  });
  const engine = pathToFileURL(join(REPO, 'src/engine/index.ts')).href;
  writeFileSync(join(work, 'bad.ts'), `import { defineJob } from '${engine}';
export default defineJob({ name: 'bad', version: '1', maxParallelism: 128, build() { throw new Error('the answer is not 42'); } });
`);
  const spec = (job: string, id: string) => {
    const f = join(work, `${id}.yaml`);
    writeFileSync(f, `name: ${id}\ninputs: [${input}]\nauthoritative: { job: ${job}, version: v1, output: ${output} }\ncandidate: { job: ${job}, version: v2, canary: ${output}-canary, parallelism: 1 }\n`);
    return f;
  };
  const failed = await pitlaneCli(['canary', 'launch', spec(join(work, 'bad.ts'), name)], { ...env, PITLANE_LOG_LEVEL: '' });
  assert.equal(failed.code, 3, failed.stderr);
  assert.match(failed.stderr, new RegExp(`ENGINE_JOB_START_FAILED\\]: Job ${name} \\(.*bad.ts\\) failed to start: the answer is not 42\n`));
  assert.doesNotMatch(failed.stderr, /\{"level"/, 'the log tail is readable lines, not JSON');

  // PITLANE_LOG_LEVEL reaches the CLI's logger (the supervisor's info line).
  const ok = await pitlaneCli(['canary', 'launch', spec(join(REPO, 'examples/event-count/v1.ts'), `${name}-ok`)], { ...env, PITLANE_LOG_LEVEL: 'info' });
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stderr, /^\{"level":30,.*"msg":"job started"/m);
  const jobs = await pitlaneCli(['jobs', '--json'], env);
  assert.equal(jobs.code, 0, jobs.stderr);
  const listed = (JSON.parse(jobs.stdout) as { jobs: { name: string; kind: string }[] }).jobs.find((j) => j.name === `${name}-ok`);
  assert.deepEqual(listed && { name: listed.name, kind: listed.kind }, { name: `${name}-ok`, kind: 'managed' });
  const viaFlag = await pitlaneCli(['jobs', '--state-dir', join(work, 'state')], { ...process.env });
  assert.match(viaFlag.stdout, new RegExp(`${name}-ok .* managed`));
});

test('dev up shows its steps on stderr; --json stdout stays one JSON document', { timeout: 300_000 }, async (t) => {
  const dev = mkdtempSync(join(tmpdir(), 'pl-papercuts-devup-'));
  t.after(async () => {
    await devDown(dev).catch(() => undefined);
    rmSync(dev, { recursive: true, force: true });
  });
  const port = await freePort();
  const up = await pitlaneCli(['--dev-dir', dev, 'dev', 'up', '--port', String(port), '--controller-port', String(await freePort()), '--json']);
  assert.equal(up.code, 0, up.stderr);
  assert.match(up.stderr, new RegExp(`kafka: starting the broker on 127.0.0.1:${port}, waiting until it answers`));
  const result = JSON.parse(up.stdout) as { services: { service: string; url: string }[] };
  assert.equal(result.services[0]?.url, `127.0.0.1:${port}`);
});

test('canary gate --wait says on stderr what it waits for: the phase and the windows judged so far against the minimum', { timeout: 120_000 }, async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'pl-papercuts-gate-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const name = 'gate-progress';
  const store = new LocalDeploymentStore(join(root, 'store'));
  const d = newDeployment(parseDeploymentSpec(`name: ${name}\ninputs: [in]\nauthoritative: { job: v1.ts, version: v1, output: out }\ncandidate: { job: v2.ts, canary: can, parallelism: 2 }\nanalysis: { minimum: { windows: 5, records: 300, duration: 40s } }\n`, 'f.yaml'), 0);
  await store.append({ name, revision: 1, at: 0, from: null, to: 'Shadowing', event: { type: 'create' }, record: { ...d, phase: 'Shadowing' } });
  // The report the shadow supervisor writes, two windows in.
  mkdirSync(join(root, 'state', 'deployments', name), { recursive: true });
  writeFileSync(join(root, 'state', 'deployments', name, 'report.json'), JSON.stringify({ verdict: 'Inconclusive', reason: 'too little data', windows: [{}, {}], sides: { a: { records: 120 }, b: { records: 118 } } }));
  // No shadow supervisor runs, so the wait ends as a stall (exit 3) after showing what it waited for.
  const r = await pitlaneCli(['canary', 'gate', name, '--wait', '--timeout', '1m', '--json', '--store', `dir:${join(root, 'store')}`, '--state-dir', join(root, 'state')]);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, new RegExp(`waiting for a verdict on ${name} \\[Shadowing\\]: 2 window\\(s\\) judged, 120 vs 118 records, Inconclusive so far \\(a pass needs at least 5 windows, 300 records, 40 s\\)`));
  assert.match(r.stderr, /DEPLOYMENT_STALLED/);
  assert.equal((JSON.parse(r.stdout) as { code: string }).code, 'DEPLOYMENT_STALLED', 'stdout is the JSON result only');
});
