import { readFileSync, existsSync, openSync, closeSync, readSync, fstatSync } from 'node:fs';
import { createServer } from 'node:net';
import { spawnSync } from 'node:child_process';

/** True when a process with this pid exists (signal 0 probes without touching it). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
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
    await new Promise((r) => setTimeout(r, 100));
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return 'stopped';
  }
  for (let i = 0; i < 50 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  return 'killed';
}

/** Resolves true when nothing listens on host:port (we can bind it ourselves). */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** The kernel's range for outgoing (ephemeral) ports; Linux's default when /proc says nothing. */
export function ephemeralPortRange(): [number, number] {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (lo && hi && lo <= hi) return [lo, hi];
  } catch {
    /* not Linux */
  }
  return [32768, 60999];
}

const handedOut = new Set<number>();

/**
 * A port that is free right now and stays free of outgoing connections: it is drawn from below
 * the kernel's ephemeral range, because a port inside it can be taken by any client socket
 * between this check and the listener's bind (a broker's controller port once was). Ports
 * handed out by this process are not handed out twice.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [ephemeralLow] = ephemeralPortRange();
  const lo = 20000;
  const hi = Math.max(lo + 1000, ephemeralLow - 1);
  for (let i = 0; i < 200; i++) {
    const port = lo + Math.floor(Math.random() * (hi - lo));
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    if (await isPortFree(port, host)) return port;
  }
  return kernelFreePort(host);
}

/** A port the kernel picks as free right now (inside the ephemeral range). */
export function kernelFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen({ port: 0, host, exclusive: true }, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** The last `lines` lines of a file (reads at most the last 256 KiB). */
export function tailFile(path: string, lines: number): string[] {
  if (!existsSync(path)) return [];
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const len = Math.min(size, 256 * 1024);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    const all = buf.toString('utf8').split('\n');
    if (all[all.length - 1] === '') all.pop();
    return all.slice(-lines);
  } finally {
    closeSync(fd);
  }
}

/** Runs a tool with `--version`-like args; undefined when it is not on PATH. */
export function probeTool(cmd: string, args: string[]): string | undefined {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20000 });
  if (r.error || r.status !== 0) return undefined;
  return `${r.stdout}${r.stderr}`.trim().split('\n')[0];
}
