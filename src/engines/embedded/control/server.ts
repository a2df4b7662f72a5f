import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { PitlaneError, serializeError } from '../../../errors.ts';
import { isAlive } from '../../../process/index.ts';
import { readEntry, removeEntry, socketFile, writeEntry } from './job-directory.ts';
import type { ServedHandlers } from './protocol.ts';

/** A handler as the transport sees it: the request is the JSON body, trusted to match the command's request type. */
type WireHandler = (request: never) => Promise<unknown>;

export interface ControlServerOptions {
  readonly dir: string;
  readonly name: string;
  readonly version: string;
  readonly jobFile?: string;
  /** Where the job writes savepoints when a trigger names no directory (absolute), announced in its entry. */
  readonly savepointDir?: string;
  /** Command → handler (protocol.ts), in the order an unknown command's answer lists them. */
  readonly handlers: ServedHandlers;
}

export interface ControlServer {
  readonly socket: string;
  close(): Promise<void>;
}

/**
 * Refuses a name a live job already has. `pitlane run` asks before it touches Kafka:
 * the name is also its transactional id, and opening that would fence the running job.
 */
export function assertNameFree(dir: string, name: string): void {
  const existing = readEntry(dir, name);
  if (existing && isAlive(existing.pid)) {
    throw new PitlaneError('JOB_ALREADY_RUNNING', `A job named "${name}" is already running (pid ${existing.pid}).`, {
      hint: `Stop it first (\`pitlane stop ${name} --savepoint-dir DIR\`), or run this one under another name (--name).`,
    });
  }
}

/**
 * The local control channel of one running job: HTTP over a Unix socket in the jobs
 * directory (only local users with access to that directory can reach it; nothing
 * listens on the network). POST /<command> with a JSON body calls the handler; the
 * answer is `{ ok: true, result }` or `{ ok: false, error }` with the error's code and hint.
 * The commands and their types are protocol.ts; this is only the transport.
 */
export async function startControlServer(options: ControlServerOptions): Promise<ControlServer> {
  assertNameFree(options.dir, options.name);
  mkdirSync(options.dir, { recursive: true });
  const socket = socketFile(options.dir, options.name);
  if (existsSync(socket)) rmSync(socket, { force: true });

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const command = (req.url ?? '/').replace(/^\/+/, '').split('?')[0] ?? '';
      const handler = (options.handlers as Readonly<Record<string, WireHandler | undefined>>)[command];
      const reply = (status: number, payload: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      if (!handler) {
        reply(404, { ok: false, error: { code: 'CONTROL_UNKNOWN_COMMAND', message: `Unknown command "${command}"; this job knows: ${Object.keys(options.handlers).join(', ')}.` } });
        return;
      }
      let body: unknown = {};
      try {
        body = chunks.length > 0 ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown) : {};
      } catch {
        reply(400, { ok: false, error: { code: 'CONTROL_BAD_REQUEST', message: 'The request body is not JSON.' } });
        return;
      }
      handler(body as never).then(
        (result) => reply(200, { ok: true, result }),
        (e: unknown) =>
          reply(200, {
            ok: false,
            error: serializeError(e),
          }),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, () => resolve());
  });
  writeEntry(options.dir, {
    name: options.name,
    version: options.version,
    pid: process.pid,
    socket,
    startedAt: new Date().toISOString(),
    ...(options.jobFile ? { jobFile: options.jobFile } : {}),
    ...(options.savepointDir ? { savepointDir: options.savepointDir } : {}),
  });
  let closed = false;
  return {
    socket,
    async close() {
      if (closed) return;
      closed = true;
      removeEntry(options.dir, options.name, process.pid);
      // close() alone waits for idle keep-alive connections of long-lived clients.
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await done;
    },
  };
}
