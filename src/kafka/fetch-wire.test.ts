import { test, type TestContext } from 'node:test';
import { Worker } from 'node:worker_threads';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { BrokerConnection, decodeFetch, encodeFetch, type FetchRequest } from './fetch-wire.ts';

const REQUEST: FetchRequest = { maxWaitMs: 100, minBytes: 1, maxBytes: 1000, readCommitted: true, topics: new Map([['orders', [{ partition: 2, offset: 2 ** 40 + 5, maxBytes: 500 }]]]) };

/** A Fetch v4 response body (after the correlation id) for one topic: [partition, error, high, lso, aborted, records]. */
function response(topic: string, parts: [number, number, number, number, [number, number][] | null, Buffer | null][]): Buffer {
  const out: Buffer[] = [];
  const i32 = (v: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    out.push(b);
  };
  const i16 = (v: number) => {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    out.push(b);
  };
  const i64 = (v: number) => {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(BigInt(v));
    out.push(b);
  };
  i32(0); // throttle
  i32(1);
  i16(Buffer.byteLength(topic));
  out.push(Buffer.from(topic));
  i32(parts.length);
  for (const [partition, error, high, lso, aborted, records] of parts) {
    i32(partition);
    i16(error);
    i64(high);
    i64(lso);
    if (aborted === null) i32(-1);
    else {
      i32(aborted.length);
      for (const [pid, first] of aborted) {
        i64(pid);
        i64(first);
      }
    }
    if (records === null) i32(-1);
    else {
      i32(records.length);
      out.push(records);
    }
  }
  return Buffer.concat(out);
}

test('fetch wire: the request frame carries the header v1 and the fetch v4 body', () => {
  const b = encodeFetch(42, 'pitlane', REQUEST);
  assert.equal(b.readInt32BE(0), b.length - 4);
  assert.deepEqual([b.readInt16BE(4), b.readInt16BE(6), b.readInt32BE(8), b.readInt16BE(12), b.toString('utf8', 14, 21)], [1, 4, 42, 7, 'pitlane']);
  let at = 21;
  assert.deepEqual([b.readInt32BE(at), b.readInt32BE(at + 4), b.readInt32BE(at + 8), b.readInt32BE(at + 12), b.readInt8(at + 16)], [-1, 100, 1, 1000, 1]);
  at += 17;
  assert.equal(b.readInt32BE(at), 1);
  assert.equal(b.toString('utf8', at + 6, at + 12), 'orders');
  at += 12;
  assert.deepEqual([b.readInt32BE(at), b.readInt32BE(at + 4), Number(b.readBigInt64BE(at + 8)), b.readInt32BE(at + 16)], [1, 2, 2 ** 40 + 5, 500]);
  assert.equal(at + 20, b.length);
});

test('fetch wire: a response decodes per partition; aborted transactions come sorted; records are views; null lists and records are empty', () => {
  const body = response('orders', [
    [0, 0, 100, 90, [[7, 50], [3, 10]], Buffer.from('abc')],
    [1, 6, -1, -1, null, null],
  ]);
  const [p0, p1] = decodeFetch(body);
  assert.deepEqual({ ...p0!, records: p0!.records.toString() }, { topic: 'orders', partition: 0, errorCode: 0, highWatermark: 100, lastStableOffset: 90, aborted: [{ producerId: 3, firstOffset: 10 }, { producerId: 7, firstOffset: 50 }], records: 'abc' });
  assert.equal(p0!.records.buffer, body.buffer, 'no copy of the records');
  assert.deepEqual([p1!.errorCode, p1!.aborted, p1!.records.length], [6, [], 0]);
});

