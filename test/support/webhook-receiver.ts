/**
 * A webhook receiver on 127.0.0.1 for the tests (node:http): every request kept
 * with its path, headers and JSON body; what each path answers is set by the test
 * and can change while it runs (a confirm hook that says no, then yes).
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';

export interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Record<string, unknown>;
}

/** What a path answers to the nth request (1-based) for it: a status and a body, or 'hang' (never answers). */
export type Answer = (n: number, body: Record<string, unknown>) => { status: number; body?: string } | 'hang';

export async function webhookReceiver(t: TestContext, answers: Record<string, Answer>) {
  const received: Received[] = [];
  const hanging: ServerResponse[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString('utf8')));
    req.on('end', () => {
      const path = req.url ?? '/';
      const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
      received.push({ path, headers: req.headers, body });
      const answer = answers[path]?.(received.filter((r) => r.path === path).length, body) ?? { status: 404 };
      if (answer === 'hang') hanging.push(res);
      else res.writeHead(answer.status, { 'content-type': 'text/plain' }).end(answer.body ?? '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    answers,
    received,
    /** The events (body.event) a path received, in order, each once per delivery attempt. */
    events: (path: string) => received.filter((r) => r.path === path).map((r) => r.body.event as string),
  };
}
