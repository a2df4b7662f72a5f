/**
 * What the Flink canary test files share: the cluster (FLINK_REST_URL, or one this
 * file starts) and the fraud jars, a canary harness whose Flink runs are cancelled
 * after the test, a spec of Flink jobs over its topics, and readers of a deployment's
 * status and of the cluster's runs of a pitlane job — all through the CLI or Flink's REST.
 */
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canaryHarness, specYaml } from '../canary-harness.ts';
import { waitFor } from './kafka.ts';
import { cancelRuns, flinkForTests, type TestFlink } from './flink.ts';
import { buildFlinkJobs, FLINK_ENTRY_CLASSES } from '../../src/dev/flink-jobs-build.ts';
import { jobPrefix } from '../../src/engines/flink/ids.ts';
import type { verifyOutputs } from '../../src/demo/verify.ts';
import type { TopicPartitionOffset } from '../../src/kafka/port.ts';

export type Harness = Awaited<ReturnType<typeof canaryHarness>>;

let cluster: TestFlink | undefined;
let jars: { v1: string; v2: string } | undefined;

/** The file's cluster and jars; call it in `before`, and `flinkCluster().stop()` in `after`. */
export async function setUpFlinkCanary(): Promise<TestFlink> {
  cluster = await flinkForTests();
  // One build for both jars (two builds of the same sources at once in one process share a work directory).
  const built = (await buildFlinkJobs()).jars;
  jars = { v1: built['fraud-v1'], v2: built['fraud-v2'] };
  return cluster;
}

export function flinkCluster(): TestFlink {
  assert.ok(cluster, 'setUpFlinkCanary() runs first (in before)');
  return cluster;
}

const jar = (which: 'v1' | 'v2'): string => {
  assert.ok(jars, 'setUpFlinkCanary() runs first (in before)');
  return jars[which];
};

export const V1 = () => `jar: ${jar('v1')}, entryClass: ${FLINK_ENTRY_CLASSES.fraudV1.entryClass}`;
export const V2 = () => `jar: ${jar('v2')}, entryClass: ${FLINK_ENTRY_CLASSES.fraudV2.entryClass}`;
export const V2_BUGGY = () => `jar: ${jar('v2')}, entryClass: ${FLINK_ENTRY_CLASSES.fraudV2Buggy.entryClass}`;

export interface SpecOptions {
  /** The deployment's name (default the harness's). */
  readonly name?: string;
  /** The authoritative role's keys; default fraud v1 on Flink, job id the harness's name. */
  readonly authoritative?: string;
  readonly candidate?: string;
  readonly promotion?: string;
  readonly extra?: string;
}

/** The Flink jobs a test's deployments run, by pitlane job id: cancelled (by JobID) after it. */
const flinkJobs = new WeakMap<Harness, Set<string>>();

/**
 * The canary harness, with the test's Flink runs cancelled after it — before its topics
 * are deleted, whichever order the after-hooks run in (a cancelled Flink Kafka sink
 * whose topic is gone cannot end its transaction, and its TaskManager gives up).
 */
export async function flinkHarness(t: TestContext, prefix: string): Promise<Harness> {
  const jobs = new Set<string>();
  const cancel = () => cancelRuns(flinkCluster().rest, [...jobs].map(jobPrefix));
  t.after(cancel);
  const h = await canaryHarness(t, prefix);
  t.after(cancel);
  flinkJobs.set(h, jobs);
  return h;
}

/**
 * A spec over the harness's topics with Flink jobs, and its jobs' Flink runs
 * cancelled (by JobID) and consumer groups deleted after the test.
 */
export function flinkSpec(h: Harness, o: SpecOptions = {}): string {
  const name = o.name ?? h.name;
  const file = join(h.dir, `${name}.yaml`);
  writeFileSync(
    file,
    specYaml({
      name,
      input: h.input,
      output: h.output,
      canary: h.canary,
      authoritative: `${o.authoritative ?? `engine: flink, ${V1()}`}, jobId: ${h.name}`,
      candidate: o.candidate ?? V2(),
      parallelism: 2,
      // A Flink job's exactly-once output becomes visible when its checkpoint completes: under load
      // that is seconds after the records' event time, so a 1 s grace dropped them as late.
      grace: '3s',
      promotion: o.promotion ?? '{ strategy: savepoint-handoff }',
      ...(o.extra !== undefined ? { extra: o.extra } : {}),
    }),
  );
  const jobs = [h.name, `${name}.candidate`, `${name}.promoted`];
  for (const j of [...jobs, `${h.name}.rollback`]) h.k.trackGroup(`pitlane.${name}.${j}`);
  h.k.trackGroup(`pitlane.${h.name}.${h.name}`);
  const tracked = flinkJobs.get(h);
  assert.ok(tracked, 'a Flink test makes its harness with flinkHarness');
  for (const j of jobs) tracked.add(j);
  return file;
}

