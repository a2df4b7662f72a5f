import { copyFileSync, existsSync, mkdirSync, openSync, closeSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { DevEnvError, describeUnknown } from '../errors.ts';
import { isAlive, probeTool, stopPid, tailFile } from '../process/index.ts';
import type { ServiceRecord } from './service-state.ts';
import { sleep } from '../clock.ts';

export interface BuiltRegistry {
  readonly artifact: string;
  readonly downloaded: boolean;
  readonly ms: number;
}

export interface RegistryStartOptions {
  readonly devDir: string;
  readonly port: number;
  readonly kafkaUrl: string;
  readonly artifact: string;
}

/** How the launcher builds, starts and probes the local schema registry. */
export interface RegistryService {
  ensureBuilt(cacheDir: string): Promise<BuiltRegistry>;
  start(options: RegistryStartOptions): ServiceRecord;
  waitReady(record: ServiceRecord, timeoutMs: number): Promise<void>;
  logFile(devDir: string): string;
}

/**
 * Apicurio Registry 2.4.2, packaged from Maven Central by dev/registry/pom.xml (see
 * dev/registry/NOTES.md for why this version and which workarounds the pom holds).
 * It speaks the Confluent REST API under /apis/ccompat/v7.
 */
export const REGISTRY_NAME = 'registry-apicurio-2.4.2';
const SOURCE_DIR = fileURLToPath(new URL('../../dev/registry/', import.meta.url));
const MARKER = '.built';


async function mavenPackage(dir: string): Promise<void> {
  if (!probeTool('mvn', ['-v'])) {
    throw new DevEnvError('DEV_MAVEN_MISSING', 'Maven was not found on PATH; it is needed once to build the local schema registry from Maven Central.', {
      hint: 'Install it (Debian: `apt-get install -y maven`), or point pitlane at a registry you run with SCHEMA_REGISTRY_URL.',
    });
  }
  const out: string[] = [];
  const code = await new Promise<number>((resolve) => {
    const p = spawn('mvn', ['-B', '-q', '-DskipDefault=true', 'package'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout.on('data', (d: Buffer) => out.push(d.toString()));
    p.stderr.on('data', (d: Buffer) => out.push(d.toString()));
    p.on('error', () => resolve(-1));
    p.on('close', (c) => resolve(c ?? -1));
  });
  if (code !== 0) {
    const last = out.join('').split('\n').filter((l) => l.trim()).slice(-15).join('\n');
    throw new DevEnvError('DEV_REGISTRY_BUILD_FAILED', `Building the schema registry from Maven Central failed (exit ${code}):\n${last}`, {
      retriable: true,
      hint: 'Check access to Maven Central, then run the command again.',
    });
  }
}

export function registryService(): RegistryService {
  return {
    async ensureBuilt(cacheDir) {
      const dir = join(cacheDir, REGISTRY_NAME);
      const artifact = join(dir, 'target', 'pitlane-registry-runner.jar');
      const t0 = Date.now();
      if (existsSync(join(dir, MARKER)) && existsSync(artifact)) return { artifact, downloaded: false, ms: Date.now() - t0 };
      mkdirSync(join(dir, '.mvn'), { recursive: true });
      copyFileSync(join(SOURCE_DIR, 'pom.xml'), join(dir, 'pom.xml'));
      copyFileSync(join(SOURCE_DIR, '.mvn', 'maven.config'), join(dir, '.mvn', 'maven.config'));
      rmSync(join(dir, 'target'), { recursive: true, force: true });
      await mavenPackage(dir);
      if (!existsSync(artifact)) {
        throw new DevEnvError('DEV_REGISTRY_BUILD_FAILED', `Maven finished but ${artifact} is missing.`, { hint: `Remove ${dir} and try again.` });
      }
      writeFileSync(join(dir, MARKER), new Date().toISOString());
      return { artifact, downloaded: true, ms: Date.now() - t0 };
    },

    start({ devDir, port, artifact }) {
      const dir = join(devDir, 'registry');
      mkdirSync(dir, { recursive: true });
      const logFile = join(dir, 'registry.log');
      const marker = `-Dpitlane.dev.dir=${devDir}`;
      const out = openSync(logFile, 'a');
      try {
        const child = spawn(
          'java',
          ['-Xms64m', '-Xmx256m', '-XX:+UseSerialGC', marker, '-Dquarkus.http.host=127.0.0.1', `-Dquarkus.http.port=${port}`, '-jar', artifact],
          {
            detached: true,
            stdio: ['ignore', out, out],
            // Schemas survive `dev down`/`dev up` in the dev directory, like the broker's topics.
            env: { ...process.env, REGISTRY_DATASOURCE_URL: `jdbc:h2:file:${join(dir, 'registry_db')}`, AUTH_ENABLED: 'false' },
          },
        );
        child.unref();
        if (child.pid === undefined) throw new DevEnvError('DEV_SPAWN_FAILED', 'Could not start java for the schema registry.', { hint: 'Check that `java -version` works.' });
        return {
          service: 'registry',
          pid: child.pid,
          host: '127.0.0.1',
          port,
          marker,
          logFile,
          startedAt: new Date().toISOString(),
          url: `http://127.0.0.1:${port}/apis/ccompat/v7`,
          extra: { implementation: 'Apicurio Registry 2.4.2.Final', ready: `http://127.0.0.1:${port}/health/ready` },
        };
      } finally {
        closeSync(out);
      }
    },

    async waitReady(record, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      const ready = `http://127.0.0.1:${record.port}/health/ready`;
      let last = '';
      while (Date.now() < deadline) {
        if (!isAlive(record.pid)) {
          throw new DevEnvError('DEV_REGISTRY_EXITED', `The schema registry exited during start-up. Last lines of ${record.logFile}:\n${tailFile(record.logFile, 25).join('\n')}`, {
            hint: 'Read the log above; `pitlane dev down --purge` clears its stored data.',
          });
        }
        try {
          const res = await fetch(ready);
          if (res.ok) {
            // Confluent's registry defaults to BACKWARD; Apicurio's ccompat API to NONE. Match Confluent.
            await fetch(`${record.url}/config`, {
              method: 'PUT',
              headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json' },
              body: JSON.stringify({ compatibility: 'BACKWARD' }),
            });
            return;
          }
          last = `HTTP ${res.status}`;
        } catch (e) {
          last = describeUnknown(e);
        }
        await sleep(250);
      }
      await stopPid(record.pid, 5000);
      throw new DevEnvError('DEV_REGISTRY_NOT_READY', `The schema registry was not ready within ${Math.round(timeoutMs / 1000)} s (last: ${last}); it was stopped. Last lines of ${record.logFile}:\n${tailFile(record.logFile, 25).join('\n')}`, {
        retriable: true,
      });
    },

    logFile: (devDir) => join(devDir, 'registry', 'registry.log'),
  };
}
