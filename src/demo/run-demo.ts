/**
 * `npm run demo` (scripts/demo.mjs): pitlane's main job, end to end, on a fresh
 * machine. Starts its own local broker (own dev dir, free ports), runs fraud v1
 * on generated traffic, starts a canary of v2 forked from a savepoint, shows the
 * live report with the intended difference declared, promotes by savepoint
 * handoff, prints the pit stop and a read-back from Kafka (read_committed) that
 * no alert was lost or duplicated, then stops everything it started (also on
 * Ctrl-C). `--buggy`: the candidate drops a range of keys; the gate fails and the
 * orchestrator (auto promotion) aborts it.
 * `--engine flink`: the same story on a local Flink session cluster the demo also
 * starts (src/demo/flink-demo.ts), promoted by cold handoff; with `--brokers B
 * --flink-rest URL` it uses services that run already, under names of its own.
 *
 * Every step is the real CLI (`pitlane canary …`), printed before it runs. The
 * demo is a script over pitlane's public surface (a top edge, like src/cli), not
 * part of the orchestrator: nothing under src/orchestrator imports src/demo.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { devDown, devUp } from '../dev/launcher.ts';
import { FLINK_VERSION } from '../dev/flink-cluster.ts';
import { freePort } from '../process/index.ts';
import { resolveConnection } from '../config/connection.ts';
import { createKafkaClients } from '../kafka/index.ts';
import { silentLogger } from '../logger.ts';
import type { TopicPartitionOffset } from '../kafka/port.ts';
import type { Deployment } from '../orchestrator/lifecycle/model.ts';
import { startTraffic } from './traffic.ts';
import { verifyHandoff, type HandoffVerdict } from './verify.ts';
import { demoNames, FLINK_DEMO_PARALLELISM, prepareFlinkDemo } from './flink-demo.ts';
import { sleep } from '../clock.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/pitlane.mjs');
const say = (s: string) => process.stdout.write(`${s}\n`);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export interface DemoOptions {
  readonly buggy: boolean;
  readonly engine: 'embedded' | 'flink';
  /** Services that run already (development): the demo starts and stops none of them. */
  readonly existing?: { readonly brokers: string; readonly flinkRest: string };
}

/** The demo's command line; a bad one is an Error whose message says what to type instead. */
export function demoOptions(argv: readonly string[]): DemoOptions {
  const { values: v } = parseArgs({ args: [...argv], options: { buggy: { type: 'boolean' }, engine: { type: 'string' }, brokers: { type: 'string' }, 'flink-rest': { type: 'string' } }, strict: true, allowPositionals: false });
  const engine = v.engine ?? 'embedded';
  if (engine !== 'embedded' && engine !== 'flink') throw new Error(`--engine ${engine}: the demo runs on "embedded" (the default) or "flink"`);
  if ((v.brokers === undefined) !== (v['flink-rest'] === undefined) || (v.brokers !== undefined && engine !== 'flink')) {
    throw new Error('--brokers and --flink-rest go together, with --engine flink (to run the Flink demo on services that run already); without them the demo starts its own');
  }
  return { buggy: v.buggy ?? false, engine, ...(v.brokers && v['flink-rest'] ? { existing: { brokers: v.brokers, flinkRest: v['flink-rest'] } } : {}) };
}

