import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { flinkJobId, jobPrefix, triggerId } from './ids.ts';
import { DEFAULT_FLINK_ARGS, programArgs } from './args.ts';
import { FlinkHttpError, FlinkRest, flinkMessage } from './rest.ts';
import { hintFor, stateOf, waitTerminal, type FlinkJobDetails } from './jobs.ts';
import { isFlinkSavepoint, localSavepointPath } from './preflight.ts';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, EngineError } from '../../errors.ts';
import type { KafkaPort } from '../../kafka/port.ts';
import { silentLogger } from '../../logger.ts';
import { FlinkAdapter } from './adapter.ts';
import { ClusterJars, uploadName } from './jars.ts';

test('ids: a run of a pitlane job shares its JobID prefix; the same request gives the same ids, another request others', () => {
  const a = flinkJobId('fraud', 'r1');
  assert.match(a, /^[0-9a-f]{32}$/);
  assert.equal(a, flinkJobId('fraud', 'r1'));
  assert.notEqual(a, flinkJobId('fraud', 'r2'));
  assert.ok(a.startsWith(jobPrefix('fraud')) && flinkJobId('fraud', 'r2').startsWith(jobPrefix('fraud')));
  assert.ok(!flinkJobId('fraud-v2', 'r1').startsWith(jobPrefix('fraud')));
  assert.match(triggerId('s1'), /^[0-9a-f]{32}$/);
  assert.notEqual(triggerId('s1'), triggerId('s2'));
});

test('args: placeholders are filled; without arguments the job gets pitlane\'s contract; an unknown placeholder is named', () => {
  const v = { bootstrapServers: '127.0.0.1:9092', inputs: ['a', 'b'], sinkTopic: 'out', identity: 'pitlane.x.y', startingOffsets: { timestamp: 42 }, commitIntervalMs: 500 } as const;
  assert.deepEqual(programArgs(['--in={inputs}', '--to', '{sinkTopic}', '--from', '{startingOffsets}', 'plain'], v), ['--in=a,b', '--to', 'out', '--from', 'timestamp:42', 'plain']);
  const d = programArgs(undefined, { ...v, startingOffsets: 'earliest' });
  assert.equal(d.length, DEFAULT_FLINK_ARGS.length);
  assert.deepEqual(d.slice(0, 6), ['--bootstrap-servers', '127.0.0.1:9092', '--input', 'a,b', '--output', 'out']);
  assert.ok(d.includes('pitlane.x.y') && d.includes('earliest') && d.includes('500'));
  assert.throws(() => programArgs(['{topic}'], v), (e: unknown) => e instanceof ConfigError && e.code === 'FLINK_BAD_ARG_PLACEHOLDER' && /\{inputs\}/.test(e.hint ?? ''));
});

test('flinkMessage: the first line and the deepest cause of a Java stack trace, not the frames', () => {
  const trace = 'org.apache.flink.runtime.rest.handler.RestHandlerException: Job could not be found.\n\tat a.b.C(C.java:1)\nCaused by: x.Y: middle\n\tat q\nCaused by: org.apache.flink.runtime.messages.FlinkJobNotFoundException: Could not find Flink job (abc)\n\tat z';
  assert.equal(flinkMessage([trace]), 'org.apache.flink.runtime.rest.handler.RestHandlerException: Job could not be found. — caused by org.apache.flink.runtime.messages.FlinkJobNotFoundException: Could not find Flink job (abc)');
  assert.equal(flinkMessage(['plain']), 'plain');
});

