// The Flink part of the handoff benchmark (BENCH_FLINK=1): the pit stop of pitlane's
// cold savepoint handoff of the Flink fraud jobs (v1 → v2, flink/), beside Flink's own
// upgrade done by hand over its REST API — stop-with-savepoint of v1 (no drain), then
// submission of v2's jar (uploaded beforehand) from that savepoint — on the same jobs,
// state and traffic. (Until 2026-12-07 the peer resubmitted v1's jar: a restart, whose
// restore maps no state to a new version.)
// Both are timed with the same instrument: when output became visible to a
// read_committed reader (the commit markers on the sink topic, engines/flink/output.ts).
// The state: BENCH_KEYS payments, one per user, read by v1 before the traffic starts,
// so v1 holds a profile per user. The cluster: FLINK_REST_URL when set, else a local
// one started for the bench and stopped after it (also on Ctrl-C).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectionConfig } from '../../src/config/connection.ts';
import { createKafkaClients } from '../../src/kafka/index.ts';
import type { KafkaPort, OutgoingRecord } from '../../src/kafka/port.ts';
import { createLogger, type Logger } from '../../src/logger.ts';
import { createFlinkAdapter, createOrchestrator, type Orchestrator } from '../../src/orchestrator/create.ts';
import { parseDeploymentSpec } from '../../src/orchestrator/spec/load.ts';
import type { Deployment } from '../../src/orchestrator/lifecycle/model.ts';
import type { FlinkAdapter } from '../../src/engines/flink/adapter.ts';
import { jobPrefix } from '../../src/engines/flink/ids.ts';
import { ensureJar } from '../../src/engines/flink/jars.ts';
import { finalOutput, firstCommitAt } from '../../src/engines/flink/output.ts';
import { buildFlinkJobs, FLINK_ENTRY_CLASSES } from '../../src/dev/flink-jobs-build.ts';
import { devUpFlink } from '../../src/dev/flink-launcher.ts';
import { devDown } from '../../src/dev/launcher.ts';
import { cacheRoot } from '../../src/dev/paths.ts';
import { startTraffic, TRAFFIC_CHUNK } from '../../src/demo/traffic.ts';
import { sleep } from '../../src/clock.ts';
import { onInterrupt } from '../broker.ts';
import { KEYS, RATE, RUNS, median, say } from './context.ts';
import { topics, waitPhase } from './runs.ts';
import { stopHandoffProcesses } from './processes.ts';
import { breakdownLine, flinkBreakdown, type FlinkBreakdown } from './flink-breakdown.ts';

/** Parallelism of every Flink job here (v1, v2): the same on both sides. */
const PARALLELISM = Number(process.env.BENCH_FLINK_PARALLELISM ?? 2);

interface FlinkCtx {
  readonly kafka: KafkaPort;
  readonly connection: ConnectionConfig;
  readonly orch: Orchestrator;
  readonly flink: FlinkAdapter;
  readonly rest: string;
  readonly jars: { readonly v1: string; readonly v2: string };
  /** pitlane job ids whose Flink runs are cancelled at the end (and on Ctrl-C). */
  readonly jobs: Set<string>;
  /** Flink JobIDs of the runs submitted by hand. */
  readonly byHand: Set<string>;
}

export interface FlinkFigures {
  readonly parallelism: number;
  readonly pitlaneColdPitStopMs: number;
  readonly pitlaneColdNoWriterMs: number;
  readonly byHandPitStopMs: number;
  readonly byHandNoWriterMs: number;
}

/** The cluster: FLINK_REST_URL, else a local one for the bench, stopped by pid after it. */
async function withFlink<T>(fn: (rest: string) => Promise<T>): Promise<T> {
  if (process.env.FLINK_REST_URL) return fn(process.env.FLINK_REST_URL);
  const devDir = mkdtempSync(join(tmpdir(), 'pl-handoff-flink-'));
  const forget = onInterrupt(() => devDown(devDir, { purge: true }));
  try {
    const cluster = await devUpFlink({ devDir, cacheDir: cacheRoot(), readyTimeoutMs: 180_000 });
    say(`Flink cluster at ${cluster[0]!.url} (pids ${cluster.map((s) => s.pid).join(', ')})`);
    return await fn(cluster[0]!.url);
  } finally {
    forget();
    await devDown(devDir, { purge: true });
  }
}

