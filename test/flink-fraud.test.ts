/**
 * The local Flink session cluster and the Flink fraud v1, end to end: the launcher
 * starts a real cluster (JobManager + TaskManager JVMs) in a temporary dev dir, the
 * project's own build makes the job jar, the jar is uploaded and run over Flink's
 * REST API against the test broker, and its output is compared, record by record,
 * with the embedded engine's examples/fraud/v1.ts on the same input. Everything is
 * stopped by pid at the end, also when a step fails.
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { devDown, devLogs, devStatus } from '../src/dev/launcher.ts';
import { devUpFlink, type FlinkStart } from '../src/dev/flink-launcher.ts';
import { cacheRoot } from '../src/dev/paths.ts';
import { freePort, isAlive, isPortFree } from '../src/process/index.ts';
import { buildFlinkJobsJar, FLINK_ENTRY_CLASSES } from '../src/dev/flink-jobs-build.ts';
import { jobPrefix } from '../src/engines/flink/ids.ts';
import { toCompareRecord } from '../src/compare/decode.ts';
import type { IncomingRecord } from '../src/kafka/port.ts';
import fraudV1 from '../examples/fraud/v1.ts';
import { generateTransactions } from '../examples/fraud/generate.ts';
import type { Transaction } from '../examples/fraud/model.ts';
import { kafkaForTest, uniqueName, waitFor } from './support/kafka.ts';
import { ownedTestDevDir } from './support/infra.ts';
import { json, readTopic, runJob, waitForRecords } from './engine-harness.ts';

const BIN = new URL('../bin/pitlane.mjs', import.meta.url).pathname;
// The prefix and owner file of test dev dirs: a run killed before `after` has its
// processes stopped by the next run (test/support/infra.ts reapLeakedTestEnvironments).
const devDir = ownedTestDevDir();
let cluster: FlinkStart[] = [];
let rest = '';

before(async () => {
  cluster = await devUpFlink({ devDir, cacheDir: cacheRoot(), readyTimeoutMs: 150_000 });
  rest = cluster[0]!.url;
});

// A file that overruns the runner's time limit is ended with SIGTERM, and `after` hooks do
// not run then: pass the signal on to the cluster's pids (Flink shuts down on SIGTERM).
process.once('SIGTERM', () => {
  for (const s of cluster) if (isAlive(s.pid)) process.kill(s.pid, 'SIGTERM');
  process.exit(143);
});

after(async () => {
  await devDown(devDir, { purge: true });
});

function cli(dir: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, '--dev-dir', dir, ...args], { encoding: 'utf8', timeout: 180_000, env: { ...process.env, FLINK_REST_URL: '' } });
  return { code: r.status, out: r.stdout, err: r.stderr, json: () => JSON.parse(r.stdout) as Record<string, unknown> };
}

async function get<T>(path: string): Promise<T> {
  const res = await fetch(`${rest}${path}`);
  assert.ok(res.ok, `GET ${path}: HTTP ${res.status} ${await res.clone().text()}`);
  return (await res.json()) as T;
}

/** Local addresses of the TCP sockets a pid listens on, from /proc (no tool needed). */
function listeningAddresses(pid: number): string[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      /* closed meanwhile */
    }
  }
  const out: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '0A' || !inodes.has(f[9]!)) continue;
      out.push(f[1]!.split(':')[0]!);
    }
  }
  return out;
}
// 127.0.0.1 as /proc/net/tcp writes it, and as an IPv4-mapped IPv6 address in tcp6.
const LOOPBACK = new Set(['0100007F', '0000000000000000FFFF00000100007F']);

