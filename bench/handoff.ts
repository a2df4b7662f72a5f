// Handoff benchmark (npm run bench:handoff): the pit stop of a promotion with a
// large state, median of RUNS runs each:
//   warm savepoint handoff (target ≤ 250 ms), cold savepoint handoff (≤ 2.5 s),
//   consumer cutover (time to move a downstream group),
// beside the peer measured in the same run: a plain stop-with-savepoint and
// restart of the same job from that savepoint (what an upgrade costs without pitlane).
// The job is examples/fraud (v1 → v2) started from a synthetic savepoint of KEYS
// user profiles; traffic runs at RATE payments/s over those users throughout.
// Env: BENCH_KEYS (1,000,000), BENCH_RATE (20,000), BENCH_RUNS (5); KAFKA_BROKERS
// to use a running broker, else the local dev broker is started (and stopped).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { devDown, devUp } from '../src/dev/launcher.ts';
import { freePort } from '../src/dev/processes.ts';
import { resolveConnection, type ConnectionConfig } from '../src/config/connection.ts';
import { createKafkaClients } from '../src/kafka/index.ts';
import { createLogger } from '../src/logger.ts';
import { writeSavepoint } from '../src/engine/savepoint/write.ts';
import { syntheticSnapshot } from '../src/engine/savepoint/synthetic.ts';
import { profileV1Schema } from '../examples/fraud/model.ts';
import { createOrchestrator, type Orchestrator } from '../src/orchestrator/create.ts';
import { parseDeploymentSpec } from '../src/orchestrator/spec/load.ts';
import { startTraffic } from '../src/orchestrator/demo/traffic.ts';
import type { Deployment } from '../src/orchestrator/lifecycle/model.ts';
import type { KafkaPort } from '../src/kafka/port.ts';

