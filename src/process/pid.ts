/**
 * Processes by pid: liveness, identity (is it still the one we started?) and a
 * stop that escalates. Used by the launcher, the job hosts' supervisors and tests.
 */
import { readFileSync } from 'node:fs';
import { sleep } from '../clock.ts';

/**
 * True when a process with this pid runs (signal 0 probes without touching it). A
 * zombie — exited, not yet reaped by its parent — answers signal 0 but runs nothing:
 * it counts as dead (its state in /proc is Z or X). Where a parent never reaps (a
 * container whose PID 1 does not), it would otherwise look alive forever.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !isZombie(pid);
}

/** True when /proc says the pid has exited and waits to be reaped (no /proc: false). */
export function isZombie(pid: number): boolean {
  const state = procStat(pid)?.state;
  return state === 'Z' || state === 'X';
}

/** A pid's state letter and parent pid from /proc/PID/stat; undefined where there is none. */
export function procStat(pid: number): { readonly state: string; readonly ppid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) S ppid …": the command may hold spaces and parentheses, the state follows the last ")".
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return state === undefined ? undefined : { state, ppid: Number(ppid) };
  } catch {
    return undefined;
  }
}

/** The command line of a pid, from /proc (empty where /proc is missing). */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\u0000').join(' ');
  } catch {
    return '';
  }
}

/**
 * True when `pid` is alive and still the process we started: its command line
 * contains `marker`. Guards against signalling a stranger that reused the pid.
 */
export function isOurProcess(pid: number, marker: string): boolean {
  if (!isAlive(pid)) return false;
  const cmd = commandLine(pid);
  return cmd === '' || cmd.includes(marker);
}

/** SIGTERM, wait up to `graceMs`, then SIGKILL. Resolves when the pid is gone. */
export async function stopPid(pid: number, graceMs = 20000): Promise<'stopped' | 'killed' | 'not-running'> {
  if (!isAlive(pid)) return 'not-running';
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return 'not-running';
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return 'stopped';
    await sleep(100);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return 'stopped';
  }
  for (let i = 0; i < 50 && isAlive(pid); i++) await sleep(100);
  return 'killed';
}
