/**
 * A Flink session cluster for a test file. FLINK_REST_URL names one that runs
 * already (a shared dev environment): it is used, never stopped, and the file's
 * jobs are cancelled by their JobIDs. Without it, the launcher starts one in an
 * owned test dev dir (stopped at the end, or by the next run should this one be
 * killed) and FLINK_REST_URL is set to it, so every `pitlane` the test spawns
 * drives that cluster.
 */
import { devDown } from '../../src/dev/launcher.ts';
import { devUpFlink } from '../../src/dev/flink-launcher.ts';
import { cacheRoot } from '../../src/dev/paths.ts';
import { isAlive } from '../../src/process/index.ts';
import { ownedTestDevDir } from './infra.ts';

export interface TestFlink {
  readonly rest: string;
  /** Stops the cluster if this file started it. */
  stop(): Promise<void>;
}

/**
 * One cluster for a whole test run (scripts/test.mjs): the Flink test files that can
 * share one (they name their jobs and cancel them by JobID) then skip a cluster each,
 * two JVMs fewer per file on a 2-core machine.
 */
export async function startRunFlink(): Promise<TestFlink & { readonly notes: string[] }> {
  const devDir = ownedTestDevDir();
  const cluster = await devUpFlink({ devDir, cacheDir: cacheRoot(), readyTimeoutMs: 150_000 }).catch(async (e: unknown) => {
    await devDown(devDir, { purge: true });
    throw e;
  });
  const jm = cluster[0]!;
  return { rest: jm.url, notes: [`local Flink session cluster at ${jm.url} (pids ${cluster.map((s) => s.pid).join(', ')}, ready in ${jm.readyMs} ms)`], stop: () => devDown(devDir, { purge: true }).then(() => undefined) };
}

export async function flinkForTests(): Promise<TestFlink> {
  const shared = process.env.FLINK_REST_URL;
  if (shared) {
    const res = await fetch(`${shared}/overview`).catch((e: unknown) => {
      throw new Error(`FLINK_REST_URL=${shared} does not answer (${e instanceof Error ? e.message : String(e)}): start it, or unset FLINK_REST_URL to let the test start its own cluster.`);
    });
    if (!res.ok) throw new Error(`FLINK_REST_URL=${shared} answers GET /overview with HTTP ${res.status}.`);
    return { rest: shared, stop: async () => undefined };
  }
  const devDir = ownedTestDevDir();
  const cluster = await devUpFlink({ devDir, cacheDir: cacheRoot(), readyTimeoutMs: 150_000 });
  // A file that overruns the runner's time limit ends with SIGTERM, without its `after` hooks.
  process.once('SIGTERM', () => {
    for (const s of cluster) if (isAlive(s.pid)) process.kill(s.pid, 'SIGTERM');
    process.exit(143);
  });
  const rest = cluster[0]!.url;
  process.env.FLINK_REST_URL = rest;
  return { rest, stop: () => devDown(devDir, { purge: true }).then(() => undefined) };
}

const TERMINAL = ['FINISHED', 'CANCELED', 'FAILED'];

async function liveRuns(rest: string, prefixes: readonly string[]): Promise<{ jid: string; state: string }[]> {
  const res = await fetch(`${rest}/jobs/overview`).catch(() => undefined);
  if (!res?.ok) return [];
  const { jobs } = (await res.json()) as { jobs: { jid: string; state: string }[] };
  return jobs.filter((j) => prefixes.some((p) => j.jid.startsWith(p)) && !TERMINAL.includes(j.state));
}

/**
 * Cancels every run of the cluster whose JobID starts with one of the prefixes and is
 * still going, and waits (up to a minute) until they have ended. Run it before the
 * test's topics are deleted: a Flink Kafka sink whose topic is gone cannot abort its
 * transaction when cancelled, and the TaskManager that waits for it gives up fatally.
 */
export async function cancelRuns(rest: string, prefixes: readonly string[]): Promise<void> {
  for (const j of await liveRuns(rest, prefixes)) await fetch(`${rest}/jobs/${j.jid}?mode=cancel`, { method: 'PATCH' }).catch(() => undefined);
  const deadline = Date.now() + 60_000;
  while ((await liveRuns(rest, prefixes)).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
}