async function rest<T>(c: FlinkCtx, method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${c.rest}${path}`, { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 500)}`);
  return (text ? JSON.parse(text) : {}) as T;
}

/** KEYS payments, one per user and below every alert threshold: v1 reads them first and holds KEYS profiles. */
async function preload(kafka: KafkaPort, topic: string): Promise<void> {
  for (let i = 0; i < KEYS; i += TRAFFIC_CHUNK) {
    const now = Date.now();
    const batch: OutgoingRecord[] = [];
    for (let k = i; k < Math.min(KEYS, i + TRAFFIC_CHUNK); k++) batch.push({ key: `user-${k}`, value: JSON.stringify({ txId: `pre-${k}`, userId: `user-${k}`, amount: 1, ts: now }), timestamp: now });
    await kafka.produce(topic, batch);
  }
}

/** v1 on Flink from the input's start, once it has read the preload; then traffic over the same users. */
async function runV1(c: FlinkCtx, jobId: string, identity: string, t: { input: string; output: string }) {
  // Its own client: a kafkajs producer whose metadata includes a since-deleted topic (an earlier run's) fails every later send.
  const client = createKafkaClients(c.connection, createLogger({ level: 'warn' }));
  try {
    await preload(client.kafka, t.input);
    c.jobs.add(jobId);
    await c.flink.start({ requestId: `${jobId}/start`, jobId, job: c.jars.v1, flink: { entryClass: FLINK_ENTRY_CLASSES.fraudV1.entryClass }, parallelism: PARALLELISM, inputs: [t.input], from: { input: 'earliest' }, sinkTopic: t.output, identity });
    const deadline = Date.now() + 600_000;
    while ((await c.flink.positions(jobId)).reduce((n, p) => n + p.offset, 0) < KEYS) {
      if (Date.now() > deadline) throw new Error(`${jobId} had not read the ${KEYS} preloaded payments after 600 s`);
      await sleep(500);
    }
  } catch (e) {
    await client.kafka.close();
    throw e;
  }
  const traffic = startTraffic(client.kafka, { topic: t.input, rate: RATE, users: KEYS });
  await sleep(3000);
  return {
    async stop() {
      await traffic.stop().catch(() => undefined);
      await client.kafka.close();
    },
  };
}

async function cleanup(c: FlinkCtx, t: Record<string, string>, groups: string[]): Promise<void> {
  for (const j of c.jobs) await c.flink.cancel(j, { requestId: `bench/${j}/cancel/${Date.now()}` }).catch(() => undefined);
  // Ended before its topics go: a cancelled Kafka sink whose topic is gone cannot end its
  // transaction, and the TaskManager waiting for it exits fatally (taking every job on it).
  for (const jid of c.byHand) {
    await rest(c, 'PATCH', `/jobs/${jid}?mode=cancel`).catch(() => undefined);
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(250)) {
      const state = (await rest<{ state: string }>(c, 'GET', `/jobs/${jid}`).catch(() => ({ state: 'CANCELED' }))).state;
      if (['CANCELED', 'FINISHED', 'FAILED'].includes(state)) break;
    }
  }
  c.jobs.clear();
  c.byHand.clear();
  await c.kafka.deleteTopics(Object.values(t)).catch(() => undefined);
  await c.kafka.deleteGroups(groups).catch(() => undefined);
}

/** The runs of a pitlane job on the cluster, newest first. */
async function runsOf(c: FlinkCtx, jobId: string): Promise<{ jid: string; state: string }[]> {
  const { jobs } = await rest<{ jobs: { jid: string; state: string; 'start-time': number }[] }>(c, 'GET', '/jobs/overview');
  return jobs.filter((j) => j.jid.startsWith(jobPrefix(jobId))).sort((a, b) => b['start-time'] - a['start-time']);
}

