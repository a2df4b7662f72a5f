/**
 * Routing: each job of a deployment goes to its role's engine, and the composition
 * root makes a Flink adapter only for a cluster it can name. The adapters here are
 * fakes of the narrow engine port (nothing is called on them but `engine`), and the
 * Kafka port is never used.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../errors.ts';
import { silentLogger } from '../logger.ts';
import { capabilitiesOf, type EngineAdapter, type EngineKind } from '../engines/adapter.ts';
import { FlinkAdapter } from '../engines/flink/adapter.ts';
import type { KafkaPort } from '../kafka/port.ts';
import { parseDeploymentSpec } from './spec/load.ts';
import { newDeployment, noiseReplicaOf } from './lifecycle/model.ts';
import { promotedJobId } from './lifecycle/plans.ts';
import { deploymentEngines, engineForJob, type EngineSet } from './engines.ts';
import { createOrchestrator } from './create.ts';

const fake = (engine: EngineKind) => ({ engine }) as unknown as EngineAdapter;

const MIXED = parseDeploymentSpec(
  `name: fraud
inputs: [payments]
authoritative: { job: v1.ts, version: v1, output: alerts }
candidate: { engine: flink, jar: v2.jar, entryClass: com.example.FraudV2, canary: alerts-canary, parallelism: 8 }
start: earliest
promotion: { strategy: cutover, downstreamGroups: [billing] }
analysis: { noiseReplica: true }
`,
  'mixed.yaml',
);

test('each job goes to its role\'s engine: candidate on one, authoritative, its noise replica and its rollback on the other', () => {
  const [embedded, flink] = [fake('embedded'), fake('flink')];
  const set: EngineSet = { adapter: (kind) => (kind === 'flink' ? flink : embedded) };
  const d = newDeployment(MIXED, 0);
  assert.equal(engineForJob(set, d, d.jobs.candidate), flink);
  assert.equal(engineForJob(set, d, `${d.name}.promoted`), flink);
  assert.equal(engineForJob(set, d, promotedJobId({ ...d, promotion: { mode: 'cold' } } as typeof d)), flink);
  assert.equal(engineForJob(set, d, d.jobs.authoritative), embedded);
  assert.equal(engineForJob(set, d, noiseReplicaOf(d)!.jobId), embedded);
});

test('the Flink adapter has the core only: the plan offers it the cold handoff and the cutover, never the warm handoff', () => {
  const flink = new FlinkAdapter({ restUrl: 'http://127.0.0.1:1', stateDir: '/nonexistent', bootstrapServers: '127.0.0.1:9092', kafka: {} as KafkaPort, logger: silentLogger() });
  assert.deepEqual(capabilitiesOf(flink), { engine: 'flink', warmHandoff: false, fastColdHandoff: false });
  const spec = parseDeploymentSpec('name: f\ninputs: [p]\nauthoritative: { engine: flink, jar: a.jar, entryClass: A, version: v1, output: o }\ncandidate: { jar: b.jar, entryClass: B, canary: c, parallelism: 2 }\n', 'f.yaml');
  assert.equal(spec.promotion.mode, 'cold', 'a Flink deployment defaults to the cold handoff');
  assert.deepEqual(deploymentEngines({ adapter: () => flink }, spec), { authoritative: capabilitiesOf(flink), candidate: capabilitiesOf(flink) });
});

test('the composition root makes a Flink adapter for the flag, else the spec\'s flink.rest, else the fallback; none named is FLINK_NOT_CONFIGURED', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pitlane-engines-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const make = (flinkRest?: { explicit?: string; fallback?: string }) =>
    createOrchestrator({ connection: { brokers: ['127.0.0.1:9092'] } as never, kafka: {} as KafkaPort, logger: silentLogger(), store: `dir:${dir}/store`, stateDir: dir, ...(flinkRest ? { flinkRest } : {}) });
  const specWith = { flink: { rest: 'http://spec:8081' } };
  const url = (a: EngineAdapter) => (a as FlinkAdapter).rest.url;
  assert.throws(() => make().engines.adapter('flink'), (e: unknown) => e instanceof ConfigError && e.code === 'FLINK_NOT_CONFIGURED' && /flink: \{ rest: URL \}/.test(e.hint ?? ''));
  assert.equal(url(make({ fallback: 'http://env:8081' }).engines.adapter('flink')), 'http://env:8081');
  assert.equal(url(make({ fallback: 'http://env:8081' }).engines.adapter('flink', specWith)), 'http://spec:8081');
  assert.equal(url(make({ explicit: 'http://flag:8081', fallback: 'http://env:8081' }).engines.adapter('flink', specWith)), 'http://flag:8081');
  const orch = make();
  assert.equal(orch.engines.adapter('embedded').engine, 'embedded', 'the embedded engine needs nothing named');
  assert.equal(orch.engines.adapter('flink', specWith), orch.engines.adapter('flink', specWith), 'one adapter per cluster');
});