test('the launcher starts a session cluster: one TaskManager with 8 slots registered over REST, every socket on 127.0.0.1', async () => {
  const [jm, tm] = cluster;
  assert.equal(jm!.service, 'flink-jobmanager');
  assert.equal(tm!.service, 'flink-taskmanager');
  assert.notEqual(jm!.pid, tm!.pid);
  const tms = await get<{ taskmanagers: { id: string; slotsNumber: number }[] }>('/taskmanagers');
  assert.equal(tms.taskmanagers.length, 1);
  assert.equal(tms.taskmanagers[0]!.slotsNumber, 8);
  const config = await get<{ key: string; value: string }[]>('/jobmanager/config');
  const cfg = new Map(config.map((e) => [e.key, e.value]));
  assert.equal(cfg.get('web.submit.enable'), 'true');
  assert.match(cfg.get('execution.checkpointing.savepoint-dir') ?? '', new RegExp(`${devDir}/flink/savepoints`));
  for (const s of cluster) {
    const addrs = listeningAddresses(s.pid);
    assert.ok(addrs.length >= 2, `${s.service} listens`);
    assert.deepEqual(addrs.filter((a) => !LOOPBACK.has(a)), [], `${s.service} listens on loopback only`);
  }

  // Up again: the running cluster is reused, never doubled.
  const again = await devUpFlink({ devDir, cacheDir: cacheRoot() });
  assert.deepEqual(again.map((s) => [s.alreadyRunning, s.pid]), cluster.map((s) => [true, s.pid]));

  // `dev status` shows the REST URL, the pids and the log files.
  const status = cli(devDir, 'dev', 'status', '--json');
  assert.equal(status.code, 0, status.err);
  const rows = (status.json().services as { service: string; state: string; pid?: number; url?: string; logFile?: string }[]).filter((s) => s.service.startsWith('flink-'));
  assert.deepEqual(rows.map((r) => [r.service, r.state, r.pid, r.url]), cluster.map((s) => [s.service, 'running', s.pid, rest]));
  assert.ok(rows.every((r) => r.logFile?.startsWith(join(devDir, 'flink'))));
  assert.match(devLogs(devDir, 'flink-taskmanager', 400).join('\n'), /TaskManagerRunner|TaskExecutor/);
});

test('an existing cluster is shown, never started; one that does not answer is an error and nothing starts', async () => {
  const other = mkdtempSync(join(tmpdir(), 'pitlane-devtest-'));
  try {
    const shown = cli(other, 'dev', 'status', '--flink-rest', rest, '--json');
    assert.equal(shown.code, 0, shown.err);
    const flink = shown.json().flink as { external: boolean; reachable: boolean; overview: { taskmanagers: number; version: string } };
    assert.deepEqual([flink.external, flink.reachable, flink.overview.taskmanagers, flink.overview.version], [true, true, 1, '2.2.1']);
    const down = `http://127.0.0.1:${await freePort()}`;
    const up = cli(other, 'dev', 'up', '--flink-rest', down);
    assert.equal(up.code, 3);
    assert.match(up.err, /DEV_FLINK_UNREACHABLE/);
    assert.ok(devStatus(other).every((s) => s.state === 'stopped'), 'nothing was started');
  } finally {
    rmSync(other, { recursive: true, force: true });
  }
});

/** Uploads a jar (POST /jars/upload); it is deleted after the test. */
async function uploadJar(t: TestContext, jar: string): Promise<string> {
  const form = new FormData();
  form.append('jarfile', new Blob([readFileSync(jar)], { type: 'application/x-java-archive' }), basename(jar));
  const uploaded = await fetch(`${rest}/jars/upload`, { method: 'POST', body: form });
  assert.equal(uploaded.status, 200, await uploaded.clone().text());
  const jarId = basename(((await uploaded.json()) as { filename: string }).filename);
  t.after(() => fetch(`${rest}/jars/${jarId}`, { method: 'DELETE' }).then(() => undefined, () => undefined));
  return jarId;
}

