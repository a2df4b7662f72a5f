/**
 * The README's five-minute tour, run as written: its shell block, line by line, in one
 * bash (so `SP=$(…)` carries to the next line), in a copy of the checkout. Only the
 * ports differ: its `dev up` gets free ones, a dev directory and a state home of its
 * own (XDG_STATE_HOME), so it never meets the shared services or the user's own.
 * Afterwards the copy has nothing untracked (`git status` is clean) and the tour's
 * broker is down. Also: the spec the README shows as `deploy/fraud.yaml` is that file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { devDown, devStatus } from '../src/dev/launcher.ts';
import { freePort } from '../src/process/index.ts';
import { sleep } from '../src/clock.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The first fenced block of `lang` after the heading or sentence `after`. */
function blockAfter(after: string, lang: string): string {
  const at = README.indexOf(after);
  assert.ok(at >= 0, `README has "${after}"`);
  const open = README.indexOf(`\`\`\`${lang}\n`, at);
  const close = README.indexOf('\n```', open + 4 + lang.length);
  return README.slice(open + 4 + lang.length, close + 1);
}

test('the spec the README shows as deploy/fraud.yaml is that file, as it is', () => {
  assert.equal(blockAfter('This is `deploy/fraud.yaml`', 'yaml'), readFileSync(join(ROOT, 'deploy/fraud.yaml'), 'utf8'));
});

/** One bash, fed a line at a time; each line's exit code and output come back. */
function shell(cwd: string, env: NodeJS.ProcessEnv) {
  const sh = spawn('bash', ['--noprofile', '--norc'], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  sh.stdout.on('data', (d: Buffer) => (out += d.toString()));
  sh.stderr.on('data', (d: Buffer) => (err += d.toString()));
  let n = 0;
  return {
    async run(line: string): Promise<{ code: number; out: string; err: string }> {
      const mark = `__tour_done_${++n}__`;
      const [o0, e0] = [out.length, err.length];
      sh.stdin.write(`${line}\necho "${mark}$?"\n`);
      for (;;) {
        const m = new RegExp(`${mark}(\\d+)\\n`).exec(out.slice(o0));
        if (m) return { code: Number(m[1]), out: out.slice(o0, o0 + m.index), err: err.slice(e0) };
        if (sh.exitCode !== null) throw new Error(`bash ended while running: ${line}\n${err.slice(e0)}`);
        await sleep(100);
      }
    },
    end: () => sh.stdin.end(),
  };
}

test('the README tour runs top to bottom as written and leaves nothing untracked in the checkout', { timeout: 900_000 }, async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'pl-tour-'));
  const copy = join(work, 'pitlane');
  const devDir = join(work, 'dev');
  // A copy of the checkout as git sees it (tracked and new files, nothing ignored), committed.
  const files = spawnSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' }).stdout.split('\0').filter((f) => f !== '');
  for (const f of files) {
    mkdirSync(dirname(join(copy, f)), { recursive: true });
    try {
      cpSync(join(ROOT, f), join(copy, f));
    } catch {
      // a file deleted in the working tree but not yet in the index
    }
  }
  symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
  const git = (...args: string[]) => spawnSync('git', ['-c', 'user.name=tour', '-c', 'user.email=tour@example.invalid', ...args], { cwd: copy, encoding: 'utf8' });
  git('init', '-q');
  git('add', '-A');
  git('commit', '-qm', 'checkout');

  const [port, controller, registry] = [await freePort(), await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = { ...process.env, PITLANE_DEV_DIR: devDir, XDG_STATE_HOME: join(work, 'state'), KAFKA_BROKERS: `127.0.0.1:${port}`, npm_config_offline: 'true', npm_config_update_notifier: 'false' };
  for (const k of ['SCHEMA_REGISTRY_URL', 'FLINK_REST_URL', 'PITLANE_STATE_DIR', 'PITLANE_JOBS_DIR', 'PITLANE_STORE', 'PITLANE_LOG_LEVEL']) delete env[k];
  const sh = shell(copy, env);
  t.after(async () => {
    sh.end();
    // Whatever the tour left running is stopped by its recorded pids.
    await devDown(devDir).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  });

  const lines = blockAfter('## Five-minute tour', 'sh').split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  assert.ok(lines[0]!.startsWith('npx pitlane dev up') && lines.at(-1)!.startsWith('npx pitlane dev down'), 'the tour starts the broker first and stops it last');
  let background = false;
  let check = '';
  for (const line of lines) {
    const command = line.startsWith('npx pitlane dev up') ? line.replace('dev up', `dev up --port ${port} --controller-port ${controller} --registry-port ${registry}`) : line;
    // A person waits for a job they started in the background: a line after it may be
    // tried again while the job comes up (at most a minute); a lasting failure fails.
    const deadline = Date.now() + (background ? 60_000 : 0);
    let r = await sh.run(command);
    while (r.code !== 0 && Date.now() < deadline) {
      await sleep(1000);
      r = await sh.run(command);
    }
    assert.equal(r.code, 0, `"${line}" exited ${r.code}:\n${r.out}\n${r.err}`);
    t.diagnostic(`ok: ${line.slice(0, 80)}`);
    if (line.trimEnd().endsWith('&')) background = true;
    if (line.includes('savepoint check')) check = r.out;
  }
  assert.match(check, /compatible/);
  assert.ok(devStatus(devDir).every((s) => s.state === 'stopped'), 'dev down stopped the broker and the registry');
  assert.equal(git('status', '--porcelain').stdout, '', 'the tour left nothing untracked or changed in the checkout');
});