test('stateOf: RUNNING counts as running only once every task runs; hints name the fix Flink users know', () => {
  const job = (state: string, ...statuses: string[]) => ({ jid: 'x', name: 'n', state, 'start-time': 0, vertices: statuses.map((status, i) => ({ id: String(i), name: 'v', parallelism: 1, status })) }) as FlinkJobDetails;
  assert.equal(stateOf(job('RUNNING', 'RUNNING', 'DEPLOYING')), 'starting');
  assert.equal(stateOf(job('RUNNING', 'RUNNING', 'RUNNING')), 'running');
  assert.deepEqual(['INITIALIZING', 'RESTARTING', 'FAILED', 'CANCELLING', 'CANCELED', 'FINISHED', 'SUSPENDED'].map((s) => stateOf(job(s))), ['starting', 'restarting', 'failed', 'stopping', 'cancelled', 'finished', 'failed']);
  assert.match(hintFor('Cannot map checkpoint/savepoint state for operator abc to the new program'), /allowNonRestoredState: true in the spec, --allow-non-restored-state/);
  assert.match(hintFor('java.lang.ClassNotFoundException: com.x.Main'), /entry class/);
});

test('localSavepointPath: file: URIs and plain paths are local; other schemes are not', () => {
  assert.equal(localSavepointPath('file:/tmp/sp/savepoint-1'), '/tmp/sp/savepoint-1');
  assert.equal(localSavepointPath('/tmp/sp'), '/tmp/sp');
  assert.equal(localSavepointPath('s3://bucket/sp'), undefined);
});

test('isFlinkSavepoint: a directory whose _metadata starts with Flink\'s magic number (or that file, or its file: URI) is; pitlane\'s own savepoint or a missing path is not', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pl-flinksp-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const flink = join(dir, 'savepoint-abc');
  mkdirSync(flink);
  writeFileSync(join(flink, '_metadata'), Buffer.from([0x49, 0x60, 0x67, 0x2d, 0, 0, 0, 5]));
  const ours = join(dir, 'ours');
  mkdirSync(ours);
  writeFileSync(join(ours, '_metadata'), Buffer.from('PLSP\0\0\0\x01', 'latin1'));
  assert.equal(isFlinkSavepoint(flink), true);
  assert.equal(isFlinkSavepoint(join(flink, '_metadata')), true);
  assert.equal(isFlinkSavepoint(pathToFileURL(flink).href), true);
  assert.equal(isFlinkSavepoint(ours), false);
  assert.equal(isFlinkSavepoint(join(ours, '_metadata')), false);
  assert.equal(isFlinkSavepoint(join(dir, 'missing')), false);
  assert.equal(isFlinkSavepoint('s3://bucket/sp'), false);
});

