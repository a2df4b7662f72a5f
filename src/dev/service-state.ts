import { existsSync, readFileSync, writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isOurProcess } from '../process/index.ts';

export type ServiceName = 'kafka' | 'registry' | 'flink-jobmanager' | 'flink-taskmanager';

/** What the launcher records about a process it started; `down` stops exactly this pid. */
export interface ServiceRecord {
  readonly service: ServiceName;
  readonly pid: number;
  readonly host: string;
  readonly port: number;
  /** A string that appears in the process's command line (guards against pid reuse). */
  readonly marker: string;
  readonly logFile: string;
  readonly startedAt: string;
  readonly url: string;
  readonly extra?: Record<string, unknown>;
}

export type ServiceState = 'running' | 'stopped' | 'stale';

export function recordPath(devDir: string, service: ServiceName): string {
  return join(devDir, `${service}.json`);
}

export function readRecord(devDir: string, service: ServiceName): ServiceRecord | undefined {
  const p = recordPath(devDir, service);
  if (!existsSync(p)) return undefined;
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as ServiceRecord;
  } catch {
    return undefined;
  }
}

export function writeRecord(devDir: string, record: ServiceRecord): void {
  mkdirSync(devDir, { recursive: true });
  writeFileSync(recordPath(devDir, record.service), `${JSON.stringify(record, null, 2)}\n`);
}

export function removeRecord(devDir: string, service: ServiceName): void {
  rmSync(recordPath(devDir, service), { force: true });
}

/** running: our pid is alive; stale: a record whose process is gone; stopped: no record. */
export function stateOf(record: ServiceRecord | undefined): ServiceState {
  if (!record) return 'stopped';
  return isOurProcess(record.pid, record.marker) ? 'running' : 'stale';
}

/** What `dev up` reports per service it started or found running. */
export interface ServiceStart {
  readonly service: ServiceName;
  readonly alreadyRunning: boolean;
  readonly pid: number;
  readonly url: string;
  readonly logFile: string;
  /** Time to resolve jars (0 when cached) and to become ready. */
  readonly resolveMs: number;
  readonly downloaded: boolean;
  readonly readyMs: number;
}