/** Runs an uploaded jar (POST /jars/:id/run); the job is cancelled after the test. */
async function runJar(t: TestContext, jarId: string, body: { entryClass: string; parallelism: number; programArgsList: string[]; savepointPath?: string }): Promise<string> {
  const run = await fetch(`${rest}/jars/${jarId}/run`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(run.status, 200, await run.clone().text());
  const jobId = ((await run.json()) as { jobid: string }).jobid;
  t.after(() => fetch(`${rest}/jobs/${jobId}?mode=cancel`, { method: 'PATCH' }).then(() => undefined, () => undefined));
  return jobId;
}

/** The job's program arguments for the test broker (flink/common JobArgs). */
function jobArgs(input: string, output: string, id: string): string[] {
  return ['--bootstrap-servers', process.env.KAFKA_BROKERS!, '--input', input, '--output', output, '--group-id', id, '--transactional-id-prefix', id, '--starting-offsets', 'earliest', '--checkpoint-interval-ms', '1000'];
}

/**
 * Waits for `count` committed records in a topic while the job keeps running. The
 * limit is generous: on a loaded 2-core machine a job's first tasks take long to deploy.
 */
async function waitForOutput(jobId: string, topic: string, count: number, read: (topic: string) => Promise<IncomingRecord[]>): Promise<IncomingRecord[]> {
  let seen = 0;
  return waitFor(
    async () => {
      const recs = await read(topic);
      seen = recs.length;
      if (recs.length >= count) return recs;
      const state = (await get<{ state: string }>(`/jobs/${jobId}`)).state;
      assert.ok(['RUNNING', 'CREATED', 'INITIALIZING'].includes(state), `the Flink job is ${state}`);
      return undefined;
    },
    { timeoutMs: 240_000, intervalMs: 500, message: `${count} committed records in ${topic}` },
  ).catch((e: unknown) => {
    throw new Error(`${e instanceof Error ? e.message : String(e)}; ${seen} there at the end`);
  });
}

const TAIL_HEADERS = ['pitlane.src.topic', 'pitlane.src.partition', 'pitlane.src.offset', 'pitlane.event-time'];
const side = { format: 'json' as const, eventTime: 'auto' as const, key: 'record' as const, subject: undefined };

/** What the comparator reads of a record, and the raw bytes it was written as. */
function seen(r: IncomingRecord) {
  const c = toCompareRecord(r, JSON.parse(r.value!.toString()), side);
  return {
    key: r.key?.toString(),
    value: r.value!.toString(),
    timestamp: r.timestamp,
    headers: Object.fromEntries(TAIL_HEADERS.map((h) => [h, r.headers[h]?.toString()])),
    compare: { key: c.key, eventTime: c.eventTime, lineage: c.lineage, value: c.value },
  };
}

test('fraud v1 on Flink writes what the embedded fraud v1 writes: key, value, event time and lineage', async (t) => {
  const k = kafkaForTest(t);
  const input = await k.topic('flink-fraud-in', 4);
  const [flinkOut, embeddedOut] = [await k.topic('flink-fraud-out', 2), await k.topic('embedded-fraud-out', 2)];
  const txs = generateTransactions({ count: 400, seed: 13, users: 25 });
  await k.kafka.produce(input, json(txs, (x: Transaction) => x.userId));
  // The expectation is the TS job itself, run on the embedded engine over the same input.
  await runJob(t, k, fraudV1, { params: { input, output: embeddedOut }, parallelism: 4, deadLetterTopic: await k.topic('flink-fraud-dlq') });
  const flagged = txs.filter((x) => x.amount > 100).length;
  assert.ok(flagged > 20, `${flagged} transactions over 100`);

  const jarId = await uploadJar(t, await buildFlinkJobsJar('fraud-v1'));
  const groupId = k.trackGroup(uniqueName('flink-fraud'));
  const jobId = await runJar(t, jarId, { entryClass: FLINK_ENTRY_CLASSES.fraudV1.entryClass, parallelism: 4, programArgsList: jobArgs(input, flinkOut, groupId) });
  const job = await get<{ state: string; vertices: { name: string; parallelism: number }[] }>(`/jobs/${jobId}`);
  assert.ok(job.vertices.some((v) => v.parallelism === 4), 'the run request\'s parallelism');

  const embedded = await waitForRecords(k.kafka, embeddedOut, flagged, 60_000);
  const fromFlink = await waitForOutput(jobId, flinkOut, flagged, (topic) => readTopic(k.kafka, topic));
  const byTx = (recs: IncomingRecord[]) => new Map(recs.map((r) => [(JSON.parse(r.value!.toString()) as { txId: string }).txId, seen(r)]));
  const [a, b] = [byTx(embedded), byTx(fromFlink)];
  assert.equal(b.size, flagged, 'each flag once (exactly-once sink, read_committed)');
  assert.equal(fromFlink.length, flagged);
  assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort());
  for (const [txId, e] of a) assert.deepEqual(b.get(txId), e, txId);
  // And the lineage points at the input record, whose event time is the record timestamp.
  const one = b.values().next().value!;
  assert.equal(one.headers['pitlane.src.topic'], input);
  assert.equal(one.timestamp, Number(one.headers['pitlane.event-time']));

  const cancel = await fetch(`${rest}/jobs/${jobId}?mode=cancel`, { method: 'PATCH' });
  assert.equal(cancel.status, 202);
  await waitFor(async () => (await get<{ state: string }>(`/jobs/${jobId}`)).state === 'CANCELED', { timeoutMs: 30_000, message: 'the job is cancelled' });
});

