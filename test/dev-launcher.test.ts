import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { freePort, isAlive, isPortFree } from '../src/process/index.ts';

const BIN = new URL('../bin/pitlane.mjs', import.meta.url).pathname;

function cli(devDir: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, '--dev-dir', devDir, ...args], { encoding: 'utf8', timeout: 180000 });
  return { code: r.status, out: r.stdout, err: r.stderr, json: () => JSON.parse(r.stdout) as Record<string, unknown> };
}

// This test runs its own broker beside the shared one: its own directory and ports.
test('pitlane dev up / status / up again / down, through the real CLI', async (t) => {
  const devDir = mkdtempSync(join(tmpdir(), 'pitlane-devtest-'));
  const port = await freePort();
  const controllerPort = await freePort();
  const started: { pid?: number } = {};
  t.after(() => {
    if (started.pid && isAlive(started.pid)) process.kill(started.pid, 'SIGKILL');
    rmSync(devDir, { recursive: true, force: true });
  });

  const up = cli(devDir, 'dev', 'up', '--port', String(port), '--controller-port', String(controllerPort), '--json');
  assert.equal(up.code, 0, up.err);
  const kafka = (up.json().services as { service: string; pid: number; alreadyRunning: boolean; downloaded: boolean; url: string }[])[0]!;
  started.pid = kafka.pid;
  assert.equal(kafka.alreadyRunning, false);
  // The test run already resolved the jars once: this start reuses the cache.
  assert.equal(kafka.downloaded, false);
  assert.equal(kafka.url, `127.0.0.1:${port}`);
  assert.ok(isAlive(kafka.pid));
  assert.equal(await isPortFree(port), false);

  const status = cli(devDir, 'dev', 'status', '--json');
  const st = (status.json().services as { service: string; state: string; pid?: number }[]).find((s) => s.service === 'kafka')!;
  assert.deepEqual([st.state, st.pid], ['running', kafka.pid]);

  const again = cli(devDir, 'dev', 'up', '--port', String(port), '--controller-port', String(controllerPort));
  assert.equal(again.code, 0);
  assert.match(again.out, /already running .* nothing started/);

  const smoke = cli(devDir, 'dev', 'smoke', '--records', '200', '--json');
  assert.equal(smoke.code, 0, smoke.err);
  assert.equal(smoke.json().readBack, 200);

  const down = cli(devDir, 'dev', 'down', '--json');
  assert.equal(down.code, 0, down.err);
  assert.equal(isAlive(kafka.pid), false, 'the broker pid is gone');
  assert.equal(await isPortFree(port), true, 'the port is free again');
  assert.equal(await isPortFree(controllerPort), true, 'the controller port is free again');
  const after = cli(devDir, 'dev', 'status', '--json');
  assert.ok((after.json().services as { state: string }[]).every((s) => s.state === 'stopped'));
});

test('pitlane dev up on a taken port says so and starts nothing', async (t) => {
  const devDir = mkdtempSync(join(tmpdir(), 'pitlane-devtest-'));
  const srv = createServer();
  const port = await freePort();
  await new Promise<void>((r) => srv.listen(port, '127.0.0.1', () => r()));
  t.after(async () => {
    await new Promise((r) => srv.close(r));
    rmSync(devDir, { recursive: true, force: true });
  });
  const up = cli(devDir, 'dev', 'up', '--port', String(port));
  assert.equal(up.code, 3);
  assert.match(up.err, /DEV_PORT_IN_USE/);
  assert.match(up.err, new RegExp(`Port ${port}`));
  const status = cli(devDir, 'dev', 'status', '--json');
  assert.ok((status.json().services as { state: string }[]).every((s) => s.state === 'stopped'));
});

test('commands against a broker that is down fail with a clear message and exit 3', async () => {
  const devDir = mkdtempSync(join(tmpdir(), 'pitlane-devtest-'));
  const port = await freePort();
  const r = spawnSync(process.execPath, [BIN, '--dev-dir', devDir, '--brokers', `127.0.0.1:${port}`, 'topic', 'list'], { encoding: 'utf8', timeout: 120000 });
  rmSync(devDir, { recursive: true, force: true });
  assert.equal(r.status, 3);
  assert.match(r.stderr, /KAFKA_UNREACHABLE/);
  assert.match(r.stderr, /pitlane dev up/);
});
