// `pitlane savepoint trigger`, `stop` and `jobs` against a job's control channel, without
// Kafka: the test process plays the job (a control server in a private jobs directory)
// and records what the real CLI asks of it. Two kinds of job answer: `pitlane run`
// (announces its --savepoint-dir, answers `path`) and a job the orchestrator hosts
// (announces no savepoint directory, answers `location` / `savepoint.location`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { TestContext } from 'node:test';
import { startControlServer } from '../src/engines/embedded/control/server.ts';
import type { ServedHandlers } from '../src/engines/embedded/control/protocol.ts';
import { repo, runCli } from './savepoint-runtime-support.ts';
import { defaultSavepointBase } from '../src/cli/commands/savepoint-path.ts';

/** The savepoint history in a directory store beside the pretend job's: no broker. */
function cli(jobsDir: string, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCli(args, { ...process.env, PITLANE_JOBS_DIR: jobsDir, PITLANE_STORE: `dir:${join(jobsDir, 'store')}`, PITLANE_STATE_DIR: join(jobsDir, 'state') });
}

const OFFSETS = [{ topic: 'in', partition: 0, offset: 42 }];

/** A pretend job: records each request's body; answers like `pitlane run` or like the orchestrator's host. */
async function pretendJob(t: TestContext, kind: 'run' | 'hosted', savepointDir?: string) {
  const jobsDir = await mkdtemp(join(tmpdir(), 'pitlane-cli-jobs-'));
  const requests: { command: string; body: Record<string, unknown> }[] = [];
  const name = `job-${kind}`;
  const server = await startControlServer({
    dir: jobsDir,
    name,
    version: '7',
    ...(savepointDir ? { savepointDir } : {}),
    handlers: {
      savepoint: async (body: Record<string, unknown>) => {
        requests.push({ command: 'savepoint', body });
        return kind === 'run' ? { path: body.dir, bytes: 10, sourceOffsets: OFFSETS } : { location: String(body.dir), sourceOffsets: OFFSETS, completedAt: 1 };
      },
      stop: async (body: Record<string, unknown>) => {
        requests.push({ command: 'stop', body });
        const dir = body.savepointDir ?? body.dir;
        if (kind === 'run') return typeof dir === 'string' ? { path: dir, bytes: 10, sourceOffsets: OFFSETS } : { stopped: name };
        return { ...(typeof body.dir === 'string' ? { savepoint: { location: body.dir, sourceOffsets: OFFSETS } } : {}), metrics: { recordsIn: 3 } };
      },
      // Answers cut down to what the CLI reads: the transport passes them as they are.
    } as unknown as ServedHandlers,
  });
  t.after(async () => {
    await server.close();
    await rm(jobsDir, { recursive: true, force: true });
  });
  return { jobsDir, name, requests };
}

test('savepoint trigger without --dir names a directory: the job\'s --savepoint-dir, else pitlane\'s state directory (never the checkout); never "undefined"', async (t) => {
  const cases = [
    { kind: 'run' as const, savepointDir: '/data/savepoints', base: '/data/savepoints' },
    { kind: 'hosted' as const, savepointDir: undefined, base: defaultSavepointBase(process.env) },
  ];
  for (const c of cases) {
    const job = await pretendJob(t, c.kind, c.savepointDir);
    const r = await cli(job.jobsDir, ['savepoint', 'trigger', job.name, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const sent = String(job.requests[0]?.body.dir);
    assert.ok(isAbsolute(sent) && sent.startsWith(`${c.base}/savepoint-${job.name}-`), `${c.kind}: asked for ${sent}`);
    assert.deepEqual(JSON.parse(r.stdout), { job: job.name, path: sent, sourceOffsets: OFFSETS, ...(c.kind === 'run' ? { bytes: 10 } : { completedAt: 1 }) });
    const human = await cli(job.jobsDir, ['savepoint', 'trigger', job.name, '--dir', 'sp-here']);
    assert.equal(human.code, 0, human.stderr);
    assert.equal(human.stdout.trim(), join(repo, 'sp-here'), `${c.kind}: prints the path it was given`);
    // Both are in the savepoint history, newest first, as manual savepoints of the job.
    const list = await cli(job.jobsDir, ['savepoint', 'list', '--job', job.name, '--json']);
    assert.equal(list.code, 0, list.stderr);
    const { savepoints } = JSON.parse(list.stdout) as { savepoints: { job: string; location: string; trigger: string; engine: string }[] };
    assert.deepEqual(new Set(savepoints.map((x) => x.location)), new Set([sent, join(repo, 'sp-here')]), c.kind);
    assert.ok(savepoints.every((x) => x.job === job.name && x.trigger === 'manual' && x.engine === 'embedded'), c.kind);
  }
});

test('stop --json has one shape for both kinds of job; a savepoint that was asked for and not written is an error', async (t) => {
  for (const kind of ['run', 'hosted'] as const) {
    const job = await pretendJob(t, kind);
    const r = await cli(job.jobsDir, ['stop', job.name, '--savepoint-dir', 'sp-final', '--drain', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const listed = JSON.parse((await cli(job.jobsDir, ['savepoint', 'list', '--json'])).stdout) as { savepoints: { location: string; trigger: string }[] };
    assert.deepEqual(listed.savepoints.map((x) => [x.location, x.trigger]), [[join(repo, 'sp-final'), 'stop']], `${kind}: the final savepoint is in the history`);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.deepEqual({ ...out, metrics: undefined }, { job: job.name, stopped: true, drained: true, savepoint: join(repo, 'sp-final'), sourceOffsets: OFFSETS, metrics: undefined }, kind);
    assert.deepEqual(job.requests.at(-1)?.body, { savepointDir: join(repo, 'sp-final'), dir: join(repo, 'sp-final'), drain: true });
    const plain = await cli(job.jobsDir, ['stop', job.name, '--json']);
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal((JSON.parse(plain.stdout) as { savepoint: unknown }).savepoint, null);
  }
  // A `pitlane run` job already stopping answers without a savepoint.
  const job = await pretendJob(t, 'run');
  const stale = await startControlServer({ dir: job.jobsDir, name: 'stopping', version: '1', handlers: { stop: async () => ({ stopped: 'stopping' }) } });
  t.after(() => stale.close());
  const r = await cli(job.jobsDir, ['stop', 'stopping', '--savepoint-dir', 'sp-x']);
  assert.equal(r.code, 3);
  assert.match(r.stderr, /STOP_NO_SAVEPOINT.*wrote no savepoint/);
});

test('jobs --json lists each running job with its savepoint directory', async (t) => {
  const job = await pretendJob(t, 'run', '/data/savepoints');
  const r = await cli(job.jobsDir, ['jobs', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const { jobs } = JSON.parse(r.stdout) as { jobs: { name: string; version: string; pid: number; savepointDir?: string }[] };
  assert.deepEqual(jobs.map((j) => [j.name, j.version, j.pid, j.savepointDir]), [[job.name, '7', process.pid, '/data/savepoints']]);
  const human = await cli(job.jobsDir, ['jobs']);
  assert.match(human.stdout, new RegExp(`${job.name}\\s+7\\s+${process.pid}`));
});
