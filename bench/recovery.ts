// Recovery benchmark (npm run bench:recovery, issue 12): `kill -9` of a managed job
// host under traffic, and the time until its keeper's restart has committed output
// again (kill → first output visible to a read_committed reader, from the new host's
// own commit callback), beside the peer measured in the same run: a plain start of
// the same job, by hand, from the same checkpoint the keeper's restart resumed from
// (start call → first visible output), i.e. a restart without crash detection, the
// restart strategy's delay or the search for the latest committed checkpoint.
// The job is examples/fraud v1 started from a synthetic savepoint of KEYS user
// profiles, checkpointing every BENCH_CHECKPOINT_INTERVAL, exactly-once, with
// traffic at RATE payments/s over those users throughout. Restart strategy:
// fixed-delay with no delay (the mechanism's cost, not a chosen back-off).
// Each run also prints where the time went, from the job hosts' own logs.
// Env: BENCH_KEYS (1,000,000), BENCH_RATE (20,000), BENCH_RUNS (3),
// BENCH_CHECKPOINT_INTERVAL (ms, 5,000); KAFKA_BROKERS to use a running broker.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConnection } from '../src/config/connection.ts';
import { createKafkaClients } from '../src/kafka/index.ts';
import { createLogger } from '../src/logger.ts';
import { createOrchestrator } from '../src/orchestrator/create.ts';
import type { JobRecovery } from '../src/engines/adapter.ts';
import { isAlive, isOurProcess, stopPid } from '../src/process/index.ts';
import { listEntries, readEntry } from '../src/engines/embedded/control/job-directory.ts';
import { sleep } from '../src/clock.ts';
import { KEYS, RATE, median, say, type Ctx } from './handoff/context.ts';
import { runV1, topics } from './handoff/runs.ts';
import { writeFraudSeed } from './handoff/seed.ts';
import { onInterrupt, withBroker } from './broker.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const INTERVAL = Number(process.env.BENCH_CHECKPOINT_INTERVAL ?? 5000);
const RECOVERY: JobRecovery = { checkpoints: { intervalMs: INTERVAL, retained: 5 }, restart: { type: 'fixed-delay', attempts: 3, delayMs: 0 } };

/** The last log line of a job host with message `msg` (JSON lines). */
function logged(c: Ctx, jobId: string, msg: string, since = 0): Record<string, unknown> | undefined {
  const f = c.orch.engine.logFile(jobId);
  if (!existsSync(f)) return undefined;
  for (const line of readFileSync(f, 'utf8').split('\n').reverse()) {
    if (!line.includes(`"msg":"${msg}"`)) continue;
    try {
      const j = JSON.parse(line) as Record<string, unknown>;
      // The log spans the host's restarts: a line from before `since` belongs to an earlier run.
      if (typeof j.time === 'number' && j.time < since) return undefined;
      return j;
    } catch {
      continue;
    }
  }
  return undefined;
}

