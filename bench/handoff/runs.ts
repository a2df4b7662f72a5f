// One run of each kind in the handoff benchmark: a promotion (warm, cold or cutover)
// of examples/fraud v1 → v2 under traffic, and the peer, a plain stop-with-savepoint
// and restart of v1; each on its own topics, deleted after it.
import { createKafkaClients } from '../../src/kafka/index.ts';
import { createLogger } from '../../src/logger.ts';
import { parseDeploymentSpec } from '../../src/orchestrator/spec/load.ts';
import { startTraffic } from '../../src/demo/traffic.ts';
import type { Deployment } from '../../src/orchestrator/lifecycle/model.ts';
import type { KafkaPort } from '../../src/kafka/port.ts';
import type { StartJobRequest } from '../../src/engines/adapter.ts';
import { sleep } from '../../src/clock.ts';
import { KEYS, RATE, type Ctx, type Rates } from './context.ts';

/** Input records/s produced and consumed by each job over 10 s of shadowing (both jobs and the comparison running). */
async function sustainedRates(c: Ctx, name: string, produced: () => number): Promise<Rates> {
  const jobs = [name, `${name}.candidate`];
  const read = async () => ({ at: Date.now(), produced: produced(), in: await Promise.all(jobs.map(async (j) => (await c.orch.engine.metrics(j)).recordsIn)) });
  const a = await read();
  await sleep(10_000);
  const b = await read();
  const per = (x: number, y: number) => Math.round(((y - x) * 1000) / (b.at - a.at));
  return { produced: per(a.produced, b.produced), authoritative: per(a.in[0]!, b.in[0]!), candidate: per(a.in[1]!, b.in[1]!) };
}

export async function topics(kafka: KafkaPort, tag: string): Promise<{ input: string; output: string; canary: string }> {
  const t = { input: `bench-${tag}-in`, output: `bench-${tag}-out`, canary: `bench-${tag}-can` };
  // Right after an earlier run's topics were deleted, the broker sometimes answers a
  // create with a stale metadata error: try again (an existing topic is fine).
  for (let i = 0; ; i++) {
    const ok = await kafka.createTopics(Object.values(t).map((topic) => ({ topic, partitions: 4 }))).then(() => true, (e: unknown) => (i >= 10 ? Promise.reject(e) : false));
    if (ok) break;
    await sleep(500);
  }
  // A just-created topic may not have leaders yet: wait until every one answers.
  for (const topic of Object.values(t)) {
    for (let i = 0; i < 100; i++) {
      const ok = await kafka.produce(topic, []).then(() => true, () => false);
      if (ok && (await kafka.watermarks(topic).catch(() => [])).length === 4) break;
      await sleep(100);
    }
  }
  return t;
}

/** v1 running from the synthetic state (`extra`: more of its start request), with traffic; returns a stopper. */
export async function runV1(c: Ctx, jobId: string, t: { input: string; output: string }, extra: Partial<StartJobRequest> = {}) {
  await c.orch.engine.start({ requestId: `${jobId}/start`, jobId, job: 'examples/fraud/v1.ts', parallelism: 4, inputs: [t.input], from: { savepoint: c.seed }, sinkTopic: t.output, identity: jobId, ...extra });
  // Its own client: a kafkajs producer whose metadata includes a since-deleted
  // topic (an earlier run's) fails every later send.
  const client = createKafkaClients(c.connection, createLogger({ level: 'warn' }));
  // startTraffic sends a backlog in chunks, so a producer that fell behind catches up.
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

export async function waitPhase(c: Pick<Ctx, 'orch'>, name: string, phases: string[], timeoutMs = 180_000): Promise<Deployment> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await c.orch.store.load(name);
    if (d && phases.includes(d.phase)) return d;
    if (d?.phase === 'Aborted') throw new Error(`${name} aborted: ${d.abort?.reason}`);
    if (Date.now() > deadline) throw new Error(`${name} did not reach ${phases.join('|')} (is ${d?.phase})`);
    await sleep(200);
  }
}

export async function promotion(c: Ctx, strategy: 'warm' | 'cold' | 'cutover', run: number): Promise<Deployment> {
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
    if (strategy === 'warm') c.rates.push(await sustainedRates(c, name, traffic.produced));
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
export async function restart(c: Ctx, run: number): Promise<{ gapMs: number; noWriterMs: number }> {
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