/** pitlane's cold handoff of v1 → v2 on Flink, through the orchestrator as `canary promote` does it; and where its pit stop went. */
async function pitlaneCold(c: FlinkCtx, run: number): Promise<{ d: Deployment; parts?: FlinkBreakdown }> {
  const tag = `flink-cold-${run}-${Date.now() % 100000}`;
  const t = await topics(c.kafka, tag);
  const name = `bench-${tag}`;
  const jobs = [name, `${name}.candidate`, `${name}.promoted`];
  jobs.forEach((j) => c.jobs.add(j));
  let traffic: Awaited<ReturnType<typeof runV1>> | undefined;
  try {
    traffic = await runV1(c, name, `pitlane.${name}.${name}`, t);
    const job = (jar: string, entryClass: string) => `engine: flink, jar: ${JSON.stringify(jar)}, entryClass: ${entryClass}`;
    const spec = parseDeploymentSpec(
      [
        `name: ${name}`,
        `inputs: [${t.input}]`,
        `authoritative: { ${job(c.jars.v1, FLINK_ENTRY_CLASSES.fraudV1.entryClass)}, version: v1, output: ${t.output} }`,
        `candidate: { ${job(c.jars.v2, FLINK_ENTRY_CLASSES.fraudV2.entryClass)}, version: v2, canary: ${t.canary}, parallelism: ${PARALLELISM} }`,
        'analysis: { window: 1s, grace: 500ms, minimum: { duration: 2s, windows: 1, records: 1 }, checks: [{ type: schema }] }',
        'promotion: { strategy: savepoint-handoff, mode: cold }',
      ].join('\n'),
      `${name}.yaml`,
    );
    await c.orch.controller.create(spec);
    await c.orch.controller.dispatch(name, { type: 'start' });
    await waitPhase(c, name, ['Passed'], 300_000);
    const d = await c.orch.controller.dispatch(name, { type: 'promote' });
    const step = d.promotion?.steps.find((s) => s.type === 'coldHandoff')?.result;
    const [old] = await runsOf(c, name);
    const [next] = await runsOf(c, `${name}.promoted`);
    const rec = c.flink.record(`${name}.promoted`);
    const parts =
      old && next && step?.lastOutputAt !== undefined && step.firstOutputAt !== undefined
        ? await flinkBreakdown(c.rest, { oldJid: old.jid, newJid: next.jid, lastOutputAt: step.lastOutputAt, firstOutputAt: step.firstOutputAt, ...(rec?.startAskedAt !== undefined ? { startAskedAt: rec.startAskedAt } : {}), ...(rec?.submittedAt !== undefined ? { submitSentAt: rec.submittedAt } : {}) }).catch((e: unknown) => {
            say(`  (no breakdown of the pitlane run: ${String(e)})`);
            return undefined;
          })
        : undefined;
    return { d, ...(parts ? { parts } : {}) };
  } finally {
    await traffic?.stop();
    const d = await c.orch.store.load(name);
    if (d) await c.orch.analysis.stop(d).catch(() => undefined);
    await cleanup(c, t, jobs.map((j) => `pitlane.${name}.${j}`));
  }
}

