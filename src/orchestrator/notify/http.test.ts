/** postJson against a real HTTP server on 127.0.0.1: answers, a receiver that never answers, a refused connection, headers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeOutcome, expandHeaders, isPermanent, isSuccess, postJson } from './http.ts';

async function serve(t: { after: (fn: () => Promise<void>) => void }, handle: (req: IncomingMessage, body: string, res: ServerResponse) => void): Promise<string> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => handle(req, body, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test('a 2xx is a success; the JSON body and the headers arrive as sent', async (t) => {
  let seen: { body: unknown; headers: IncomingMessage['headers'] } | undefined;
  const url = await serve(t, (req, body, res) => {
    seen = { body: JSON.parse(body), headers: req.headers };
    res.writeHead(202).end('queued');
  });
  const o = await postJson({ url: `${url}/hook`, body: { id: 'x@1.passed' }, headers: { 'x-team': 'payments' }, timeoutMs: 2000 });
  assert.deepEqual(o, { answered: true, status: 202, excerpt: 'queued' });
  assert.ok(isSuccess(o));
  assert.deepEqual(seen?.body, { id: 'x@1.passed' });
  assert.equal(seen?.headers['content-type'], 'application/json');
  assert.equal(seen?.headers['x-team'], 'payments');
});

test('a 500 is answered, not a success, not permanent; its body is cut to an excerpt', async (t) => {
  const url = await serve(t, (_req, _body, res) => res.writeHead(500).end(`oops ${'x'.repeat(1000)}`));
  const o = await postJson({ url, body: {}, timeoutMs: 2000 });
  assert.equal(o.answered && o.status, 500);
  assert.equal(o.answered && o.excerpt.length, 200);
  assert.ok(!isSuccess(o) && !isPermanent(o));
  assert.match(describeOutcome(o), /^answered 500 \("oops x+"\)$/);
});

test('a receiver that never answers ends at the timeout; a refused connection says so', async (t) => {
  const url = await serve(t, () => undefined);
  const o = await postJson({ url, body: {}, timeoutMs: 150 });
  assert.deepEqual(o, { answered: false, error: 'did not answer within 150ms (timeout)' });
  const closed = await serve(t, (_req, _b, res) => res.end());
  const port = new URL(closed).port;
  // A port nothing listens on: take one and close it.
  const free = await new Promise<number>((r) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => r(p));
    });
  });
  assert.notEqual(String(free), port);
  const refused = await postJson({ url: `http://127.0.0.1:${free}/`, body: {}, timeoutMs: 2000 });
  assert.equal(refused.answered, false);
  assert.match(describeOutcome(refused), /ECONNREFUSED/);
});

test('${env:NAME} in a header is read from the environment; a missing one is an outcome that names it', async (t) => {
  assert.deepEqual(expandHeaders({ Authorization: 'Bearer ${env:HOOK_TOKEN}' }, { HOOK_TOKEN: 't0k' }), { headers: { Authorization: 'Bearer t0k' } });
  assert.deepEqual(expandHeaders({ Authorization: 'Bearer ${env:HOOK_TOKEN}' }, {}), { missing: 'header Authorization names the environment variable HOOK_TOKEN, which is not set in this process' });
  let calls = 0;
  const url = await serve(t, (_req, _b, res) => {
    calls++;
    res.end();
  });
  const o = await postJson({ url, body: {}, headers: { 'x-token': '${env:PITLANE_TEST_SURELY_UNSET}' }, timeoutMs: 1000 });
  assert.equal(o.answered, false);
  assert.match(describeOutcome(o), /PITLANE_TEST_SURELY_UNSET/);
  assert.equal(calls, 0, 'nothing is sent without the header');
});