/** A stand-in for the JobManager's REST port: answers from a script of (status, body). */
async function scripted(answers: [number, unknown][]): Promise<{ url: string; server: Server; calls: string[] }> {
  const calls: string[] = [];
  const server = createServer((req, res) => {
    calls.push(`${req.method} ${req.url}`);
    const [status, body] = answers.shift() ?? [500, { errors: ['no more answers'] }];
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, calls };
}

test('FlinkRest: a 503 (leader election) is retried; a 4xx is an error carrying Flink\'s message', async (t) => {
  const s = await scripted([[503, {}], [200, { jobs: [] }], [400, { errors: ['org.x.BadRequest: the savepoint path is wrong\n\tat frame'] }]]);
  t.after(() => s.server.close());
  const rest = new FlinkRest({ url: `${s.url}/`, outageToleranceMs: 5000 });
  assert.deepEqual(await rest.get('/jobs/overview'), { jobs: [] });
  await assert.rejects(rest.post('/jars/x/run', {}), (e: unknown) => e instanceof FlinkHttpError && e.status === 400 && e.code === 'FLINK_HTTP_400' && e.flinkMessage === 'org.x.BadRequest: the savepoint path is wrong');
  assert.deepEqual(s.calls, ['GET /jobs/overview', 'GET /jobs/overview', 'POST /jars/x/run']);
});

test('FlinkRest: a cluster that does not answer within the tolerance is FLINK_UNREACHABLE, saying how to get one', async () => {
  const s = await scripted([]);
  const url = s.url;
  await new Promise<void>((r) => s.server.close(() => r()));
  const rest = new FlinkRest({ url, outageToleranceMs: 300 });
  await assert.rejects(rest.get('/overview'), (e: unknown) => e instanceof EngineError && e.code === 'FLINK_UNREACHABLE' && e.retriable && /pitlane dev up --flink/.test(e.hint ?? ''));
});

test('waitTerminal asks the dispatcher (/status), whose answer is current, not the cached details; an unknown JobID falls back to the details', async (t) => {
  const s = await scripted([
    [200, { status: 'RUNNING' }],
    [200, { status: 'FINISHED' }],
    [500, { errors: ['Internal server error.', '<Exception on server side:\norg.apache.flink.runtime.messages.FlinkJobNotFoundException: Could not find Flink job (j2)'] }],
    [404, { errors: ['Job not found'] }],
  ]);
  t.after(() => s.server.close());
  const rest = new FlinkRest({ url: s.url, outageToleranceMs: 1000 });
  assert.equal(await waitTerminal(rest, 'j1', { timeoutMs: 5000, intervalMs: 1 }), 'FINISHED');
  assert.equal(await waitTerminal(rest, 'j2', { timeoutMs: 5000, intervalMs: 1 }), 'CANCELED');
  assert.deepEqual(s.calls, ['GET /jobs/j1/status', 'GET /jobs/j1/status', 'GET /jobs/j2/status', 'GET /jobs/j2']);
});

test('status asks the dispatcher for the state of a run whose cached details still say RUNNING: a run just cancelled is cancelled', async (t) => {
  const jid = `${jobPrefix('j')}0000000000000000`;
  const s = await scripted([
    [200, { jobs: [{ jid, name: 'j', state: 'RUNNING', 'start-time': 1 }] }],
    [200, { jid, name: 'j', state: 'RUNNING', 'start-time': 1, vertices: [{ id: 'v', name: 'v', status: 'RUNNING', parallelism: 1 }] }],
    [200, { status: 'CANCELED' }],
  ]);
  t.after(() => s.server.close());
  const dir = mkdtempSync(join(tmpdir(), 'pitlane-flink-status-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const adapter = new FlinkAdapter({ restUrl: s.url, stateDir: dir, bootstrapServers: '127.0.0.1:1', kafka: {} as KafkaPort, logger: silentLogger(), outageToleranceMs: 1000 });
  assert.equal((await adapter.status('j')).state, 'cancelled');
  assert.deepEqual(s.calls, ['GET /jobs/overview', `GET /jobs/${jid}`, `GET /jobs/${jid}/status`]);
});

test('ClusterJars: a jar found once is not looked up again; a run refused because the cluster lost the jar uploads it again and runs once more; a refusal with the jar there is the refusal', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pitlane-flink-jars-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const jar = join(dir, 'job.jar');
  writeFileSync(jar, 'PK fake jar');
  const name = uploadName(jar, readFileSync(jar));
  const s = await scripted([
    [200, { files: [{ id: `old_${name}`, name }] }],
    [400, { errors: ['Jar file /tmp/flink-web/old does not exist'] }],
    [200, { files: [] }],
    [200, { filename: `/tmp/flink-web/new_${name}` }],
    [200, { jobid: 'j' }],
    [400, { errors: ['org.apache.flink.client.program.ProgramInvocationException: bad argument'] }],
    [200, { files: [{ id: `new_${name}`, name }] }],
  ]);
  t.after(() => s.server.close());
  const jars = new ClusterJars(new FlinkRest({ url: s.url, outageToleranceMs: 1000 }));
  assert.equal(await jars.id(jar), `old_${name}`);
  assert.equal(await jars.id(jar), `old_${name}`, 'remembered: the cluster was asked once');
  await jars.run(jar, { entryClass: 'x' });
  assert.deepEqual(s.calls, ['GET /jars', `POST /jars/old_${name}/run`, 'GET /jars', 'POST /jars/upload', `POST /jars/new_${name}/run`]);
  await assert.rejects(jars.run(jar, { entryClass: 'x' }), (e: unknown) => e instanceof FlinkHttpError && /bad argument/.test(e.flinkMessage));
  assert.deepEqual(s.calls.slice(5), [`POST /jars/new_${name}/run`, 'GET /jars'], 'refused with the jar there: not run again');
});