/** The Flink adapter's request log and job records, and the savepoint history, private to this file's runs. */
const stateDir = join(devDir, 'state');

/** `pitlane flink …` (or any command) against this file's cluster; --json answers parsed. */
function pl(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, '--dev-dir', devDir, ...args], { encoding: 'utf8', timeout: 240_000, env: { ...process.env, FLINK_REST_URL: '', PITLANE_STATE_DIR: stateDir, PITLANE_STORE: `dir:${join(devDir, 'store')}` } });
  return { code: r.status, out: r.stdout, err: r.stderr, json: <T = Record<string, unknown>>() => JSON.parse(r.stdout) as T };
}

interface Listed {
  jobs: { flinkJobId: string; name: string; state: string }[];
}

/** Cancels, after the test, every run of these pitlane job names that still runs. */
function cancelAfter(t: TestContext, ...names: string[]): void {
  t.after(() => {
    for (const n of names) pl('flink', 'cancel', n);
  });
}

test('through the CLI: run v1, savepoint while it runs, stop with a savepoint, then v2 from it rescaled 4 → 8 with the new state field — the counts go on; every call repeated with its request id acts once', async (t) => {
  const k = kafkaForTest(t);
  const input = await k.topic('flink-cli-in', 4);
  const [out1, out2] = [await k.topic('flink-cli-v1'), await k.topic('flink-cli-v2')];
  const txs = generateTransactions({ count: 400, seed: 21, users: 12 });
  const [first, second] = [txs.slice(0, 200), txs.slice(200)];
  await k.kafka.produce(input, json(first, (x: Transaction) => x.userId));
  const [v1Jar, v2Jar] = await Promise.all([buildFlinkJobsJar('fraud-v1'), buildFlinkJobsJar('fraud-v2')]);
  const [v1, v2] = [uniqueName('cli-fraud-v1'), uniqueName('cli-fraud-v2')];
  cancelAfter(t, v1, v2);
  k.trackGroup(v1);
  k.trackGroup(v2);

  const run1 = ['flink', 'run', v1Jar, '--entry-class', FLINK_ENTRY_CLASSES.fraudV1.entryClass, '--name', v1, '--parallelism', '4', '--input', input, '--output', out1, '--request-id', `${v1}/run`, '--json'];
  const started = pl(...run1);
  assert.equal(started.code, 0, started.err);
  const jid = started.json<{ flinkJobId: string; state: string }>();
  assert.equal(jid.state, 'running');
  const again = pl(...run1);
  assert.equal(again.code, 0, again.err);
  assert.equal(again.json<{ flinkJobId: string }>().flinkJobId, jid.flinkJobId, 'a repeated run is the same Flink job');
  const listed = pl('flink', 'list', '--json').json<Listed>().jobs.filter((j) => j.flinkJobId.slice(0, 16) === jid.flinkJobId.slice(0, 16));
  assert.deepEqual(listed.map((j) => j.state), ['RUNNING'], 'submitted once');
  await waitForOutput(jid.flinkJobId, out1, first.filter((x) => x.amount > 100).length, (topic) => readTopic(k.kafka, topic));

  // Every record read (the stop's committed offsets are checked below).
  await waitFor(async () => pl('flink', 'status', v1, '--json').json<{ metrics?: { recordsIn: number } }>().metrics?.recordsIn === first.length, { timeoutMs: 60_000, intervalMs: 1000, message: 'v1 has read the first half' });
  // A savepoint while it runs, asked twice with one request id: one savepoint.
  const savepoints = join(devDir, 'flink', 'savepoints');
  const before = readdirSync(savepoints).length;
  const sp = pl('flink', 'savepoint', v1, '--request-id', `${v1}/sp`, '--json');
  assert.equal(sp.code, 0, sp.err);
  const sp2 = pl('flink', 'savepoint', v1, '--request-id', `${v1}/sp`, '--json');
  assert.equal(sp2.json<{ location: string }>().location, sp.json<{ location: string }>().location);
  assert.equal(readdirSync(savepoints).length, before + 1, 'one savepoint for one request id');
  assert.equal(pl('flink', 'status', v1, '--json').json<{ state: string }>().state, 'running', 'the job keeps running');

  // Stop with a savepoint (no drain: a handoff), twice with one request id.
  const stop = pl('flink', 'stop', v1, '--request-id', `${v1}/stop`, '--json');
  assert.equal(stop.code, 0, stop.err);
  const stopped = stop.json<{ location: string; sourceOffsets: { offset: number }[] }>();
  assert.match(stopped.location, new RegExp(`${savepoints}/`));
  assert.equal(stopped.sourceOffsets.reduce((n, o) => n + o.offset, 0), first.length, 'the stop committed where the savepoint resumes');
  assert.equal(pl('flink', 'stop', v1, '--request-id', `${v1}/stop`, '--json').json<{ location: string }>().location, stopped.location);
  assert.equal(pl('flink', 'status', v1, '--json').json<{ state: string }>().state, 'finished');

  // Both are in the savepoint history as Flink savepoints of v1, with their cluster; the cluster disposes of the first.
  type History = { savepoints: { location: string; trigger: string; engine: string; cluster?: string }[] };
  const spLocation = sp.json<{ location: string }>().location;
  const history = pl('savepoint', 'list', '--job', v1, '--json').json<History>().savepoints;
  assert.deepEqual(history.map((x) => [x.location, x.trigger, x.engine, typeof x.cluster]), [[stopped.location, 'stop', 'flink', 'string'], [spLocation, 'manual', 'flink', 'string']]);
  const disposed = pl('savepoint', 'dispose', spLocation);
  assert.equal(disposed.code, 0, disposed.err);
  assert.equal(existsSync(spLocation.replace(/^file:/, '')), false, 'Flink deleted the savepoint');
  assert.deepEqual(pl('savepoint', 'list', '--job', v1, '--json').json<History>().savepoints.map((x) => x.location), [stopped.location]);

  // v2 from it at parallelism 8: its rule (over 500) on the second half, each user's count carried over.
  await k.kafka.produce(input, json(second, (x: Transaction) => x.userId));
  const run2 = pl('flink', 'run', v2Jar, '--entry-class', FLINK_ENTRY_CLASSES.fraudV2.entryClass, '--name', v2, '--parallelism', '8', '--from-savepoint', stopped.location, '--input', input, '--output', out2, '--json');
  assert.equal(run2.code, 0, run2.err);
  const v2Id = run2.json<{ flinkJobId: string }>().flinkJobId;
  const vertices = (await get<{ vertices: { name: string; parallelism: number }[] }>(`/jobs/${v2Id}`)).vertices;
  assert.ok(vertices.some((v) => v.name.includes('profile') && v.parallelism === 8), JSON.stringify(vertices));
  const counts = new Map<string, number>();
  const expected: string[] = [];
  for (const [i, x] of txs.entries()) {
    if (i >= first.length && x.amount > 500) expected.push(`${x.txId}:500:${counts.get(x.userId) ?? 0}`);
    counts.set(x.userId, (counts.get(x.userId) ?? 0) + 1);
  }
  assert.ok(expected.length >= 3 && expected.some((e) => !e.endsWith(':0')), 'some restored counts to check');
  const got = await waitForOutput(v2Id, out2, expected.length, (topic) => readTopic(k.kafka, topic));
  const flags = got.map((r) => JSON.parse(r.value!.toString()) as { txId: string; threshold: number; priorCount: number });
  assert.deepEqual(flags.map((f) => `${f.txId}:${f.threshold}:${f.priorCount}`).sort(), expected.sort());

  // Status: running, with Flink's numbers and watermarks per vertex.
  const status = pl('flink', 'status', v2, '--json').json<{ state: string; metrics: { recordsIn: number; recordsOut: number }; watermark: { perVertex: { name: string; watermark?: number }[] } }>();
  assert.equal(status.state, 'running');
  assert.ok(status.watermark.perVertex.length >= 2);
  const cancel = pl('flink', 'cancel', v2, '--json');
  assert.equal(cancel.json<{ state: string }>().state, 'cancelled');
});

