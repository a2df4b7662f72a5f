/**
 * Test infrastructure, in one place (issue 2, design.md §7).
 *
 * - KAFKA_BROKERS / SCHEMA_REGISTRY_URL from the environment when set: tests use them.
 * - PITLANE_TESTCONTAINERS=1: start Kafka in a container (needs a Docker-compatible runtime).
 * - otherwise: the project's own local launcher, started once per run on free ports in
 *   a temporary directory, and stopped at the end (scripts/test.mjs calls start/stop).
 *
 * Test files read the resulting addresses from the environment through `testConnection()`.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { devDown, devUp } from '../../src/dev/launcher.ts';
import { freePort, isAlive } from '../../src/process/index.ts';

export interface Infra {
  readonly brokers: string;
  readonly registry: string | undefined;
  readonly source: 'environment' | 'launcher' | 'testcontainers';
  /** Stops whatever this module started; a no-op for the environment. */
  stop(): Promise<void>;
  readonly notes: string[];
}

const TEST_DEV_PREFIX = 'pitlane-test-dev-';

/**
 * A test run killed with SIGKILL cannot stop its broker. Each run records its own pid
 * in its dev dir; the next run stops (by their recorded pids) the services of any
 * test environment whose owning run is gone, and deletes it.
 */
export async function reapLeakedTestEnvironments(): Promise<string[]> {
  const reaped: string[] = [];
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(TEST_DEV_PREFIX)) continue;
    const dir = join(tmpdir(), name);
    const ownerFile = join(dir, 'owner.pid');
    if (!existsSync(ownerFile)) {
      // Not ours to judge unless long abandoned (a run in progress may not have written it yet).
      if (Date.now() - statSync(dir).mtimeMs < 3 * 3600_000) continue;
    } else {
      const owner = Number(readFileSync(ownerFile, 'utf8'));
      if (Number.isInteger(owner) && isAlive(owner)) continue;
    }
    await devDown(dir, { purge: true });
    reaped.push(dir);
  }
  return reaped;
}

/**
 * A fresh dev dir owned by this process: its services are stopped by the next run's
 * `reapLeakedTestEnvironments` should this one be killed before it stops them.
 */
export function ownedTestDevDir(): string {
  const devDir = mkdtempSync(join(tmpdir(), TEST_DEV_PREFIX));
  writeFileSync(join(devDir, 'owner.pid'), String(process.pid));
  return devDir;
}

async function viaLauncher(): Promise<Infra> {
  const devDir = ownedTestDevDir();
  const port = await freePort();
  const controllerPort = await freePort();
  const registryPort = await freePort();
  const notes: string[] = [];
  const stop = () => devDown(devDir, { purge: true }).then(() => undefined);
  const [kafka] = await devUp({ devDir, port, controllerPort, readyTimeoutMs: 90000 }).catch(async (e: unknown) => {
    await stop();
    throw e;
  });
  notes.push(`local Kafka at ${kafka!.url} (pid ${kafka!.pid}, ready in ${kafka!.readyMs} ms${kafka!.downloaded ? `, jars resolved in ${kafka!.resolveMs} ms` : ''})`);
  let registry: string | undefined;
  if (process.env.PITLANE_TEST_REGISTRY !== '0') {
    const started = await devUp({ devDir, port, controllerPort, registry: true, registryPort, readyTimeoutMs: 180000 }).catch(async (e: unknown) => {
      await stop();
      throw e;
    });
    const reg = started.find((s) => s.service === 'registry');
    registry = reg?.url;
    notes.push(`local schema registry at ${reg?.url} (pid ${reg?.pid}, ready in ${reg?.readyMs} ms)`);
  }
  return {
    brokers: kafka!.url,
    registry,
    source: 'launcher',
    notes,
    stop,
  };
}

async function viaTestcontainers(): Promise<Infra> {
  try {
    const tc = await import('testcontainers');
    const port = await freePort();
    const container = await new tc.GenericContainer('apache/kafka:3.9.1')
      .withExposedPorts({ container: 9092, host: port })
      .withEnvironment({
        KAFKA_NODE_ID: '1',
        KAFKA_PROCESS_ROLES: 'broker,controller',
        KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
        KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${port}`,
        KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
        KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
        KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
        KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
        KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
        KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
        // As src/dev/kafka-broker.ts: tests write records stamped in 2023, which time retention deletes.
        KAFKA_LOG_RETENTION_MS: '-1',
      })
      .withWaitStrategy(tc.Wait.forLogMessage(/Kafka Server started/))
      .start();
    return {
      brokers: `127.0.0.1:${port}`,
      registry: process.env.SCHEMA_REGISTRY_URL,
      source: 'testcontainers',
      notes: [`Kafka container ${container.getId().slice(0, 12)} at 127.0.0.1:${port}`],
      stop: async () => {
        await container.stop();
      },
    };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/container runtime|docker|socket|ENOENT|ECONNREFUSED/i.test(msg)) {
      throw new Error(
        `PITLANE_TESTCONTAINERS=1 asks for Kafka in a container, but no container runtime answered (${msg}).\n` +
          '  → Start Docker (or Podman with its Docker socket), or unset PITLANE_TESTCONTAINERS to use the local launcher.',
      );
    }
    throw e;
  }
}

export async function startInfra(): Promise<Infra> {
  if (process.env.KAFKA_BROKERS) {
    return {
      brokers: process.env.KAFKA_BROKERS,
      registry: process.env.SCHEMA_REGISTRY_URL,
      source: 'environment',
      notes: [`Kafka from KAFKA_BROKERS=${process.env.KAFKA_BROKERS}`],
      stop: async () => undefined,
    };
  }
  if (process.env.PITLANE_TESTCONTAINERS === '1') return viaTestcontainers();
  const reaped = await reapLeakedTestEnvironments();
  const infra = await viaLauncher();
  if (reaped.length > 0) infra.notes.push(`stopped services left behind by killed test runs in ${reaped.join(', ')}`);
  return infra;
}
