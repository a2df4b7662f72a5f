import { request } from 'node:http';
import { PitlaneError, describeUnknown, errorFromJSON, type SerializedError } from '../../../errors.ts';
import { listEntries, readEntry, removeEntry } from './job-directory.ts';
import { isAlive } from '../../../process/index.ts';
import type { AnswerOf, Command, CommandOf, Empty, HostKind, RequestOf } from './protocol.ts';

/** A command's request (optional when it has no fields), then an answer timeout in ms. */
export type CallArgs<C extends Command> = RequestOf<C> extends Empty ? [request?: RequestOf<C>, timeoutMs?: number] : [request: RequestOf<C>, timeoutMs?: number];

/**
 * Calls a command on a running job by name through its control socket; the answer
 * is what any kind of job host may give (protocol.ts).
 * Errors raised inside the job come back as PitlaneErrors with their code and hint.
 */
export function callJob<C extends Command>(dir: string, name: string, command: C, ...args: CallArgs<C>): Promise<AnswerOf<C>> {
  return send(dir, name, command, args[0] ?? {}, args[1]) as Promise<AnswerOf<C>>;
}

/**
 * `callJob` for jobs known to run in hosts of kind `K` (the embedded adapter's jobs
 * directory holds only managed hosts): answers typed as that kind gives them.
 */
export function hostsOf<K extends HostKind>(dir: string): <C extends CommandOf<K>>(name: string, command: C, ...args: CallArgs<C>) => Promise<AnswerOf<C, K>> {
  return (name, command, ...args) => send(dir, name, command, args[0] ?? {}, args[1]) as Promise<AnswerOf<typeof command, K>>;
}

async function send(dir: string, name: string, command: string, body: unknown, timeoutMs = 120000): Promise<unknown> {
  const entry = readEntry(dir, name);
  if (!entry || !isAlive(entry.pid)) {
    if (entry) removeEntry(dir, name, entry.pid);
    const running = listEntries(dir).map((e) => e.name);
    throw new PitlaneError('JOB_NOT_RUNNING', `No job named "${name}" is running${running.length ? `; running: ${running.join(', ')}` : ''}.`, {
      hint: 'Start it with `pitlane run JOB.ts`; `pitlane jobs` lists the running ones.',
    });
  }
  const payload = JSON.stringify(body);
  const text = await new Promise<string>((resolve, reject) => {
    const req = request(
      { socketPath: entry.socket, path: `/${command}`, method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) }, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => reject(e));
    req.end(payload);
  }).catch((e: unknown) => {
    throw new PitlaneError('JOB_UNREACHABLE', `Job "${name}" (pid ${entry.pid}) did not answer on ${entry.socket}: ${describeUnknown(e)}`, {
      retriable: true,
      hint: 'The job may be busy or stopping; try again, or check its output.',
    });
  });
  const answer = JSON.parse(text) as { ok: boolean; result?: unknown; error?: SerializedError };
  if (answer.ok) return answer.result;
  // Rebuilt as the same PitlaneError class the job threw, with its code and hint.
  throw errorFromJSON(answer.error);
}