test('a restore that drops an operator is refused with Flink\'s cause, the vertex and the flag, and nothing is left running; with --allow-non-restored-state it runs', async (t) => {
  const k = kafkaForTest(t);
  const input = await k.topic('flink-anrs-in', 2);
  const out = await k.topic('flink-anrs-out');
  await k.kafka.produce(input, json(generateTransactions({ count: 60, seed: 5, users: 6 }), (x: Transaction) => x.userId));
  const [v1Jar, v2Jar] = await Promise.all([buildFlinkJobsJar('fraud-v1'), buildFlinkJobsJar('fraud-v2')]);
  const [v1, v2] = [uniqueName('anrs-v1'), uniqueName('anrs-v2')];
  cancelAfter(t, v1, v2);
  k.trackGroup(v1);
  k.trackGroup(v2);
  assert.equal(pl('flink', 'run', v1Jar, '--entry-class', FLINK_ENTRY_CLASSES.fraudV1.entryClass, '--name', v1, '--parallelism', '2', '--input', input, '--output', out).code, 0);
  const stop = pl('flink', 'stop', v1, '--json');
  assert.equal(stop.code, 0, stop.err);
  const savepoint = stop.json<{ location: string }>().location;

  // v2 whose keyed step has another uid: the saved "profile" state has no operator to go to.
  const renamed = ['--arg', '--bootstrap-servers', '--arg', '{bootstrapServers}', '--arg', '--input', '--arg', '{inputs}', '--arg', '--output', '--arg', '{sinkTopic}', '--arg', '--group-id', '--arg', '{identity}', '--arg', '--transactional-id-prefix', '--arg', '{identity}', '--arg', '--profile-uid', '--arg', 'profile-v2'];
  const base = ['flink', 'run', v2Jar, '--entry-class', FLINK_ENTRY_CLASSES.fraudV2.entryClass, '--name', v2, '--parallelism', '2', '--from-savepoint', savepoint, '--input', input, '--output', out, ...renamed];
  const refused = pl(...base);
  assert.equal(refused.code, 3, refused.out);
  assert.match(refused.err, /^error \[FLINK_JOB_FAILED\]: Job .* did not start on Flink .*Cannot map checkpoint\/savepoint state for operator [0-9a-f]{32} — the vertex "profile[^"]*" of fraud v1/);
  assert.match(refused.err, /→ .*allowNonRestoredState: true in the spec, --allow-non-restored-state on the command line/);
  const runs = pl('flink', 'list', '--json').json<Listed>().jobs.filter((j) => j.flinkJobId.startsWith(jobPrefix(v2)));
  assert.deepEqual(runs.map((j) => j.state), ['FAILED'], 'the refused run failed and nothing of it is left running');
  const status = pl('flink', 'status', v2, '--json');
  assert.equal(status.code, 1, 'status of a failed job exits 1');
  assert.match(status.json<{ failure: string }>().failure, /Cannot map checkpoint\/savepoint state/);

  const accepted = pl(...base, '--allow-non-restored-state', '--json');
  assert.equal(accepted.code, 0, accepted.err);
  assert.equal(accepted.json<{ state: string }>().state, 'running');
});

