/**
 * `npm run demo` (scripts/demo.mjs): pitlane's main job, end to end, on a fresh
 * machine. Starts its own local broker (own dev dir, free ports), runs fraud v1
 * on generated traffic, starts a canary of v2 forked from a savepoint, shows the
 * live report with the intended difference declared, promotes by warm savepoint
 * handoff, prints the pit stop and a read-back from Kafka (read_committed) that
 * no alert was lost or duplicated, then stops everything it started.
 * `--buggy`: the candidate drops a range of keys; the gate fails and the
 * orchestrator (auto promotion) aborts it.
 *
 * Every step is the real CLI (`pitlane canary …`), printed before it runs. The
 * demo is a script over pitlane's public surface (a top edge, like src/cli), not
 * part of the orchestrator: nothing under src/orchestrator imports src/demo.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { devDown, devUp } from '../dev/launcher.ts';
import { freePort } from '../process/index.ts';
import { resolveConnection } from '../config/connection.ts';
import { createKafkaClients } from '../kafka/index.ts';
import { silentLogger } from '../logger.ts';
import type { TopicPartitionOffset } from '../kafka/port.ts';
import type { Deployment } from '../orchestrator/lifecycle/model.ts';
import { startTraffic } from './traffic.ts';
import { verifyHandoff } from './verify.ts';
import { sleep } from '../clock.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/pitlane.mjs');
const say = (s: string) => process.stdout.write(`${s}\n`);

export async function runDemo(argv: readonly string[]): Promise<number> {
  const buggy = argv.includes('--buggy');
  const rate = 2000;
  const work = mkdtempSync(join(tmpdir(), 'pitlane-demo-'));
  const devDir = join(work, 'dev');
  const started: string[] = [];
  let traffic: ReturnType<typeof startTraffic> | undefined;
  let clients: ReturnType<typeof createKafkaClients> | undefined;
  let env: NodeJS.ProcessEnv = { ...process.env, PITLANE_STATE_DIR: join(work, 'state'), PITLANE_STORE: 'kafka' };
  let name: string | undefined;
  try {
    // The fraud jobs write JSON (their state is Avro, but that needs no registry),
    // so the demo starts the broker only.
    say('▶ starting a local Kafka broker (the first run downloads the Kafka jars from Maven Central)');
    const port = await freePort();
    const services = await devUp({ devDir, port, controllerPort: await freePort() });
    const brokers = services.find((s) => s.service === 'kafka')!.url;
    const registry = services.find((s) => s.service === 'registry')?.url;
    env = { ...env, KAFKA_BROKERS: brokers, ...(registry ? { SCHEMA_REGISTRY_URL: registry } : {}) };
    // Asynchronous on purpose: the traffic generator runs in this process and must
    // keep producing while a command (say, the promotion) runs.
    const cli = (args: string[], show = true): Promise<{ code: number; out: string }> =>
      new Promise((done) => {
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
    clients = createKafkaClients(resolveConnection({ brokers, registry, env: {} }), silentLogger());
    const { kafka } = clients;
    await kafka.createTopics(['payments', 'fraud-alerts', 'fraud-alerts-canary', 'fraud-alerts-canary-buggy'].map((topic) => ({ topic, partitions: 4 })));

    say(`\n▶ generated traffic: ${rate} card payments/s, 20 users, 20% over 100, 5% over 500`);
    traffic = startTraffic(kafka, { topic: 'payments', rate });
    await cli(['canary', 'launch', 'deploy/fraud.yaml', '--parallelism', '4']);
    started.push('fraud');
    await sleep(4000);

    const spec = buggy ? 'deploy/fraud-buggy.yaml' : 'deploy/fraud.yaml';
    name = buggy ? 'fraud-buggy' : 'fraud';
    say(`\n▶ canary of ${buggy ? 'a BUGGY v2 (drops the payments of user-0 … user-9)' : 'v2'}: threshold 100 → 500, parallelism 4 → 8, new state field; forked from a savepoint of the running v1`);
    const start = await cli(['canary', 'start', spec]);
    started.push(`${name}.candidate`);
    if (start.code !== 0) return start.code;

    say('\n▶ shadowing: both versions read the same payments; the comparator judges their outputs window by window');
    for (let i = 0; i < 3; i++) {
      await sleep(8000);
      await cli(['canary', 'report', name]);
    }
    const gate = await cli(['canary', 'gate', name, '--wait', '--timeout', '90s']);
    say(`(gate exit code ${gate.code}: 0 pass, 1 fail, 2 inconclusive, 3 error)`);
    if (buggy) {
      const deployment = name;
      await waitFor(async () => (await json<{ deployment: Deployment }>(['canary', 'status', deployment])).deployment.phase === 'Aborted', 60_000);
      await cli(['canary', 'status', name]);
      say(gate.code === 1 ? '\n✔ the gate caught the buggy candidate; the orchestrator aborted it and kept its savepoint and report. v1 never stopped.' : '\n✘ the buggy candidate was not caught');
      return gate.code === 1 ? 0 : 1;
    }
    if (gate.code !== 0) return gate.code;

    say('\n▶ promote by WARM savepoint handoff: both jobs align on the same input offsets, the sink of v2 switches to fraud-alerts there — no restore — and v1 stops with a savepoint kept for rollback');
    const promoted = await cli(['canary', 'promote', name]);
    if (promoted.code !== 0) return promoted.code;
    const d = (await json<{ deployment: Deployment }>(['canary', 'status', name])).deployment;
    const pit = d.promotion?.pitStop;
    say(`\n⏱  pit stop: ${pit?.outputGapMs ?? '?'} ms from v1's last alert to v2's first on fraud-alerts; ${pit?.noWriterMs ?? '?'} ms with no job writing`);

    await sleep(3000);
    await traffic.stop();
    say(`\n▶ traffic stopped after ${traffic.produced()} payments; reading fraud-alerts back (read_committed) once v2 has caught up`);
    const live = d.jobs.live;
    const deployment = name;
    await waitFor(async () => (await json<{ jobs: { jobId: string; metrics?: { inputLag: number } }[] }>(['canary', 'status', deployment])).jobs.some((j) => j.jobId === live && j.metrics?.inputLag === 0), 60_000);
    const cut = d.promotion?.steps.find((s) => s.type === 'warmHandoff')?.result.positions ?? [];
    const until: TopicPartitionOffset[] = (await kafka.watermarks('payments')).map((w) => ({ topic: 'payments', partition: w.partition, offset: w.high }));
    const amount = (v: unknown) => (v as { amount: number }).amount;
    const v = await verifyHandoff(kafka, { input: 'payments', output: 'fraud-alerts', cut, until, before: (x) => amount(x) > 100, after: (x) => amount(x) > 500 });
    say(`   ${v.inputs} payments, ${v.expected} alerts expected (v1's rule before the handoff offsets, v2's after), ${v.outputs} on fraud-alerts`);
    say(`   missing ${v.missing}, duplicated ${v.duplicates}, unexpected ${v.unexpected}${v.examples.length ? `: ${v.examples.join('; ')}` : ''}`);
    say(v.ok ? '\n✔ no alert lost or duplicated across the promotion' : '\n✘ the read-back found a gap or a duplicate');
    return v.ok ? 0 : 1;
  } finally {
    say('\n▶ stopping everything the demo started');
    await traffic?.stop().catch(() => undefined);
    const quiet = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env, encoding: 'utf8' });
    // A deployment left mid-flight (the demo failed or was interrupted) stops its candidate and supervisor.
    if (name) quiet(['canary', 'abort', name, '--reason', 'the demo is ending']);
    for (const job of [...started].reverse()) quiet(['canary', 'stop-job', job]);
    await clients?.kafka.close().catch(() => undefined);
    await devDown(devDir, { purge: true }).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
}

async function waitFor(cond: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond()) && Date.now() < deadline) await sleep(500);
}
