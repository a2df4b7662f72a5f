import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveFlinkRestUrl, probeExternalFlink } from './flink-launcher.ts';
import { normaliseRestUrl } from './flink-rest-probe.ts';
import { writeRecord } from './service-state.ts';
import { freePort } from '../process/index.ts';

test('normaliseRestUrl: a scheme is added to host:port, trailing slashes go', () => {
  assert.equal(normaliseRestUrl('127.0.0.1:8081'), 'http://127.0.0.1:8081');
  assert.equal(normaliseRestUrl('http://flink:8081/'), 'http://flink:8081');
  assert.equal(normaliseRestUrl('https://flink.example/api//'), 'https://flink.example/api');
});

test('resolveFlinkRestUrl: the flag, then FLINK_REST_URL, then the running local cluster, else none', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pl-flinkurl-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.deepEqual(resolveFlinkRestUrl(dir, 'h:1', { FLINK_REST_URL: 'http://e:2' }), { url: 'http://h:1', source: 'flag' });
  assert.deepEqual(resolveFlinkRestUrl(dir, undefined, { FLINK_REST_URL: 'http://e:2/' }), { url: 'http://e:2', source: 'environment' });
  assert.equal(resolveFlinkRestUrl(dir, undefined, {}), undefined);
  // A record whose process is this test process stands in for a running JobManager.
  writeRecord(dir, { service: 'flink-jobmanager', pid: process.pid, host: '127.0.0.1', port: 1, marker: '', logFile: '', startedAt: new Date().toISOString(), url: 'http://127.0.0.1:1' });
  assert.deepEqual(resolveFlinkRestUrl(dir, undefined, {}), { url: 'http://127.0.0.1:1', source: 'local' });
});

test('probeExternalFlink: a cluster that does not answer is reported unreachable, with the reason', async () => {
  const port = await freePort();
  const ext = await probeExternalFlink(`127.0.0.1:${port}`);
  assert.equal(ext.reachable, false);
  assert.equal(ext.url, `http://127.0.0.1:${port}`);
  assert.match(ext.error ?? '', /ECONNREFUSED/);
});
