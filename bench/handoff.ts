// Handoff benchmark (npm run bench:handoff): the pit stop of a promotion with a
// large state, median of RUNS runs each:
//   warm savepoint handoff (target ≤ 250 ms), cold savepoint handoff (≤ 2.5 s),
//   consumer cutover (time to move a downstream group),
// beside the peer measured in the same run: a plain stop-with-savepoint and
// restart of the same job from that savepoint (what an upgrade costs without pitlane).
// The job is examples/fraud (v1 → v2) started from a synthetic savepoint of KEYS
// user profiles; traffic runs at RATE payments/s over those users throughout.
// Every job writes exactly-once (the orchestrator's default), so each time here is
// when output became visible to a read_committed reader: its commit.
// While each warm run shadows, the input rate both jobs sustain is measured beside
// the rate asked for; each cold run also prints where its pit stop went, from the
// job hosts' own logs. The cold handoff restores a tracked base savepoint into the standby
// while v1 runs and hands over only the keys changed since (a delta) at the stop.
// Env: BENCH_KEYS (1,000,000), BENCH_RATE (20,000, the rate; the bench prints
// the rate both jobs actually sustained beside it), BENCH_RUNS (5); KAFKA_BROKERS
// to use a running broker, else the local dev broker is started (and stopped).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { devDown, devUp } from '../src/dev/launcher.ts';
import { freePort } from '../src/process/index.ts';
import { resolveConnection, type ConnectionConfig } from '../src/config/connection.ts';
import { createKafkaClients } from '../src/kafka/index.ts';
import { createLogger } from '../src/logger.ts';
import { describeJob, syntheticSnapshot, writeSavepoint } from '../src/engine/index.ts';
import { profileV1Schema } from '../examples/fraud/model.ts';
import { createOrchestrator, type Orchestrator } from '../src/orchestrator/create.ts';
import { parseDeploymentSpec } from '../src/orchestrator/spec/load.ts';
import { startTraffic } from '../src/demo/traffic.ts';
import type { Deployment } from '../src/orchestrator/lifecycle/model.ts';
import type { KafkaPort } from '../src/kafka/port.ts';
import fraudV1 from '../examples/fraud/v1.ts';
import { sleep } from '../src/clock.ts';

const KEYS = Number(process.env.BENCH_KEYS ?? 1_000_000);
const RATE = Number(process.env.BENCH_RATE ?? 20_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const say = (s: string) => process.stderr.write(`${s}\n`);
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
  readonly rates: Rates[];
}

interface Rates {
  readonly produced: number;
  readonly authoritative: number;
  readonly candidate: number;
}

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

/** The log lines of a job host (JSON lines), by message. */
function hostLog(c: Ctx, jobId: string, msg: string): Record<string, number> | undefined {
  const f = c.orch.engine.logFile(jobId);
  if (!existsSync(f)) return undefined;
  for (const line of readFileSync(f, 'utf8').split('\n').reverse()) {
    if (!line.includes(`"msg":"${msg}"`)) continue;
    try {
      return JSON.parse(line) as Record<string, number>;
    } catch {
      continue;
    }
  }
  return undefined;
}

/**
 * Where a cold pit stop went, from the hosts' logs. Inside the pit stop: the old
 * job's halt (settle and commit; then processing ends and the delta of the keys
 * changed since the base is encoded and written), the hand-over to the standby, its
 * start (read the delta; apply it and start the sources), and its first output (first
 * batch processed and sent, then committed). Outside it, before: the tracked base
 * savepoint of the old job and its restore into the standby; after: the old job's
 * full savepoint (kept for rollback). A run that fell back to the full savepoint has
 * `deltaApplied: 0` and the old breakdown's fields.
 */
function coldBreakdown(c: Ctx, d: Deployment): Record<string, number> | undefined {
  const steps = d.promotion?.steps ?? [];
  const step = steps.find((s) => s.type === 'coldHandoff')?.result;
  const restore = steps.find((s) => s.type === 'restoreStandby')?.result;
  const prepared = steps.find((s) => s.type === 'prepareStandby')?.result;
  const halt = hostLog(c, d.jobs.authoritative, 'delta written');
  const old = hostLog(c, d.jobs.authoritative, 'job stopped');
  const run = hostLog(c, `${d.name}.promoted`, 'job host running');
  const first = hostLog(c, `${d.name}.promoted`, 'first output committed');
  const ahead = hostLog(c, `${d.name}.promoted`, 'base restored ahead');
  if (!step?.lastOutputAt || !old || !run || !first) return undefined;
  const outside = {
    baseSavepointAndPreRestore: (restore?.at ?? 0) - (prepared?.at ?? 0),
    preRestore: ahead?.restoreMs ?? Number.NaN,
    baseToStop: step.stoppedAt !== undefined && restore?.savepoint ? step.stoppedAt - restore.savepoint.completedAt : Number.NaN,
    deltaKeys: step.delta?.keys ?? 0,
    deltaApplied: step.delta?.applied ? 1 : 0,
    fullSavepointAfter: old.snapshotMs! + old.writeMs!,
    standby: step.standby ? 1 : 0,
  };
  if (halt && step.delta?.applied) {
    const deltaWritten = halt.haltedAt! + halt.settleMs! + halt.deltaMs!;
    return {
      lastOutputToHalt: halt.haltedAt! - step.lastOutputAt,
      settleAndCommit: halt.settleMs!,
      deltaWrite: halt.deltaMs!,
      handOver: run.activatedAt! - deltaWritten,
      readDelta: run.readMs!,
      applyAndStart: run.startJobMs!,
      firstOutputSent: first.sentAt! - (run.activatedAt! + run.readMs! + run.startJobMs!),
      commit: first.visibleAt! - first.sentAt!,
      ...outside,
    };
  }
  const stopBegan = old.stoppedAt! - old.settleMs! - old.snapshotMs! - old.writeMs!;
  return {
    lastOutputToHalt: stopBegan - step.lastOutputAt,
    settleAndCommit: old.settleMs!,
    snapshot: old.snapshotMs!,
    savepointWrite: old.writeMs!,
    handOver: run.activatedAt! - old.stoppedAt!,
    readDelta: run.readMs!,
    applyAndStart: run.startJobMs!,
    firstOutputSent: first.sentAt! - (run.activatedAt! + run.readMs! + run.startJobMs!),
    commit: first.visibleAt! - first.sentAt!,
    ...outside,
  };
}

