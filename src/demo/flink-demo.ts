/**
 * The Flink side of the demo (`npm run demo -- --engine flink`): the fraud jobs of
 * flink/ built into jars (once per content, src/dev/flink-jobs-build.ts) and the two
 * deployment specs — v1 → v2, and v1 → the buggy v2 — written with those jars'
 * paths. The story is the embedded demo's (deploy/fraud.yaml), told by Flink jobs:
 * v1 runs on Flink as the authoritative job, v2 is forked from a savepoint of it,
 * shadowed, gated and promoted by cold savepoint handoff (a Flink job cannot switch
 * its sink while it runs, so the warm handoff is not offered).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildFlinkJobs, FLINK_ENTRY_CLASSES } from '../dev/flink-jobs-build.ts';

/** The demo's topics and deployment names; `suffix` keeps them apart on a shared broker. */
export interface DemoNames {
  readonly input: string;
  readonly output: string;
  readonly canary: string;
  readonly canaryBuggy: string;
  /** The deployment of v2, and of the buggy v2. */
  readonly deployment: string;
  readonly deploymentBuggy: string;
  /** The pitlane job id of v1. */
  readonly v1: string;
}

export function demoNames(suffix = ''): DemoNames {
  return {
    input: `payments${suffix}`,
    output: `fraud-alerts${suffix}`,
    canary: `fraud-alerts-canary${suffix}`,
    canaryBuggy: `fraud-alerts-canary-buggy${suffix}`,
    deployment: `fraud${suffix}`,
    deploymentBuggy: `fraud-buggy${suffix}`,
    v1: `fraud${suffix}`,
  };
}

/** Parallelism of v1 and of the candidate: both run beside each other in the local cluster's 8 slots. */
export const FLINK_DEMO_PARALLELISM = { v1: 2, candidate: 4 } as const;

export interface FlinkDemoSpecs {
  readonly spec: string;
  readonly buggySpec: string;
  /** True when Maven ran; false when the jars came from the cache. */
  readonly built: boolean;
  readonly buildMs: number;
}

/** Builds (or finds) the Flink fraud jars and writes the two specs into `dir`. */
export async function prepareFlinkDemo(dir: string, n: DemoNames): Promise<FlinkDemoSpecs> {
  const b = await buildFlinkJobs();
  const job = (e: { jar: keyof typeof b.jars; entryClass: string }) => `engine: flink, jar: ${JSON.stringify(b.jars[e.jar])}, entryClass: ${e.entryClass}`;
  const spec = (name: string, candidate: string, version: string, canary: string, auto: boolean) =>
    [
      `name: ${name}`,
      `inputs: [${n.input}]`,
      `authoritative: { ${job(FLINK_ENTRY_CLASSES.fraudV1)}, version: v1, output: ${n.output}, jobId: ${n.v1} }`,
      `candidate: { ${candidate}, version: ${version}, canary: ${canary}, parallelism: ${FLINK_DEMO_PARALLELISM.candidate} }`,
      'analysis:',
      '  window: 5s',
      '  grace: 2s',
      '  minimum: { duration: 20s, windows: 3, records: 200 }',
      '  checks:',
      '    - { type: schema }',
      '    - { type: count }',
      '    - { type: key-coverage, minJaccard: 0.9 }',
      '  expected:',
      '    - { check: count, change: { min: -0.9, max: -0.6 }, reason: "threshold 100 -> 500" }',
      `promotion: { strategy: savepoint-handoff, mode: cold, auto: ${auto} }`,
      'rollback: { keepSavepoint: true }',
      '',
    ].join('\n');
  const files = { spec: join(dir, 'fraud-flink.yaml'), buggySpec: join(dir, 'fraud-flink-buggy.yaml') };
  writeFileSync(files.spec, spec(n.deployment, job(FLINK_ENTRY_CLASSES.fraudV2), 'v2', n.canary, false));
  writeFileSync(files.buggySpec, spec(n.deploymentBuggy, job(FLINK_ENTRY_CLASSES.fraudV2Buggy), 'v2-buggy', n.canaryBuggy, true));
  return { ...files, built: b.built, buildMs: b.ms };
}
