/**
 * What bench:engine started, stopped by pid when the run is interrupted (SIGINT,
 * SIGTERM): the Java tools, the Flink cluster and the broker. Both live in dev dirs
 * named `pitlane-test-dev-*` whose owner.pid is this process (the test infrastructure's
 * convention), so a run killed outright (SIGKILL) is cleaned up by the next run's reaper
 * (test/support/infra.ts reapLeakedTestEnvironments).
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { devDown } from '../src/dev/launcher.ts';
import { readRecord, stateOf, type ServiceName } from '../src/dev/service-state.ts';
import { stopJavaTools } from './engine-java.ts';

const SERVICES: readonly ServiceName[] = ['flink-taskmanager', 'flink-jobmanager', 'registry', 'kafka'];

const PREFIX = 'pitlane-test-dev-';

/** A dev dir owned by this run (reaped by the next run if this one is killed). */
export function ownedDevDir(): string {
  const dir = mkdtempSync(join(tmpdir(), PREFIX));
  writeFileSync(join(dir, 'owner.pid'), String(process.pid));
  return dir;
}

function ownedDevDirs(): string[] {
  return readdirSync(tmpdir())
    .filter((n) => n.startsWith(PREFIX))
    .map((n) => join(tmpdir(), n))
    .filter((d) => {
      const f = join(d, 'owner.pid');
      return existsSync(f) && readFileSync(f, 'utf8').trim() === String(process.pid);
    });
}

/**
 * On SIGINT or SIGTERM: SIGTERM at once (synchronously, before anything else runs) to the
 * Java tools and to every recorded service of this run's dev dirs whose pid still carries
 * its marker; then wait for them (devDown escalates to SIGKILL), purge, and exit.
 */
export function stopEverythingOnSignal(): void {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      console.error(`\n${sig}: stopping what this run started…`);
      const dirs = ownedDevDirs();
      for (const dir of dirs) {
        for (const service of SERVICES) {
          const r = readRecord(dir, service);
          if (r && stateOf(r) === 'running') process.kill(r.pid, 'SIGTERM');
        }
      }
      stopJavaTools();
      void (async () => {
        for (const dir of dirs) await devDown(dir, { purge: true }).catch((e: unknown) => console.error(`could not stop ${dir}: ${String(e)}`));
        process.exit(sig === 'SIGINT' ? 130 : 143);
      })();
    });
  }
}