async function until<T>(what: string, f: () => T | undefined | Promise<T | undefined>, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Where a (re)start went, from its host's log: process up (config read), checkpoint found, job running (restored, sources started), first output committed. */
function parts(c: Ctx, jobId: string, t0: number): Record<string, number> {
  const at = (msg: string) => (logged(c, jobId, msg, t0)?.time as number | undefined) ?? Number.NaN;
  const first = logged(c, jobId, 'first output committed', t0);
  return { hostUp: at('job host restarted') - t0, running: at('job host running') - t0, firstSent: ((first?.sentAt as number | undefined) ?? Number.NaN) - t0, firstVisible: ((first?.visibleAt as number | undefined) ?? Number.NaN) - t0 };
}

interface Run {
  readonly recoveryMs: number;
  readonly plainMs: number;
  readonly checkpoint: string;
  readonly keeper: Record<string, number>;
  readonly plain: Record<string, number>;
}

async function run(c: Ctx, n: number): Promise<Run> {
  const tag = `recovery-${n}-${Date.now() % 100000}`;
  const t = await topics(c.kafka, tag);
  const jobId = `bench-${tag}`;
  const plainId = `${jobId}.plain`;
  const jobsDir = c.orch.engine.jobsDir;
  const traffic = await runV1(c, jobId, t, { recovery: RECOVERY });
  try {
    // Mid-stream: output committed at two checkpoints at least, then half an interval more.
    const checkpoints = join(c.orch.stateDir, 'checkpoints', jobId);
    // A metrics call can meet the host mid-checkpoint (a full snapshot of 1M keys): ask again.
    await until('two checkpoints', async () => ((await c.orch.engine.metrics(jobId).catch(() => ({ recordsOut: 0 }))).recordsOut > 0 && existsSync(checkpoints) && readdirSync(checkpoints).filter((f) => f.startsWith('chk-')).length >= 2 ? true : undefined));
    await sleep(INTERVAL / 2);
    const pid = readEntry(jobsDir, jobId)!.pid;
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    const again = await until('the restarted host', () => {
      const e = readEntry(jobsDir, jobId);
      return e && e.pid !== pid && isAlive(e.pid) ? e.pid : undefined;
    });
    const first = await until('its first committed output', () => c.orch.engine.firstOutputAt(jobId, 1000).catch(() => undefined));
    const checkpoint = String(logged(c, jobId, 'resuming from the latest committed checkpoint')?.checkpoint ?? '');
    if (!checkpoint) throw new Error(`the restarted host (pid ${again}) resumed from no checkpoint`);
    const keeper = parts(c, jobId, killedAt);
    // The same checkpoint, copied before the restarted job's own checkpoints prune it.
    const copy = join(c.seed, '..', `checkpoint-${n}`);
    cpSync(checkpoint, copy, { recursive: true });
    await c.orch.engine.cancel(jobId, { requestId: `bench/${jobId}/cancel` });
    // The peer: the same job started by hand from that checkpoint (a new process, no keeper restart).
    const startedAt = Date.now();
    await c.orch.engine.start({ requestId: `${plainId}/start`, jobId: plainId, job: 'examples/fraud/v1.ts', parallelism: 4, inputs: [t.input], from: { savepoint: copy }, sinkTopic: t.output, identity: plainId, recovery: RECOVERY });
    const plainFirst = await until('the plain restart\'s first committed output', () => c.orch.engine.firstOutputAt(plainId, 1000).catch(() => undefined));
    const plain = parts(c, plainId, startedAt);
    rmSync(copy, { recursive: true, force: true });
    return { recoveryMs: first - killedAt, plainMs: plainFirst - startedAt, checkpoint, keeper, plain };
  } finally {
    await traffic.stop();
    for (const j of [jobId, plainId]) await c.orch.engine.cancel(j, { requestId: `bench/${j}/cancel/${Date.now()}` }).catch(() => undefined);
    await c.kafka.deleteTopics(Object.values(t)).catch(() => undefined);
  }
}

/** Keepers first (each would restart the host stopped after it), then hosts, by pid. */
async function stopAll(c: Ctx): Promise<void> {
  const hostsDir = join(c.orch.stateDir, 'hosts');
  const records = existsSync(hostsDir) ? readdirSync(hostsDir).filter((f) => f.endsWith('.keeper.json')) : [];
  const keepers = records.map((f) => (JSON.parse(readFileSync(join(hostsDir, f), 'utf8')) as { pid: number }).pid).filter((pid) => isOurProcess(pid, 'keeper-main'));
  await Promise.all(keepers.map((pid) => stopPid(pid, 5000)));
  const hosts = listEntries(c.orch.engine.jobsDir).filter((e) => isOurProcess(e.pid, 'host-main')).map((e) => e.pid);
  await Promise.all(hosts.map((pid) => stopPid(pid, 5000)));
}

await withBroker(async (brokers) => {
  const work = mkdtempSync(join(tmpdir(), 'pl-recovery-'));
  const logger = createLogger({ level: 'warn' });
  const connection = resolveConnection({ brokers, env: {} });
  const { kafka } = createKafkaClients(connection, logger);
  const orch = createOrchestrator({ connection, kafka, logger, store: `dir:${join(work, 'store')}`, stateDir: join(work, 'state') });
  const seed = join(work, 'seed');
  const c: Ctx = { kafka, connection, orch, seed, rates: [] };
  const forget = onInterrupt(() => stopAll(c));
  try {
    say(`state: ${KEYS.toLocaleString()} keys; traffic ${RATE.toLocaleString()} payments/s; checkpoint every ${INTERVAL} ms; ${RUNS} runs`);
    await writeFraudSeed(seed, KEYS);
    const runs: Run[] = [];
    for (let n = 0; n < RUNS; n++) {
      const r = await run(c, n);
      runs.push(r);
      say(`run ${n + 1}: keeper restart ${r.recoveryMs} ms ${JSON.stringify(r.keeper)}; plain restart ${r.plainMs} ms ${JSON.stringify(r.plain)}`);
    }
    const figures = { keys: KEYS, rate: RATE, runs: RUNS, checkpointIntervalMs: INTERVAL, recoveryMs: median(runs.map((r) => r.recoveryMs)), recoveryRunsMs: runs.map((r) => r.recoveryMs) };
    const peer = { plainRestartMs: median(runs.map((r) => r.plainMs)), plainRunsMs: runs.map((r) => r.plainMs) };
    const partsOf = (k: 'keeper' | 'plain') => Object.fromEntries(Object.keys(runs[0]?.[k] ?? {}).map((p) => [p, median(runs.map((r) => r[k][p]!))]));
    say(`\nmedian of ${RUNS}: kill -9 → first committed output ${figures.recoveryMs} ms; plain restart from the same checkpoint ${peer.plainRestartMs} ms`);
    process.stdout.write(`${JSON.stringify({ bench: 'recovery', figures, peer, parts: { keeper: partsOf('keeper'), plain: partsOf('plain') }, ratio: { recoveryVsPlain: +(figures.recoveryMs / peer.plainRestartMs).toFixed(3) } })}\n`);
  } finally {
    forget();
    await orch.close();
    await kafka.close();
    rmSync(work, { recursive: true, force: true });
  }
}, { registry: false });