/** `canary launch` of the spec's authoritative job (on its engine) at parallelism 2. */
export async function launch(h: Harness, spec: string): Promise<void> {
  const r = await h.cli(['canary', 'launch', spec, '--parallelism', '2']);
  assert.equal(r.code, 0, `launch: ${r.err}`);
}

export interface StatusView {
  deployment: Awaited<ReturnType<Harness['status']>>['deployment'];
  jobs: { jobId: string; state: string; sinkTopic: string; positions: TopicPartitionOffset[]; failure?: string; restarts?: number; lastFailure?: { at: number; reason: string } }[];
  supervisor: number | null;
}

export async function statusOf(h: Harness, name: string): Promise<StatusView> {
  const r = await h.cli(['canary', 'status', name, '--json']);
  assert.equal(r.code, 0, r.err);
  return JSON.parse(r.out) as StatusView;
}

/** Flink runs of a pitlane job name, from the CLI. */
export async function runsOf(h: Harness, jobId: string): Promise<{ flinkJobId: string; state: string }[]> {
  const r = await h.cli(['flink', 'list', '--json']);
  assert.equal(r.code, 0, r.err);
  return (JSON.parse(r.out) as { jobs: { flinkJobId: string; state: string }[] }).jobs.filter((j) => j.flinkJobId.startsWith(jobPrefix(jobId)));
}

/**
 * The failures Flink recorded for a run (its exception history): a run that was never
 * disturbed — not fenced by a fork, not restarted — has none.
 */
export async function failuresOf(jid: string): Promise<string[]> {
  const res = await fetch(`${flinkCluster().rest}/jobs/${jid}/exceptions?maxExceptions=5`);
  assert.ok(res.ok, `exceptions of ${jid}: HTTP ${res.status}`);
  const h = (await res.json()) as { exceptionHistory?: { entries: { exceptionName: string; stacktrace: string }[] } };
  return (h.exceptionHistory?.entries ?? []).map((e) => e.stacktrace.split('\n')[0]!);
}

const sum = (o: readonly TopicPartitionOffset[]) => o.reduce((n, x) => n + x.offset, 0);

/**
 * Stops the traffic and waits until `jobId` has committed its consumer offsets at
 * the end of the input: a Flink job commits them at a checkpoint, the one that
 * commits the output of that input too. Returns the input's end.
 */
export async function drained(h: Harness, name: string, jobId: string): Promise<TopicPartitionOffset[]> {
  await h.stopTraffic();
  const until = await h.highs(h.input);
  await waitFor(async () => sum((await statusOf(h, name)).jobs.find((j) => j.jobId === jobId)?.positions ?? []) >= sum(until), { timeoutMs: 120_000, intervalMs: 1000, message: `${jobId} has consumed the input` });
  return until;
}

/** Waits for the gate to pass; if it does not, the failure shows the live report's windows. */
export async function gatePasses(h: Harness, name: string): Promise<void> {
  const gate = await h.cli(['canary', 'gate', name, '--wait', '--timeout', '180s']);
  if (gate.code === 0) return;
  const report = await h.cli(['canary', 'report', name]);
  assert.fail(`gate exited ${gate.code}: ${gate.out} ${gate.err}\n${report.out}`);
}

/** Runs a read-back check until nothing is missing (the last commit may still land); a duplicate or unexpected output fails at once. */
export async function readBack(check: () => ReturnType<typeof verifyOutputs>): Promise<void> {
  let last: Awaited<ReturnType<typeof verifyOutputs>> | undefined;
  await waitFor(
    async () => {
      last = await check();
      assert.deepEqual({ duplicates: last.duplicates, unexpected: last.unexpected }, { duplicates: 0, unexpected: 0 }, last.examples.join('; '));
      return last.missing === 0;
    },
    { timeoutMs: 30_000, intervalMs: 1000, message: 'every expected output is there' },
  ).catch((e: unknown) => {
    if (e instanceof assert.AssertionError) throw e;
    throw new Error(`${String(e)}: ${last?.missing} missing, e.g. ${last?.examples.join('; ')}`);
  });
  assert.ok((last?.expected ?? 0) > 50, `enough outputs to judge (${last?.expected})`);
}
