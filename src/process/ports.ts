/** Free TCP ports on this machine, for the local launcher, tests and benchmarks. */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

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