test('bad input gets its own error and nothing is left running: a missing jar, a wrong entry class, a savepoint that is not there, a missing input topic, an unwritable savepoint directory, a job that is not running', async (t) => {
  const k = kafkaForTest(t);
  const [input, out] = [await k.topic('flink-bad-in', 2), await k.topic('flink-bad-out')];
  const jar = await buildFlinkJobsJar('fraud-v1');
  const entry = FLINK_ENTRY_CLASSES.fraudV1.entryClass;
  const name = uniqueName('bad');
  cancelAfter(t, name);
  k.trackGroup(name);
  const fails = (code: string, pattern: RegExp, ...args: string[]) => {
    const r = pl(...args);
    assert.equal(r.code, 3, `${code}: ${r.out}`);
    assert.match(r.err, new RegExp(`^error \\[${code}\\]: `), r.err);
    assert.match(r.err, pattern, r.err);
  };
  fails('FLINK_JAR_MISSING', /cannot be read \(ENOENT\)/, 'flink', 'run', join(devDir, 'nope.jar'), '--entry-class', entry, '--name', name, '--input', input, '--output', out);
  fails('FLINK_SUBMIT_FAILED', /ClassNotFoundException: dev\.pitlane\.NoSuchJob[\s\S]*→ Check the entry class/, 'flink', 'run', jar, '--entry-class', 'dev.pitlane.NoSuchJob', '--name', name, '--input', input, '--output', out);
  fails('FLINK_JOB_FAILED', /Cannot find checkpoint or savepoint[\s\S]*→ The savepoint path does not exist/, 'flink', 'run', jar, '--entry-class', entry, '--name', name, '--input', input, '--output', out, '--from-savepoint', join(devDir, 'no-savepoint'));
  fails('FLINK_JOB_FAILED', /UnknownTopicOrPartition[\s\S]*→ Create the input topic first/, 'flink', 'run', jar, '--entry-class', entry, '--name', name, '--input', `${input}-missing`, '--output', out);
  const runs = () => pl('flink', 'list', '--json').json<Listed>().jobs.filter((j) => j.flinkJobId.startsWith(jobPrefix(name)));
  assert.deepEqual(runs().filter((j) => j.state !== 'FAILED' && j.state !== 'CANCELED'), [], 'no failed start is left running');

  assert.equal(pl('flink', 'run', jar, '--entry-class', entry, '--name', name, '--input', input, '--output', out).code, 0);
  fails('FLINK_NAME_IN_USE', /A job named .* already runs on Flink[\s\S]*→ Stop it first/, 'flink', 'run', jar, '--entry-class', entry, '--name', name, '--input', input, '--output', out);
  fails('FLINK_SAVEPOINT_FAILED', /Failed to create savepoint directory[\s\S]*→ The JobManager and TaskManagers must be able to write/, 'flink', 'savepoint', name, '--dir', '/proc/pitlane-not-writable');
  assert.equal(pl('flink', 'status', name, '--json').json<{ state: string }>().state, 'running', 'a failed savepoint leaves the job running');
  assert.equal(pl('flink', 'cancel', name).code, 0);
  fails('ENGINE_JOB_NOT_RUNNING', /its last run [0-9a-f]{32} is CANCELED/, 'flink', 'savepoint', name);
});

