/**
 * The keeper's record (`<state>/hosts/<job>.keeper.json`, written atomically): its
 * pid, so the adapter can stop it; and what it has done, so the adapter's status
 * can say it: the restarts, the last failure, and whether it gave up.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomicSync } from '../../../files.ts';

export interface KeeperRecord {
  readonly pid: number;
  /** `running`: a host runs; `restarting`: one died and the next starts after the delay; `failed`: given up; `ended`: the host exited by itself (a stop, the end of its input). */
  readonly state: 'starting' | 'running' | 'restarting' | 'failed' | 'ended';
  readonly restarts: number;
  /** `reason`: the exit, the job's error and the end of its log; `error`: the job's own error message alone, when it logged one. */
  readonly lastFailure?: { readonly at: number; readonly reason: string; readonly error?: string };
  /** Why the keeper gave up (state `failed`). */
  readonly gaveUp?: string;
  /** When the next restart begins (state `restarting`). */
  readonly nextAt?: number;
}

export function readKeeperRecord(file: string): KeeperRecord | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as KeeperRecord;
  } catch {
    return undefined;
  }
}

export function writeKeeperRecord(file: string, r: KeeperRecord): void {
  writeFileAtomicSync(file, JSON.stringify(r));
}