export async function runDemo(argv: readonly string[]): Promise<number> {
  let o: DemoOptions;
  try {
    o = demoOptions(argv);
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\n  → npm run demo [-- --buggy] [--engine flink]\n`);
    return 3;
  }
  const t0 = Date.now();
  const { buggy } = o;
  const flink = o.engine === 'flink';
  const rate = flink ? 1000 : 2000;
  const work = mkdtempSync(join(tmpdir(), 'pitlane-demo-'));
  const devDir = join(work, 'dev');
  // On services others use too, the demo's topics, groups, deployments and jobs get names of their own.
  const n = demoNames(o.existing ? `-demo-${randomUUID().slice(0, 8)}` : '');
  const jobs = new Set<string>();
  const topics = [n.input, n.output, n.canary, n.canaryBuggy];
  let traffic: ReturnType<typeof startTraffic> | undefined;
  let clients: ReturnType<typeof createKafkaClients> | undefined;
  let env: NodeJS.ProcessEnv = { ...process.env, PITLANE_STATE_DIR: join(work, 'state'), PITLANE_STORE: 'kafka' };
  let name: string | undefined;
  let cleaned: Promise<void> | undefined;
  const cleanup = () =>
    (cleaned ??= (async () => {
      say('\n▶ stopping everything the demo started');
      await traffic?.stop().catch(() => undefined);
      const quiet = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env, encoding: 'utf8' });
      // A deployment left mid-flight (the demo failed or was interrupted) stops its candidate and supervisor.
      if (name) quiet(['canary', 'abort', name, '--reason', 'the demo is ending']);
      for (const job of [...jobs].reverse()) quiet(flink ? ['flink', 'cancel', job] : ['canary', 'stop-job', job]);
      if (o.existing && clients) {
        const groups = [...jobs].flatMap((j) => [n.deployment, n.deploymentBuggy].map((d) => `pitlane.${d}.${j}`));
        await clients.kafka.deleteGroups(groups).catch(() => undefined);
        await clients.kafka.deleteTopics(topics).catch(() => undefined);
      }
      await clients?.kafka.close().catch(() => undefined);
      if (!o.existing) await devDown(devDir, { purge: true }).catch(() => undefined);
      rmSync(work, { recursive: true, force: true });
      say(`   done (${secs(Date.now() - t0)} in all)`);
    })());
  // Ctrl-C (or a kill) mid-demo: stop what was started, by pid, then exit.
  const interrupted = (signal: NodeJS.Signals) => {
    say(`\n${signal}: the demo stops here`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
  try {
    let brokers: string;
    if (o.existing) {
      brokers = o.existing.brokers;
      env = { ...env, KAFKA_BROKERS: brokers, FLINK_REST_URL: o.existing.flinkRest };
      say(`▶ using the broker at ${brokers} and the Flink cluster at ${o.existing.flinkRest} (names end in ${n.input.slice('payments'.length)})`);
    } else {
      // The fraud jobs write JSON (their state is Avro, but that needs no registry),
      // so the demo starts the broker only (and Flink for --engine flink).
      say(flink ? `▶ starting a local Kafka broker and a Flink ${FLINK_VERSION} session cluster (the first run downloads their jars from Maven Central)` : '▶ starting a local Kafka broker (the first run downloads the Kafka jars from Maven Central)');
      const services = await devUp({ devDir, port: await freePort(), controllerPort: await freePort(), flink });
      brokers = services.find((s) => s.service === 'kafka')!.url;
      const flinkUrl = services.find((s) => s.service === 'flink-jobmanager')?.url;
      env = { ...env, KAFKA_BROKERS: brokers, ...(flinkUrl ? { FLINK_REST_URL: flinkUrl } : {}) };
      say(`   Kafka at ${brokers}${flinkUrl ? `, Flink REST (and web UI) at ${flinkUrl}` : ''} (${secs(Date.now() - t0)})`);
    }
    // The embedded specs are the project's own (the CLI runs in ROOT); the Flink ones name the built jars.
    let specs = { spec: 'deploy/fraud.yaml', buggySpec: 'deploy/fraud-buggy.yaml' };
    if (flink) {
      say('\n▶ building the Flink versions of fraud v1, v2 and the buggy v2 (flink/, once per content of its sources)');
      const f = await prepareFlinkDemo(work, n);
      specs = f;
      say(`   ${f.built ? `built with Maven in ${secs(f.buildMs)}` : 'the jars were built before (kept in ~/.cache/pitlane)'}; the specs: ${f.spec}, ${f.buggySpec}`);
    }
    // Asynchronous on purpose: the traffic generator runs in this process and must
    // keep producing while a command (say, the promotion) runs.
    const cli = (args: string[], show = true): Promise<{ code: number; out: string }> =>
      new Promise((done) => {
        // Once the demo is stopping (Ctrl-C), it runs no further step.
        if (cleaned) return done({ code: 130, out: '' });
        if (show) say(`\n$ pitlane ${args.join(' ')}`);
        const p = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        p.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
        p.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
        p.on('close', (code) => {
          if (show) process.stdout.write(out);
          if (code !== 0 && err) process.stderr.write(err);
          done({ code: code ?? 3, out });
        });
      });
    const json = async <T>(args: string[]): Promise<T> => JSON.parse((await cli([...args, '--json'], false)).out) as T;
    type Status = { deployment: Deployment; jobs: { jobId: string; positions?: TopicPartitionOffset[]; metrics?: { inputLag: number } }[] };
    const status = (deployment: string) => json<Status>(['canary', 'status', deployment]);
    clients = createKafkaClients(resolveConnection({ brokers, env: {} }), silentLogger());
    const { kafka } = clients;
    await kafka.createTopics(topics.map((topic) => ({ topic, partitions: 4 })));

    say(`\n▶ generated traffic: ${rate} card payments/s, 20 users, 20% over 100, 5% over 500`);
    traffic = startTraffic(kafka, { topic: n.input, rate });
    jobs.add(n.v1);
    const launched = await cli(['canary', 'launch', specs.spec, '--parallelism', String(flink ? FLINK_DEMO_PARALLELISM.v1 : 4)]);
    if (launched.code !== 0) return launched.code;
    await sleep(4000);

    name = buggy ? n.deploymentBuggy : n.deployment;
    const scale = flink ? `${FLINK_DEMO_PARALLELISM.v1} → ${FLINK_DEMO_PARALLELISM.candidate}` : '4 → 8';
    say(`\n▶ canary of ${buggy ? 'a BUGGY v2 (drops the payments of user-0 … user-9)' : 'v2'}: threshold 100 → 500, parallelism ${scale}, new state field; forked from a savepoint of the running v1${flink ? ' (on Flink)' : ''}`);
    jobs.add(`${name}.candidate`);
    const start = await cli(['canary', 'start', buggy ? specs.buggySpec : specs.spec]);
    if (start.code !== 0) return start.code;

    say('\n▶ shadowing: both versions read the same payments; the comparator judges their outputs window by window');
    for (let i = 0; i < 3; i++) {
      await sleep(8000);
      await cli(['canary', 'report', name]);
    }
    const gate = await cli(['canary', 'gate', name, '--wait', '--timeout', flink ? '180s' : '90s']);
    say(`(gate exit code ${gate.code}: 0 pass, 1 fail, 2 inconclusive, 3 error)`);
    const deployment = name;
    if (buggy) {
      await waitFor(async () => (await status(deployment)).deployment.phase === 'Aborted', 60_000);
      await cli(['canary', 'status', name]);
      say(gate.code === 1 ? '\n✔ the gate caught the buggy candidate; the orchestrator aborted it and kept its savepoint and report. v1 never stopped.' : '\n✘ the buggy candidate was not caught');
      return gate.code === 1 ? 0 : 1;
    }
    if (gate.code !== 0) return gate.code;

    say(
      flink
        ? `\n▶ promote by COLD savepoint handoff: v1 stops with a savepoint (no drain), v2 starts from it on ${n.output}, exactly-once; the savepoint is kept for rollback`
        : `\n▶ promote by WARM savepoint handoff: both jobs align on the same input offsets, the sink of v2 switches to ${n.output} there — no restore — and v1 stops with a savepoint kept for rollback`,
    );
    jobs.add(`${name}.promoted`);
    const promoted = await cli(['canary', 'promote', name]);
    if (promoted.code !== 0) return promoted.code;
    const d = (await status(name)).deployment;
    const pit = d.promotion?.pitStop;
    say(`\n⏱  pit stop: ${pit?.outputGapMs ?? '?'} ms from v1's last alert to v2's first on ${n.output}; ${pit?.noWriterMs ?? '?'} ms with no job writing`);

    await sleep(3000);
    await traffic.stop();
    say(`\n▶ traffic stopped after ${traffic.produced()} payments; reading ${n.output} back (read_committed) once v2 has caught up`);
    const live = d.jobs.live;
    const until: TopicPartitionOffset[] = (await kafka.watermarks(n.input)).map((w) => ({ topic: n.input, partition: w.partition, offset: w.high }));
    const sum = (xs: readonly TopicPartitionOffset[]) => xs.reduce((s, x) => s + x.offset, 0);
    // A Flink job commits its input positions (and its output) at a checkpoint.
    await waitFor(async () => (await status(deployment)).jobs.some((j) => j.jobId === live && (flink ? sum(j.positions ?? []) >= sum(until) : j.metrics?.inputLag === 0)), 120_000);
    const steps = d.promotion?.steps ?? [];
    const cut = (flink ? steps.find((s) => s.type === 'coldHandoff')?.result.savepoint?.sourceOffsets : steps.find((s) => s.type === 'warmHandoff')?.result.positions) ?? [];
    const amount = (x: unknown) => (x as { amount: number }).amount;
    const check = () => verifyHandoff(kafka, { input: n.input, output: n.output, cut, until, before: (x) => amount(x) > 100, after: (x) => amount(x) > 500 });
    // The last transaction may still be landing: read again while only something is missing.
    let v: HandoffVerdict = await check();
    for (const deadline = Date.now() + 30_000; !v.ok && v.duplicates + v.unexpected === 0 && Date.now() < deadline; v = await check()) await sleep(1000);
    say(`   ${v.inputs} payments, ${v.expected} alerts expected (v1's rule before the handoff offsets, v2's after), ${v.outputs} on ${n.output}`);
    say(`   missing ${v.missing}, duplicated ${v.duplicates}, unexpected ${v.unexpected}${v.examples.length ? `: ${v.examples.join('; ')}` : ''}`);
    say(v.ok ? '\n✔ no alert lost or duplicated across the promotion' : '\n✘ the read-back found a gap or a duplicate');
    return v.ok ? 0 : 1;
  } finally {
    await cleanup();
    process.off('SIGINT', interrupted).off('SIGTERM', interrupted);
  }
}

async function waitFor(cond: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond()) && Date.now() < deadline) await sleep(500);
}