async function topics(kafka: KafkaPort, tag: string): Promise<{ input: string; output: string; canary: string }> {
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

/** v1 running from the synthetic state, with traffic; returns a stopper. */
async function runV1(c: Ctx, jobId: string, t: { input: string; output: string }) {
  await c.orch.engine.start({ requestId: `${jobId}/start`, jobId, job: 'examples/fraud/v1.ts', parallelism: 4, inputs: [t.input], from: { savepoint: c.seed }, sinkTopic: t.output, identity: jobId });
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
    // The key fingerprint of fraud's keyBy: restores are planned, and a different key would be refused.
    const keyFingerprint = describeJob(fraudV1, {}).operators.find((o) => o.uid === 'profile')?.keyFingerprint;
    const snap = syntheticSnapshot({ keys: KEYS, uid: 'profile', jobName: 'fraud', jobVersion: '1', ...(keyFingerprint ? { keyFingerprint } : {}), state: { name: 'profile', kind: 'value', codec: { type: 'avro', schema: profileV1Schema } }, value: (i) => ({ count: i % 100, total: (i % 997) * 1.5 }) });
    await writeSavepoint(seed, snap);
    const c: Ctx = { kafka, connection, orch, seed, rates: [] };
    const breakdowns: Record<string, number>[] = [];
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
      const b = coldBreakdown(c, k);
      if (b) breakdowns.push(b);
      say(`  cold run ${run + 1}: ${JSON.stringify(b ?? 'no breakdown (host logs missing)')}`);
      say(`  shadowing at ${RATE}/s: ${JSON.stringify(c.rates.at(-1))}`);
      const x = await promotion(c, 'cutover', run);
      const steps = x.promotion!.steps;
      cutover.push((steps.find((s) => s.type === 'cutoverGroups')!.result.at ?? 0) - (steps.find((s) => s.type === 'stopAnalysis')!.result.at ?? 0));
      const r = await restart(c, run);
      peer.push(r.gapMs);
      say(`run ${run + 1}: warm ${warm.at(-1)} ms, cold ${cold.at(-1)} ms, cutover ${cutover.at(-1)} ms, plain restart ${peer.at(-1)} ms`);
    }
    const sustained = { producedPerS: median(c.rates.map((r) => r.produced)), authoritativePerS: median(c.rates.map((r) => r.authoritative)), candidatePerS: median(c.rates.map((r) => r.candidate)) };
    const delta = breakdowns.filter((b) => b.deltaApplied === 1);
    const coldParts = Object.fromEntries(Object.keys(delta[0] ?? breakdowns[0] ?? {}).map((k) => [k, median((delta.length > 0 ? delta : breakdowns).map((b) => b[k]!))]));
    const figures = { keys: KEYS, rate: RATE, runs: RUNS, delivery: 'exactly-once', warmPitStopMs: median(warm), warmNoWriterMs: median(warmNoWriter), coldPitStopMs: median(cold), coldDeltaRuns: delta.length, cutoverMs: median(cutover), sustained, coldBreakdownMs: coldParts };
    const peerFig = { restartPitStopMs: median(peer), warmTargetMs: 250, coldTargetMs: 2500 };
    say(`\nmedian of ${RUNS}:`);
    say(`  warm handoff pit stop  ${figures.warmPitStopMs} ms   (target ≤ 250 ms; plain stop+restart ${peerFig.restartPitStopMs} ms)`);
    say(`  cold handoff pit stop  ${figures.coldPitStopMs} ms   (target ≤ 2500 ms; plain stop+restart ${peerFig.restartPitStopMs} ms)`);
    say(`  cutover (move group)   ${figures.cutoverMs} ms`);
    say(`  cold pit stop, median per part (ms; ${delta.length} of ${breakdowns.length} runs handed over a delta): ${JSON.stringify(coldParts)}`);
    say(`  input rate while shadowing (asked ${RATE}/s): produced ${sustained.producedPerS}/s, v1 read ${sustained.authoritativePerS}/s, v2 read ${sustained.candidatePerS}/s`);
    const ratio = { warmVsRestart: +(figures.warmPitStopMs / peerFig.restartPitStopMs).toFixed(3), coldVsRestart: +(figures.coldPitStopMs / peerFig.restartPitStopMs).toFixed(3), warmVsTarget: +(figures.warmPitStopMs / 250).toFixed(3), coldVsTarget: +(figures.coldPitStopMs / 2500).toFixed(3) };
    process.stdout.write(`${JSON.stringify({ bench: 'handoff', figures, peer: peerFig, ratio })}\n`);
  } finally {
    await orch.close();
    await kafka.close();
    rmSync(work, { recursive: true, force: true });
  }
});
