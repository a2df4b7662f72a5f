import { request } from 'node:http';
import { PitlaneError, describeUnknown } from '../../../errors.ts';
import { listEntries, readEntry, removeEntry } from './job-directory.ts';
import { isAlive } from '../../../dev/processes.ts';

/**
 * Calls a command on a running job by name through its control socket.
 * Errors raised inside the job come back as PitlaneErrors with their code and hint.
 */
export async function callJob(dir: string, name: string, command: string, body: Record<string, unknown> = {}, timeoutMs = 120000): Promise<unknown> {
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
  const answer = JSON.parse(text) as { ok: boolean; result?: unknown; error?: { code: string; message: string; hint?: string; retriable?: boolean } };
  if (answer.ok) return answer.result;
  const err = answer.error ?? { code: 'INTERNAL', message: 'unknown error' };
  throw new PitlaneError(err.code, err.message, { ...(err.hint ? { hint: err.hint } : {}), retriable: err.retriable ?? false });
}
