import { readdirSync } from 'node:fs';
import { constants } from 'node:os';
import { procStat, stopPid } from '../src/process/index.ts';
import type { Infra } from '../test/support/infra.ts';

/**
 * The broker a benchmark runs against: KAFKA_BROKERS when set, else the test
 * infrastructure's own local broker, started for the run and stopped after it —
 * also when the bench is interrupted (see `onInterrupt`).
 */
export async function withBroker<T>(fn: (brokers: string) => Promise<T>, options: { registry?: boolean } = {}): Promise<T> {
  if (process.env.KAFKA_BROKERS) return fn(process.env.KAFKA_BROKERS);
  if (options.registry === false) process.env.PITLANE_TEST_REGISTRY = '0';
  const { startInfra } = await import('../test/support/infra.ts');
  let infra: Infra | undefined;
  // Registered before the start: a broker interrupted while it starts is stopped by pid too.
  const forget = onInterrupt(async () => infra?.stop());
  try {
    infra = await startInfra();
    return await fn(infra.brokers);
  } finally {
    forget();
    await infra?.stop();
  }
}

type Cleanup = () => Promise<unknown>;
const cleanups: Cleanup[] = [];
let listening = false;
let interrupted = false;

/**
 * Registers `cleanup` for an interrupt and returns the function that removes it.
 * The broker, the job hosts and the shadow supervisors a bench starts are detached
 * processes: a bench stopped by Ctrl-C (SIGINT) or `timeout` (SIGTERM) would leave
 * them running. On the first of those signals the bench runs the cleanups registered
 * at that moment, newest first (so job hosts stop before their broker), then stops by
 * pid every process it started that is still running (one spawned as the signal came,
 * before anything recorded it), then exits 130 (SIGINT) or 143 (SIGTERM). Repeated
 * signals meanwhile are ignored (npm forwards the one the process group already got).
 */
export function onInterrupt(cleanup: Cleanup): () => void {
  if (!listening) {
    listening = true;
    process.on('SIGINT', () => void interrupt('SIGINT'));
    process.on('SIGTERM', () => void interrupt('SIGTERM'));
  }
  cleanups.push(cleanup);
  return () => {
    const i = cleanups.lastIndexOf(cleanup);
    if (i >= 0) cleanups.splice(i, 1);
  };
}

async function interrupt(signal: 'SIGINT' | 'SIGTERM'): Promise<void> {
  if (interrupted) return;
  interrupted = true;
  const say = (s: string) => process.stderr.write(`bench: ${s}\n`);
  say(`${signal}: stopping the processes this bench started`);
  // The bench's own code goes on meanwhile and fails as its processes go: that must not end the process before the cleanup has.
  const quiet = (e: unknown) => say(`(after ${signal}) ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  process.on('uncaughtException', quiet);
  process.on('unhandledRejection', quiet);
  for (const cleanup of [...cleanups].reverse()) await cleanup().catch(quiet);
  for (let pass = 0; pass < 5; pass++) {
    const left = runningChildren();
    if (left.length === 0) break;
    say(`stopping ${left.length} more by pid: ${left.join(', ')}`);
    await Promise.all(left.map((pid) => stopPid(pid, 10_000)));
  }
  process.exit(128 + constants.signals[signal]);
}

/** The pids of this process's children that are still running (from /proc; none where there is no /proc). */
function runningChildren(): number[] {
  const out: number[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat && stat.state !== 'Z' && stat.ppid === process.pid) out.push(Number(entry));
  }
  return out;
}
