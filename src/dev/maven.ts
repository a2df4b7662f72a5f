import { existsSync, mkdirSync, readdirSync, writeFileSync, readFileSync, rmSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { DevEnvError } from '../errors.ts';
import { probeTool } from '../process/index.ts';

export interface MavenArtifact {
  readonly groupId: string;
  readonly artifactId: string;
  readonly version: string;
}

export interface JarSet {
  /** Cache key, e.g. `kafka-3.9.1`. */
  readonly name: string;
  readonly artifacts: readonly MavenArtifact[];
}

export interface ResolvedJars {
  readonly dir: string;
  readonly jars: string[];
  /** True when this call had to run Maven (first use on this machine). */
  readonly downloaded: boolean;
  readonly ms: number;
}

const MARKER = '.resolved';

function pomFor(set: JarSet): string {
  const deps = set.artifacts
    .map((a) => `    <dependency><groupId>${a.groupId}</groupId><artifactId>${a.artifactId}</artifactId><version>${a.version}</version></dependency>`)
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by pitlane's dev launcher: resolves ${set.name} from Maven Central into ./libs. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.pitlane.cache</groupId>
  <artifactId>${set.name}</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
${deps}
  </dependencies>
</project>
`;
}

export function requireJava(): string {
  const v = probeTool('java', ['-version']);
  if (!v) {
    throw new DevEnvError('DEV_JAVA_MISSING', 'Java was not found on PATH; the local Kafka broker needs a Java 17+ runtime.', {
      hint: 'Install one (Debian: `apt-get install -y openjdk-17-jre-headless`) or point pitlane at an existing broker with KAFKA_BROKERS.',
    });
  }
  return v;
}

/**
 * Resolves a set of Maven artifacts (with their runtime dependencies) into a
 * per-user cache directory, once. Later calls find the marker file and return at once.
 */
export async function resolveJars(set: JarSet, cacheDir: string): Promise<ResolvedJars> {
  const dir = join(cacheDir, set.name);
  const libs = join(dir, 'libs');
  const t0 = Date.now();
  const list = () => readdirSync(libs).filter((f) => f.endsWith('.jar')).map((f) => join(libs, f));
  if (existsSync(join(dir, MARKER)) && existsSync(libs)) {
    return { dir: libs, jars: list(), downloaded: false, ms: Date.now() - t0 };
  }
  if (!probeTool('mvn', ['-v'])) {
    throw new DevEnvError('DEV_MAVEN_MISSING', `Maven was not found on PATH; it is needed once to download ${set.name} from Maven Central.`, {
      hint: 'Install it (Debian: `apt-get install -y maven`), or set KAFKA_BROKERS to use a broker you already run.',
    });
  }
  mkdirSync(dir, { recursive: true });
  const staging = join(dir, 'libs.partial');
  rmSync(staging, { recursive: true, force: true });
  writeFileSync(join(dir, 'pom.xml'), pomFor(set));
  const out: string[] = [];
  const code = await new Promise<number>((resolve) => {
    const p = spawn('mvn', ['-B', '-q', 'dependency:copy-dependencies', `-DoutputDirectory=${staging}`, '-DincludeScope=runtime'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    p.stdout.on('data', (d: Buffer) => out.push(d.toString()));
    p.stderr.on('data', (d: Buffer) => out.push(d.toString()));
    p.on('error', () => resolve(-1));
    p.on('close', (c) => resolve(c ?? -1));
  });
  if (code !== 0) {
    const last = out.join('').split('\n').filter((l) => l.trim()).slice(-15).join('\n');
    throw new DevEnvError('DEV_MAVEN_FAILED', `Maven could not resolve ${set.name} from Maven Central (exit ${code}):\n${last}`, {
      retriable: true,
      hint: 'Check network access to Maven Central (and any proxy in ~/.m2/settings.xml), then run the command again.',
    });
  }
  rmSync(libs, { recursive: true, force: true });
  renameSync(staging, libs);
  writeFileSync(join(dir, MARKER), JSON.stringify({ resolvedAt: new Date().toISOString(), artifacts: set.artifacts }, null, 2));
  return { dir: libs, jars: list(), downloaded: true, ms: Date.now() - t0 };
}

export function readMarker(cacheDir: string, name: string): unknown {
  const p = join(cacheDir, name, MARKER);
  return existsSync(p) ? JSON.parse(readFileSync(p, 'utf8')) : undefined;
}
