import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { ephemeralPortRange, freePort, isAlive, isPortFree, isZombie, tailFile } from './index.ts';
import { spawn } from 'node:child_process';

test('isPortFree sees a listener and its absence', async () => {
  const port = await freePort();
  assert.equal(await isPortFree(port), true);
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(port, '127.0.0.1', () => r()));
  try {
    assert.equal(await isPortFree(port), false);
  } finally {
    await new Promise((r) => srv.close(r));
  }
});

test('freePort draws distinct ports below the ephemeral range, where no client socket can take them', async () => {
  const [low] = ephemeralPortRange();
  const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
  assert.equal(new Set(ports).size, 20);
  for (const p of ports) assert.ok(p >= 1024 && p < low, `${p} is below ${low}`);
});

test('isAlive: this process yes, an unused pid no', () => {
  assert.equal(isAlive(process.pid), true);
  assert.equal(isAlive(2 ** 22 + 7), false);
});

test('tailFile returns the last lines', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pl-tail-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const f = join(dir, 'x.log');
  writeFileSync(f, Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n') + '\n');
  assert.deepEqual(tailFile(f, 3), ['line 97', 'line 98', 'line 99']);
  assert.deepEqual(tailFile(join(dir, 'missing.log'), 3), []);
});

test('isAlive: a zombie (exited, never reaped by its parent) is dead', async () => {
  // sh starts a short child, prints its pid, then becomes `sleep`, which never reaps it.
  const parent = spawn('sh', ['-c', 'sleep 0.05 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const pid = Number(await new Promise<string>((r) => parent.stdout!.once('data', (b: Buffer) => r(b.toString().trim()))));
    const deadline = Date.now() + 4000;
    while (!isZombie(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(isZombie(pid), true, 'the child is a zombie');
    assert.doesNotThrow(() => process.kill(pid, 0), 'signal 0 still reaches it');
    assert.equal(isAlive(pid), false);
    assert.equal(isAlive(parent.pid!), true, 'its parent runs');
  } finally {
    parent.kill('SIGKILL');
  }
});