test('engine: flink in a spec runs on Flink: canary launch submits the authoritative job to the cluster, and no embedded job host starts', async (t) => {
  const k = kafkaForTest(t);
  const input = await k.topic('flink-spec-in', 2);
  const out = await k.topic('flink-spec-out');
  const name = uniqueName('flinkspec').toLowerCase();
  cancelAfter(t, name);
  k.trackGroup(`pitlane.${name}.${name}`);
  const file = join(devDir, `${name}.yaml`);
  writeFileSync(
    file,
    `name: ${name}\ninputs: [${input}]\nauthoritative: { engine: flink, jar: ${await buildFlinkJobsJar('fraud-v1')}, entryClass: ${FLINK_ENTRY_CLASSES.fraudV1.entryClass}, version: v1, output: ${out} }\ncandidate: { jar: ${await buildFlinkJobsJar('fraud-v2')}, entryClass: ${FLINK_ENTRY_CLASSES.fraudV2.entryClass}, canary: ${out}-canary, parallelism: 2 }\nrollback: { keepSavepoint: false }\n`,
  );
  // A spec whose jar lacks the entry class is refused before anything is submitted.
  const wrong = join(devDir, `${name}-wrong.yaml`);
  writeFileSync(wrong, readFileSync(file, 'utf8').replace(`entryClass: ${FLINK_ENTRY_CLASSES.fraudV1.entryClass}`, 'entryClass: dev.pitlane.flink.fraud.NoSuchJob'));
  const refused = pl('canary', 'launch', wrong, '--store', `dir:${join(devDir, 'store')}`, '--state-dir', stateDir);
  assert.equal(refused.code, 3, refused.out);
  assert.match(refused.err, /^error \[FLINK_NO_SUCH_ENTRY_CLASS\]: authoritative\.jar in .*-wrong\.yaml: The jar .* has no class dev\.pitlane\.flink\.fraud\.NoSuchJob/);
  assert.deepEqual(pl('flink', 'list', '--json').json<Listed>().jobs.filter((j) => j.flinkJobId.startsWith(jobPrefix(name))), [], 'nothing was submitted');
  const launched = pl('canary', 'launch', file, '--store', `dir:${join(devDir, 'store')}`, '--state-dir', stateDir, '--parallelism', '2', '--json');
  assert.equal(launched.code, 0, launched.err);
  assert.deepEqual([launched.json<{ engine: string; state: string }>().engine, launched.json<{ state: string }>().state], ['flink', 'running']);
  const listed = pl('flink', 'list', '--json').json<Listed>().jobs.filter((j) => j.state === 'RUNNING' && j.name === 'fraud v1');
  assert.ok(listed.length >= 1, 'the job runs on the Flink cluster');
  assert.equal(pl('flink', 'status', name, '--json').json<{ state: string }>().state, 'running');
  const hosts = join(stateDir, 'jobs');
  assert.deepEqual(existsSync(hosts) ? readdirSync(hosts).filter((f) => f.includes(name)) : [], [], 'no embedded job host');
});

test('dev down stops the JobManager and TaskManager by pid; no process and no port is left', async () => {
  const restPort = Number(new URL(rest).port);
  const stopped = await devDown(devDir);
  for (const s of cluster) {
    assert.equal(stopped.find((x) => x.service === s.service)?.result, 'stopped', s.service);
    assert.equal(isAlive(s.pid), false, `${s.service} pid ${s.pid} is gone`);
  }
  assert.equal(await isPortFree(restPort), true);
  const ours = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(`-Dpitlane.flink.`) && readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(devDir);
    } catch {
      return false;
    }
  });
  assert.deepEqual(ours, []);
});