async function serve(onRequest: (socket: Socket, frame: Buffer) => void): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => {
    let pending = Buffer.alloc(0);
    socket.on('data', (d) => {
      pending = Buffer.concat([pending, d]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const frame = pending.subarray(4, 4 + pending.readInt32BE(0));
        pending = pending.subarray(4 + frame.length);
        onRequest(socket, frame);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port };
}

const OPTIONS = { clientId: 'test', connectionTimeoutMs: 1000, requestTimeoutMs: 1000 };

test('fetch wire: responses arrive framed over split writes, matched to their requests in order', async (t) => {
  let chain = Promise.resolve();
  const later = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const { server, port } = await serve((socket, frame) => {
    const id = frame.readInt32BE(4);
    const body = response('orders', [[2, 0, id, id, [], Buffer.from(`r${id}`)]]);
    const out = Buffer.alloc(8 + body.length);
    out.writeInt32BE(4 + body.length, 0);
    out.writeInt32BE(id, 4);
    body.copy(out, 8);
    // Three pieces, the first shorter than the size field; one response after the other.
    chain = chain.then(async () => {
      socket.write(out.subarray(0, 2));
      await later(5);
      socket.write(out.subarray(2, 11));
      await later(5);
      socket.write(out.subarray(11));
      await later(5);
    });
  });
  t.after(() => server.close());
  const c = new BrokerConnection('127.0.0.1', port, OPTIONS);
  t.after(() => c.close());
  const [a, b] = await Promise.all([c.fetch(REQUEST), c.fetch(REQUEST)]);
  assert.deepEqual([a![0]!.records.toString(), b![0]!.records.toString()], ['r1', 'r2']);
});

test('fetch wire: a broker that hangs up, or a connection closed before it connects, fails the fetch instead of hanging', async (t) => {
  const { server, port } = await serve((socket) => socket.destroy());
  t.after(() => server.close());
  const c = new BrokerConnection('127.0.0.1', port, OPTIONS);
  await assert.rejects(c.fetch(REQUEST), /Closed connection/);
  const early = new BrokerConnection('127.0.0.1', port, OPTIONS);
  early.close();
  await assert.rejects(early.fetch(REQUEST), /connection closed/);
});

/** A broker in another thread that answers every request frame at once with `pong`: it answers while this thread's event loop is blocked. */
async function serveInWorker(t: TestContext): Promise<number> {
  const worker = new Worker(
    `const { createServer } = require('node:net');
     const { parentPort } = require('node:worker_threads');
     const server = createServer((socket) => {
       let buf = Buffer.alloc(0);
       socket.on('data', (d) => {
         buf = Buffer.concat([buf, d]);
         while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
           const id = buf.readInt32BE(8);
           buf = buf.subarray(4 + buf.readInt32BE(0));
           const out = Buffer.alloc(12);
           out.writeInt32BE(8, 0);
           out.writeInt32BE(id, 4);
           out.write('pong', 8);
           socket.write(out);
         }
       });
     });
     server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));`,
    { eval: true },
  );
  t.after(() => worker.terminate());
  return new Promise((resolve) => worker.once('message', resolve));
}

const frame = (id: number, clientId: string): Buffer => {
  const b = Buffer.alloc(14 + clientId.length);
  b.writeInt32BE(b.length - 4, 0);
  b.writeInt16BE(18, 4); // any api key: the worker answers everything
  b.writeInt32BE(id, 8);
  b.writeInt16BE(clientId.length, 12);
  b.write(clientId, 14);
  return b;
};

test('broker connection: a response that arrived while the event loop was blocked past the timeout is read, not a timeout', async (t) => {
  const port = await serveInWorker(t);
  const c = new BrokerConnection('127.0.0.1', port, { ...OPTIONS, requestTimeoutMs: 50 });
  t.after(() => c.close());
  await c.ready;
  const answer = c.request('Probe', frame, 50);
  await new Promise((r) => setImmediate(r)); // the request is on the wire
  // A job's code holds the event loop for six timeouts; the answer comes meanwhile.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
  assert.equal((await answer).toString(), 'pong');
  // And the connection goes on serving.
  assert.equal((await c.request('Probe', frame, 50)).toString(), 'pong');
});

test('broker connection: a broker that never answers times the request out', async (t) => {
  const { server, port } = await serve(() => undefined);
  t.after(() => server.close());
  const c = new BrokerConnection('127.0.0.1', port, OPTIONS);
  t.after(() => c.close());
  await assert.rejects(c.request('Probe', frame, 50), /Probe to 127\.0\.0\.1:\d+ timed out after 50 ms/);
});
