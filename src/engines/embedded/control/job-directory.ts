import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { isAlive } from '../../../process/index.ts';
import { writeFileAtomicSync } from '../../../files.ts';

/**
 * Where running jobs announce themselves: one JSON file and one Unix socket per job
 * name, so `pitlane jobs`, `pitlane savepoint trigger NAME` and `pitlane stop NAME`
 * find a job by its name. A job whose pid is gone is stale and is cleaned up.
 */
export interface JobEntry {
  readonly name: string;
  readonly version: string;
  readonly pid: number;
  readonly socket: string;
  readonly startedAt: string;
  readonly jobFile?: string;
  /** Absolute base directory for savepoints the job takes when a trigger names none. */
  readonly savepointDir?: string;
}

export function defaultJobsDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PITLANE_JOBS_DIR) return env.PITLANE_JOBS_DIR;
  return join(env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'pitlane', 'jobs');
}

const entryFile = (dir: string, name: string) => join(dir, `${encodeURIComponent(name)}.json`);
export const socketFile = (dir: string, name: string) => join(dir, `${encodeURIComponent(name)}.sock`);

export function readEntry(dir: string, name: string): JobEntry | undefined {
  const f = entryFile(dir, name);
  if (!existsSync(f)) return undefined;
  try {
    return JSON.parse(readFileSync(f, 'utf8')) as JobEntry;
  } catch {
    return undefined;
  }
}

export function writeEntry(dir: string, entry: JobEntry): void {
  mkdirSync(dir, { recursive: true });
  const f = entryFile(dir, entry.name);
  writeFileAtomicSync(f, JSON.stringify(entry, null, 2));
}

/** Removes the entry only if it still belongs to `pid` (a newer run may have replaced it). */
export function removeEntry(dir: string, name: string, pid: number): void {
  const e = readEntry(dir, name);
  if (e && e.pid !== pid) return;
  rmSync(entryFile(dir, name), { force: true });
  rmSync(socketFile(dir, name), { force: true });
}

/** Live entries; stale ones (dead pid) are removed as a side effect. */
export function listEntries(dir: string): JobEntry[] {
  if (!existsSync(dir)) return [];
  const out: JobEntry[] = [];
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.json')) continue;
    const name = decodeURIComponent(f.slice(0, -5));
    const e = readEntry(dir, name);
    if (!e) continue;
    if (isAlive(e.pid)) out.push(e);
    else removeEntry(dir, name, e.pid);
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}
