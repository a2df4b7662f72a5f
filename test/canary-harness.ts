/**
 * End-to-end harness for the canary tests: the real CLI (`bin/pitlane.mjs`)
 * against the test run's real broker, with a store topic, topics, a state
 * directory and job processes unique to the test — all removed after it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { kafkaForTest, testConnection, uniqueName, waitFor } from './support/kafka.ts';
import { createKafkaClients } from '../src/kafka/index.ts';
import { silentLogger } from '../src/logger.ts';
import { startTraffic, type Traffic } from '../src/demo/traffic.ts';
import type { Deployment } from '../src/orchestrator/lifecycle/model.ts';
import { isOurProcess, stopPid } from '../src/process/index.ts';
import { listEntries } from '../src/engines/embedded/control/job-directory.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const BIN = join(ROOT, 'bin/pitlane.mjs');

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly out: string;
  readonly err: string;
}

/**
 * The deployment spec the canary tests share: fraud's analysis (2 s windows, schema,
 * count and key coverage, the count change v2's higher threshold is expected to make),
 * with the jobs' own keys (`job: …`, or a Flink job's `engine: flink, jar: …`) as given.
 */
export function specYaml(o: { name: string; input: string; output: string; canary: string; authoritative: string; candidate: string; parallelism: number; promotion: string; checks?: readonly string[]; extra?: string; grace?: string }): string {
  return [
    `name: ${o.name}`,
    `inputs: [${o.input}]`,
    `authoritative: { ${o.authoritative}, version: v1, output: ${o.output} }`,
    `candidate: { ${o.candidate}, version: v2, canary: ${o.canary}, parallelism: ${o.parallelism} }`,
    'analysis:',
    '  window: 2s',
    `  grace: ${o.grace ?? '1s'}`,
    '  minimum: { duration: 6s, windows: 2, records: 50 }',
    '  checks:',
    '    - { type: schema }',
    '    - { type: count }',
    '    - { type: key-coverage, minJaccard: 0.9 }',
    ...(o.checks ?? []).map((c) => `    - ${c}`),
    '  expected:',
    '    - { check: count, change: { min: -0.95, max: -0.5 }, reason: "threshold 100 -> 500" }',
    `promotion: ${o.promotion}`,
    o.extra ?? '',
  ].join('\n');
}

export async function canaryHarness(t: TestContext, prefix: string) {
  const k = kafkaForTest(t);
  const dir = mkdtempSync(join(tmpdir(), 'pl-'));
  // A broker that has just started sometimes answers a topic's first metadata
  // request before the topic has a leader; a new name on retry keeps this clean.
  const topic = async (p: string, partitions: number): Promise<string> => {
    for (let i = 0; ; i++) {
      try {
        return await k.topic(p, partitions);
      } catch (e) {
        if (i >= 4) throw e;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  };
  const input = await topic(`${prefix}-in`, 4);
  const output = await topic(`${prefix}-out`, 4);
  const canary = await topic(`${prefix}-can`, 4);
  // Created here (and so deleted after the test) rather than by the store on first use.
  const storeTopic = await topic(`${prefix}-store`, 1);
  const name = uniqueName(prefix).toLowerCase();
  const env: NodeJS.ProcessEnv = { ...process.env, PITLANE_STATE_DIR: join(dir, 'state'), PITLANE_STORE: `kafka:${storeTopic}`, PITLANE_LOG_LEVEL: 'warn' };
  let traffic: Traffic | undefined;
  // Traffic has its own client, closed by this harness: the cleanup order of
  // after-hooks must not matter.
  const producer = createKafkaClients(testConnection(), silentLogger());

  const cli = (args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<CliResult> =>
    new Promise((done) => {
      const p = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      p.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
      p.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
      p.on('close', (code, signal) => done({ code, signal, out, err }));
    });
  const status = async (): Promise<{ deployment: Deployment; jobs: { jobId: string; state: string; restarts?: number; failure?: string; lastFailure?: { at: number; reason: string }; metrics?: { inputLag: number; recordsOut: number } }[]; supervisor: number | null }> => {
    const r = await cli(['canary', 'status', name, '--json']);
    if (r.code !== 0) throw new Error(`status failed: ${r.err}`);
    return JSON.parse(r.out) as never;
  };

  t.after(async () => {
    await traffic?.stop().catch(() => undefined);
    await producer.kafka.close().catch(() => undefined);
    await cli(['canary', 'abort', name, '--reason', 'test cleanup']);
    // Keepers first: one left running would restart the hosts stopped below.
    const hosts = join(dir, 'state', 'hosts');
    for (const f of existsSync(hosts) ? readdirSync(hosts).filter((n) => n.endsWith('.keeper.json')) : []) {
      const pid = (JSON.parse(readFileSync(join(hosts, f), 'utf8')) as { pid: number }).pid;
      if (isOurProcess(pid, 'keeper-main')) await stopPid(pid, 5000);
    }
    const jobs = join(dir, 'state', 'jobs');
    // Read before stop-job removes the entries: a host the CLI could not stop is stopped by its pid.
    const entries = listEntries(jobs);
    for (const e of entries) await cli(['canary', 'stop-job', e.name]);
    for (const e of entries) if (isOurProcess(e.pid, 'host-main')) await stopPid(e.pid, 5000);
    const sup = join(dir, 'state', 'deployments', name, 'supervisor.pid');
    if (existsSync(sup)) {
      const pid = Number(readFileSync(sup, 'utf8'));
      if (isOurProcess(pid, 'supervisor-main')) await stopPid(pid, 10_000);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  return {
    k,
    dir,
    name,
    input,
    output,
    canary,
    env,
    cli,
    status,
    /** Writes a deployment spec for this test's topics; `extra` is appended YAML. */
    spec(o: { candidate?: string; parallelism?: number; promotion?: string; extra?: string; authoritative?: string; checks?: readonly string[] } = {}): string {
      const file = join(dir, `${name}.yaml`);
      writeFileSync(
        file,
        specYaml({
          name,
          input,
          output,
          canary,
          authoritative: `job: ${o.authoritative ?? 'examples/fraud/v1.ts'}`,
          candidate: `job: ${o.candidate ?? 'examples/fraud/v2.ts'}`,
          parallelism: o.parallelism ?? 8,
          promotion: o.promotion ?? '{ strategy: savepoint-handoff, mode: warm }',
          ...(o.checks ? { checks: o.checks } : {}),
          ...(o.extra !== undefined ? { extra: o.extra } : {}),
        }),
      );
      return file;
    },
    startTraffic(rate = 1000): Traffic {
      traffic = startTraffic(producer.kafka, { topic: input, rate });
      return traffic;
    },
    async stopTraffic(): Promise<void> {
      await traffic?.stop();
    },
    async launch(parallelism = 4, spec?: Parameters<typeof this.spec>[0]): Promise<void> {
      const r = await cli(['canary', 'launch', this.spec(spec), '--parallelism', String(parallelism)]);
      if (r.code !== 0) throw new Error(`launch failed: ${r.err}`);
    },
    /** Waits until the job has consumed everything produced so far. */
    async caughtUp(jobId: string): Promise<void> {
      await waitFor(async () => (await status()).jobs.some((j) => j.jobId === jobId && j.metrics?.inputLag === 0), { timeoutMs: 60_000 });
    },
    async highs(topic: string) {
      return (await k.kafka.watermarks(topic)).map((w) => ({ topic, partition: w.partition, offset: w.high }));
    },
  };
}

export const amountOf = (v: unknown): number => (v as { amount: number }).amount;
