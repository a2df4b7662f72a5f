/**
 * Builds the Flink versions of the demo jobs (flink/, a Maven project) with the
 * project's own `mvn -q package`, once per content: the jars are kept in the pitlane
 * cache under a hash of flink/'s sources and poms, so they are rebuilt only when
 * those change. Nothing is built by hand.
 *
 * The build runs on a copy of flink/ in the cache, never in the work tree: two test
 * files (or two work trees) building at once each have their own directory, and the
 * first finished result is the one kept.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, copyFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { DevEnvError } from '../errors.ts';
import { probeTool } from '../process/index.ts';
import { cacheRoot } from './paths.ts';

/** The Maven project of the Flink jobs. */
export const FLINK_JOBS_SOURCE = fileURLToPath(new URL('../../flink/', import.meta.url));

/** One shaded jar per job version (flink/pom.xml says why v1 and v2 cannot share one). */
export const FLINK_JOB_JARS = {
  'fraud-v1': 'fraud-v1/target/pitlane-flink-fraud-v1.jar',
  'fraud-v2': 'fraud-v2/target/pitlane-flink-fraud-v2.jar',
  // bench:engine's Flink peer, and its plain kafka-clients tools (run with `java -cp`, not on Flink).
  'keyed-count': 'keyed-count/target/pitlane-flink-keyed-count.jar',
  'kafka-pipe': 'kafka-pipe/target/pitlane-flink-kafka-pipe.jar',
  // A fraud version whose state type changed incompatibly (the preflight's tests), and the
  // preflight's own tool (run with `java -cp`, src/dev/flink-savepoint-tool.ts).
  'fraud-incompatible': 'fraud-incompatible/target/pitlane-flink-fraud-incompatible.jar',
  'savepoint-tool': 'savepoint-tool/target/pitlane-flink-savepoint-tool.jar',
} as const;
export type FlinkJobJar = keyof typeof FLINK_JOB_JARS;

/** Entry classes, and the jar each lives in. */
export const FLINK_ENTRY_CLASSES = {
  fraudV1: { jar: 'fraud-v1', entryClass: 'dev.pitlane.flink.fraud.FraudV1' },
  fraudV2: { jar: 'fraud-v2', entryClass: 'dev.pitlane.flink.fraud.FraudV2' },
  fraudV2Buggy: { jar: 'fraud-v2', entryClass: 'dev.pitlane.flink.fraud.FraudV2Buggy' },
  keyedCount: { jar: 'keyed-count', entryClass: 'dev.pitlane.flink.bench.KeyedCount' },
  fraudIncompatible: { jar: 'fraud-incompatible', entryClass: 'dev.pitlane.flink.fraud.FraudIncompatible' },
  fraudV2LongState: { jar: 'fraud-v2', entryClass: 'dev.pitlane.flink.fraud.FraudV2LongState' },
} as const satisfies Record<string, { jar: FlinkJobJar; entryClass: string }>;

export interface BuiltFlinkJobs {
  readonly jars: Record<FlinkJobJar, string>;
  /** Content hash of flink/ the jars were built from. */
  readonly hash: string;
  /** True when this call ran Maven; false when the cache had the jars. */
  readonly built: boolean;
  readonly ms: number;
}

/** The files a build reads: everything under flink/ except build output and hidden dirs (.mvn kept). */
export function flinkSourceFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) {
        if (name === 'target' || (name.startsWith('.') && name !== '.mvn')) continue;
        walk(p);
      } else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out;
}

/** SHA-256 over each source file's relative path and content, in path order (16 hex digits kept). */
export function flinkSourcesHash(dir: string): string {
  const h = createHash('sha256');
  for (const f of flinkSourceFiles(dir)) {
    h.update(f).update('\0').update(readFileSync(join(dir, f))).update('\0');
  }
  return h.digest('hex').slice(0, 16);
}