const KEYS = Number(process.env.BENCH_KEYS ?? 1_000_000);
const RATE = Number(process.env.BENCH_RATE ?? 20_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const say = (s: string) => process.stderr.write(`${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function withBroker<T>(fn: (brokers: string) => Promise<T>): Promise<T> {
  if (process.env.KAFKA_BROKERS) return fn(process.env.KAFKA_BROKERS);
  const devDir = mkdtempSync(join(tmpdir(), 'pl-bench-'));
  try {
    const [s] = await devUp({ devDir, port: await freePort(), controllerPort: await freePort() });
    return await fn(s!.url);
  } finally {
    await devDown(devDir, { purge: true });
  }
}

interface Ctx {
  readonly kafka: KafkaPort;
  readonly connection: ConnectionConfig;
  readonly orch: Orchestrator;
  readonly seed: string;
}

async function topics(kafka: KafkaPort, tag: string): Promise<{ input: string; output: string; canary: string }> {
  const t = { input: `bench-${tag}-in`, output: `bench-${tag}-out`, canary: `bench-${tag}-can` };
  await kafka.createTopics(Object.values(t).map((topic) => ({ topic, partitions: 4 })));
  // A just-created topic may not have leaders yet: wait until every one answers.
  for (const topic of Object.values(t)) {
    for (let i = 0; i < 100; i++) {
      const ok = await kafka.produce(topic, []).then(() => true, () => false);
      if (ok && (await kafka.watermarks(topic)).length === 4) break;
      await sleep(100);
    }
  }
  return t;
}

/** v1 running from the synthetic state, with traffic; returns a stopper. */
async function runV1(c: Ctx, jobId: string, t: { input: string; output: string }) {
  await c.orch.engine.start({ requestId: `${jobId}/start`, jobId, job: 'examples/fraud/v1.ts', parallelism: 4, inputs: [t.input], from: { savepoint: c.seed }, sinkTopic: t.output, identity: jobId });
  // Its own client: a kafkajs producer whose metadata includes a since-deleted
  // topic (an earlier run's) fails every later send.
  const client = createKafkaClients(c.connection, createLogger({ level: 'warn' }));
  const traffic = startTraffic(client.kafka, { topic: t.input, rate: RATE, users: KEYS });
  await sleep(3000);
  return {
    produced: traffic.produced,
    done: traffic.done,
    async stop() {
      await traffic.stop().catch(() => undefined);
      await client.kafka.close();
    },
  };
}

async function waitPhase(c: Ctx, name: string, phases: string[], timeoutMs = 180_000): Promise<Deployment> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await c.orch.store.load(name);
    if (d && phases.includes(d.phase)) return d;
    if (d?.phase === 'Aborted') throw new Error(`${name} aborted: ${d.abort?.reason}`);
    if (Date.now() > deadline) throw new Error(`${name} did not reach ${phases.join('|')} (is ${d?.phase})`);
    await sleep(200);
  }
}

async function promotion(c: Ctx, strategy: 'warm' | 'cold' | 'cutover', run: number): Promise<Deployment> {
  const tag = `${strategy}-${run}-${Date.now() % 100000}`;
  const t = await topics(c.kafka, tag);
  const name = `bench-${tag}`;
  const group = `bench-${tag}-group`;
  const traffic = await runV1(c, name, t);
  try {
    const promo = strategy === 'cutover' ? `{ strategy: cutover, downstreamGroups: [${group}], groupEmptyTimeout: 30s }` : `{ strategy: savepoint-handoff, mode: ${strategy} }`;
    const spec = parseDeploymentSpec(
      [
        `name: ${name}`,
        `inputs: [${t.input}]`,
        `authoritative: { job: examples/fraud/v1.ts, version: v1, output: ${t.output} }`,
        `candidate: { job: examples/fraud/v2.ts, version: v2, canary: ${t.canary}, parallelism: 8 }`,
        'analysis: { window: 1s, grace: 500ms, minimum: { duration: 2s, windows: 1, records: 1 }, checks: [{ type: schema }] }',
        `promotion: ${promo}`,
      ].join('\n'),
      `${name}.yaml`,
    );
    await c.orch.controller.create(spec);
    await c.orch.controller.dispatch(name, { type: 'start' });
    await waitPhase(c, name, ['Passed']);
    if (strategy === 'cutover') {
      // A downstream group that has read the authoritative topic so far.
      const highs = (await c.kafka.watermarks(t.output)).map((w) => ({ topic: t.output, partition: w.partition, offset: w.high }));
      await c.kafka.setGroupOffsets(group, highs);
    }
    return await c.orch.controller.dispatch(name, { type: 'promote' });
  } finally {
    await traffic.stop();
    const d = await c.orch.store.load(name);
    for (const j of [name, `${name}.candidate`, `${name}.promoted`]) await c.orch.engine.cancel(j, { requestId: `bench/${j}/cancel/${Date.now()}` }).catch(() => undefined);
    if (d) await c.orch.analysis.stop(d).catch(() => undefined);
    await c.kafka.deleteTopics(Object.values(t)).catch(() => undefined);
    await c.kafka.deleteGroups([group]).catch(() => undefined);
  }
}

/** The peer: stop the job with a savepoint and restart the same job from it (no shadow, no handoff). */
async function restart(c: Ctx, run: number): Promise<{ gapMs: number; noWriterMs: number }> {
  const tag = `restart-${run}-${Date.now() % 100000}`;
  const t = await topics(c.kafka, tag);
  const jobId = `bench-${tag}`;
  const traffic = await runV1(c, jobId, t);
  try {
    const sp = await c.orch.engine.stopWithSavepoint(jobId, { requestId: `${jobId}/stop` });
    const last = (await c.orch.engine.metrics(jobId)).lastOutputAt ?? sp.completedAt;
    await c.orch.engine.start({ requestId: `${jobId}/restart`, jobId: `${jobId}.restarted`, job: 'examples/fraud/v1.ts', parallelism: 4, inputs: [t.input], from: { savepoint: sp.location }, sinkTopic: t.output, identity: jobId });
    const first = await c.orch.engine.firstOutputAt(`${jobId}.restarted`, 30_000);
    if (first === undefined) throw new Error('the restarted job wrote nothing');
    return { gapMs: first - last, noWriterMs: first - sp.completedAt };
  } finally {
    await traffic.stop();
    for (const j of [jobId, `${jobId}.restarted`]) await c.orch.engine.cancel(j, { requestId: `bench/${j}/cancel/${Date.now()}` }).catch(() => undefined);
    await c.kafka.deleteTopics(Object.values(t)).catch(() => undefined);
  }
}

await withBroker(async (brokers) => {
  const work = mkdtempSync(join(tmpdir(), 'pl-handoff-'));
  const logger = createLogger({ level: 'warn' });
  const connection = resolveConnection({ brokers, env: {} });
  const { kafka } = createKafkaClients(connection, logger);
  const orch = createOrchestrator({ connection, kafka, logger, store: `dir:${join(work, 'store')}`, stateDir: join(work, 'state') });
  try {
    say(`state: ${KEYS.toLocaleString()} keys; traffic ${RATE.toLocaleString()} payments/s; ${RUNS} runs each`);
    const seed = join(work, 'seed');
    const snap = syntheticSnapshot({ keys: KEYS, uid: 'profile', jobName: 'fraud', jobVersion: '1', state: { name: 'profile', kind: 'value', codec: { type: 'avro', schema: profileV1Schema } }, value: (i) => ({ count: i % 100, total: (i % 997) * 1.5 }) });
    await writeSavepoint(seed, snap);
    const c: Ctx = { kafka, connection, orch, seed };
    const warm: number[] = [];
    const warmNoWriter: number[] = [];
    const cold: number[] = [];
    const cutover: number[] = [];
    const peer: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const w = await promotion(c, 'warm', run);
      warm.push(w.promotion!.pitStop!.outputGapMs!);
      warmNoWriter.push(w.promotion!.pitStop!.noWriterMs ?? Number.NaN);
      const k = await promotion(c, 'cold', run);
      cold.push(k.promotion!.pitStop!.outputGapMs!);
      const x = await promotion(c, 'cutover', run);
      const steps = x.promotion!.steps;
      cutover.push((steps.find((s) => s.type === 'cutoverGroups')!.result.at ?? 0) - (steps.find((s) => s.type === 'stopAnalysis')!.result.at ?? 0));
      const r = await restart(c, run);
      peer.push(r.gapMs);
      say(`run ${run + 1}: warm ${warm.at(-1)} ms, cold ${cold.at(-1)} ms, cutover ${cutover.at(-1)} ms, plain restart ${peer.at(-1)} ms`);
    }
    const figures = { keys: KEYS, rate: RATE, runs: RUNS, warmPitStopMs: median(warm), warmNoWriterMs: median(warmNoWriter), coldPitStopMs: median(cold), cutoverMs: median(cutover) };
    const peerFig = { restartPitStopMs: median(peer), warmTargetMs: 250, coldTargetMs: 2500 };
    say(`\nmedian of ${RUNS}:`);
    say(`  warm handoff pit stop  ${figures.warmPitStopMs} ms   (target ≤ 250 ms; plain stop+restart ${peerFig.restartPitStopMs} ms)`);
    say(`  cold handoff pit stop  ${figures.coldPitStopMs} ms   (target ≤ 2500 ms; plain stop+restart ${peerFig.restartPitStopMs} ms)`);
    say(`  cutover (move group)   ${figures.cutoverMs} ms`);
    const ratio = { warmVsRestart: +(figures.warmPitStopMs / peerFig.restartPitStopMs).toFixed(3), coldVsRestart: +(figures.coldPitStopMs / peerFig.restartPitStopMs).toFixed(3), warmVsTarget: +(figures.warmPitStopMs / 250).toFixed(3), coldVsTarget: +(figures.coldPitStopMs / 2500).toFixed(3) };
    process.stdout.write(`${JSON.stringify({ bench: 'handoff', figures, peer: peerFig, ratio })}\n`);
  } finally {
    await orch.close();
    await kafka.close();
    rmSync(work, { recursive: true, force: true });
  }
});