/** Flink's own upgrade by hand over REST: stop v1 with a savepoint (no drain), submit v2's jar from it. */
async function byHand(c: FlinkCtx, run: number): Promise<{ gapMs: number; noWriterMs: number; parts?: FlinkBreakdown }> {
  const tag = `flink-hand-${run}-${Date.now() % 100000}`;
  const t = await topics(c.kafka, tag);
  const jobId = `bench-${tag}`;
  let traffic: Awaited<ReturnType<typeof runV1>> | undefined;
  try {
    traffic = await runV1(c, jobId, jobId, t);
    // What the operator has at hand before the stop: the running job, v2's jar uploaded to the cluster, the job's
    // arguments (v1 and v2 take the same ones). The upgrade is to v2, as pitlane's is: its restore maps v1's state.
    const { jobs } = await rest<{ jobs: { jid: string; state: string }[] }>(c, 'GET', '/jobs/overview');
    const jid = jobs.find((j) => j.jid.startsWith(jobPrefix(jobId)) && j.state === 'RUNNING')?.jid;
    const { jarId } = await ensureJar(c.flink.rest, c.jars.v2);
    const args = c.flink.record(jobId)?.args;
    if (!jid || !args) throw new Error(`v1 of ${jobId} is not running (run ${jid}, arguments ${String(args)})`);

    const { 'request-id': trigger } = await rest<{ 'request-id': string }>(c, 'POST', `/jobs/${jid}/stop`, { drain: false });
    let location: string | undefined;
    for (const deadline = Date.now() + 300_000; !location; await sleep(100)) {
      const op = await rest<{ status: { id: string }; operation?: { location?: string; 'failure-cause'?: { 'stack-trace'?: string } } }>(c, 'GET', `/jobs/${jid}/savepoints/${trigger}`);
      if (op.status.id === 'COMPLETED') {
        location = op.operation?.location;
        if (!location) throw new Error(`the stop with savepoint failed: ${op.operation?.['failure-cause']?.['stack-trace']?.split('\n')[0]}`);
      } else if (Date.now() > deadline) throw new Error('the stop with savepoint did not complete in 300 s');
    }
    const stoppedAt = Date.now();
    // v2's submission goes out at once; where v1's output ends is read meanwhile (v2's first commit comes a checkpoint later).
    const [last, submitted] = await Promise.all([finalOutput(c.kafka, t.output), rest<{ jobid: string }>(c, 'POST', `/jars/${jarId}/run`, { entryClass: FLINK_ENTRY_CLASSES.fraudV2.entryClass, programArgsList: args, parallelism: PARALLELISM, savepointPath: location })]);
    c.byHand.add(submitted.jobid);
    if (last?.lastOutputAt === undefined) throw new Error('v1 left no commit marker on its output before the stop');
    let first: number | undefined;
    for (const deadline = Date.now() + 120_000; first === undefined; await sleep(50)) {
      first = await firstCommitAt(c.kafka, t.output, last.offsets);
      if (first === undefined && Date.now() > deadline) throw new Error('v2, submitted by hand, wrote nothing in 120 s');
    }
    const parts = await flinkBreakdown(c.rest, { oldJid: jid, newJid: submitted.jobid, lastOutputAt: last.lastOutputAt, firstOutputAt: first, submitSentAt: stoppedAt }).catch((e: unknown) => {
      say(`  (no breakdown of the run by hand: ${String(e)})`);
      return undefined;
    });
    return { gapMs: first - last.lastOutputAt, noWriterMs: Math.max(0, first - stoppedAt), ...(parts ? { parts } : {}) };
  } finally {
    await traffic?.stop();
    await cleanup(c, t, [jobId]);
  }
}

/** RUNS runs of each on the Flink cluster; medians. */
export async function flinkHandoffs(o: { kafka: KafkaPort; connection: ConnectionConfig; logger: Logger }): Promise<FlinkFigures> {
  const jars = (await buildFlinkJobs()).jars;
  return withFlink(async (url) => {
    const work = mkdtempSync(join(tmpdir(), 'pl-handoff-flink-state-'));
    const orch = createOrchestrator({ ...o, store: `dir:${join(work, 'store')}`, stateDir: join(work, 'state'), flinkRest: { fallback: url } });
    const c: FlinkCtx = { ...o, orch, flink: createFlinkAdapter(url, { ...o, stateDir: orch.stateDir }), rest: url, jars: { v1: jars['fraud-v1'], v2: jars['fraud-v2'] }, jobs: new Set(), byHand: new Set() };
    const forget = onInterrupt(async () => {
      await stopHandoffProcesses(orch, work);
      await cleanup(c, {}, []);
    });
    try {
      const cold: number[] = [];
      const coldNoWriter: number[] = [];
      const hand: number[] = [];
      const handNoWriter: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        const handoff = await pitlaneCold(c, run);
        const pit = handoff.d.promotion?.pitStop;
        cold.push(pit?.outputGapMs ?? Number.NaN);
        coldNoWriter.push(pit?.noWriterMs ?? Number.NaN);
        const h = await byHand(c, run);
        hand.push(h.gapMs);
        handNoWriter.push(h.noWriterMs);
        say(`flink run ${run + 1}: pitlane cold handoff ${cold.at(-1)} ms (no writer ${coldNoWriter.at(-1)} ms), stop-with-savepoint + v2 submitted by hand ${hand.at(-1)} ms (no writer ${handNoWriter.at(-1)} ms)`);
        say(`  pitlane: ${handoff.parts ? breakdownLine(handoff.parts) : 'no breakdown'}`);
        say(`  by hand: ${h.parts ? breakdownLine(h.parts) : 'no breakdown'}`);
      }
      return { parallelism: PARALLELISM, pitlaneColdPitStopMs: median(cold), pitlaneColdNoWriterMs: median(coldNoWriter), byHandPitStopMs: median(hand), byHandNoWriterMs: median(handNoWriter) };
    } finally {
      forget();
      await orch.close();
      rmSync(work, { recursive: true, force: true });
    }
  });
}