async function mavenPackage(dir: string): Promise<void> {
  if (!probeTool('mvn', ['-v'])) {
    throw new DevEnvError('DEV_MAVEN_MISSING', 'Maven was not found on PATH; it builds the Flink job jars from flink/.', {
      hint: 'Install it (Debian: `apt-get install -y maven`; scripts/setup-system.sh does).',
    });
  }
  const out: string[] = [];
  const code = await new Promise<number>((resolve) => {
    const p = spawn('mvn', ['-B', '-q', 'package'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout.on('data', (d: Buffer) => out.push(d.toString()));
    p.stderr.on('data', (d: Buffer) => out.push(d.toString()));
    p.on('error', () => resolve(-1));
    p.on('close', (c) => resolve(c ?? -1));
  });
  if (code !== 0) {
    const last = out.join('').split('\n').filter((l) => l.trim()).slice(-20).join('\n');
    throw new DevEnvError('DEV_FLINK_JOBS_BUILD_FAILED', `Building the Flink jobs (mvn -q package in a copy of flink/) failed (exit ${code}):\n${last}`, {
      hint: 'Fix the Java sources or pom under flink/ (the lines above say where); a network error is retried by running again.',
    });
  }
}

/** Keeps the `keep` most recent builds; older ones are from sources that have since changed. */
function pruneOldBuilds(root: string, current: string, keep = 3): void {
  const dirs = readdirSync(root)
    .filter((n) => /^[0-9a-f]{16}$/.test(n) && n !== current)
    .map((n) => ({ n, t: statSync(join(root, n)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const d of dirs.slice(keep - 1)) rmSync(join(root, d.n), { recursive: true, force: true });
}

const jarsIn = (dir: string) => Object.fromEntries(Object.keys(FLINK_JOB_JARS).map((k) => [k, join(dir, `pitlane-flink-${k}.jar`)])) as Record<FlinkJobJar, string>;

/** Builds under way in this process, by their cache directory: a second caller waits for the first (they would share a work directory). */
const building = new Map<string, Promise<BuiltFlinkJobs>>();

/** The job jars for the current flink/ sources: from the cache, or built now. */
export async function buildFlinkJobs(options: { cacheDir?: string; sourceDir?: string } = {}): Promise<BuiltFlinkJobs> {
  const source = options.sourceDir ?? FLINK_JOBS_SOURCE;
  const root = join(options.cacheDir ?? cacheRoot(), 'flink-jobs');
  const done = join(root, flinkSourcesHash(source));
  const inFlight = building.get(done);
  if (inFlight) return inFlight;
  const build = buildOnce(source, root).finally(() => building.delete(done));
  building.set(done, build);
  return build;
}

async function buildOnce(source: string, root: string): Promise<BuiltFlinkJobs> {
  const t0 = Date.now();
  const hash = flinkSourcesHash(source);
  const done = join(root, hash);
  const jars = jarsIn(done);
  if (Object.values(jars).every((j) => existsSync(j))) return { jars, hash, built: false, ms: Date.now() - t0 };

  const work = join(root, `build-${hash}-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  cpSync(source, work, { recursive: true, filter: (src) => !/[/\\]target$/.test(src) });
  try {
    await mavenPackage(work);
    const staging = join(root, `${hash}.partial-${process.pid}`);
    mkdirSync(staging, { recursive: true });
    for (const [name, rel] of Object.entries(FLINK_JOB_JARS)) {
      const built = join(work, rel);
      if (!existsSync(built)) throw new DevEnvError('DEV_FLINK_JOBS_BUILD_FAILED', `Maven finished but ${rel} is missing.`, { hint: 'Check the shade plugin settings in flink/pom.xml.' });
      copyFileSync(built, join(staging, `pitlane-flink-${name}.jar`));
    }
    // Another build of the same sources may have finished first: keep its jars (the same content).
    if (existsSync(done)) rmSync(staging, { recursive: true, force: true });
    else renameSync(staging, done);
    pruneOldBuilds(root, hash);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { jars, hash, built: true, ms: Date.now() - t0 };
}

/** The path of one job jar, built (or taken from the cache) for the current sources. */
export async function buildFlinkJobsJar(job: FlinkJobJar = 'fraud-v1', options: { cacheDir?: string } = {}): Promise<string> {
  return (await buildFlinkJobs(options)).jars[job];
}
