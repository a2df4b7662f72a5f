import { connect, type Socket } from 'node:net';

/**
 * The Kafka wire protocol for one request: Fetch, version 4 (the first with an
 * isolation level and aborted transactions; record batches of format v2), over a
 * plaintext connection to one broker. kafkajs speaks the rest of the protocol for
 * pitlane; this exists because kafkajs' consumer turns every record into objects
 * (key and value Buffers, a headers object, offset and timestamp strings), which
 * costs more than a comparison of the record does. Here a fetch response stays one
 * Buffer and its record batches are handed on as bytes (record-batches.ts).
 */

const FETCH = 1;
const FETCH_VERSION = 4;

export interface FetchPartition {
  readonly partition: number;
  readonly offset: number;
  readonly maxBytes: number;
}

export interface FetchRequest {
  readonly maxWaitMs: number;
  readonly minBytes: number;
  readonly maxBytes: number;
  readonly readCommitted: boolean;
  readonly topics: ReadonlyMap<string, readonly FetchPartition[]>;
}

export interface AbortedTransaction {
  readonly producerId: number;
  readonly firstOffset: number;
}

export interface FetchedPartition {
  readonly topic: string;
  readonly partition: number;
  /** Kafka's error code for the partition; 0 is none. */
  readonly errorCode: number;
  readonly highWatermark: number;
  readonly lastStableOffset: number;
  /** Sorted by first offset (read_committed only). */
  readonly aborted: readonly AbortedTransaction[];
  /** The partition's record batches, as the broker sent them (the last may be cut short). */
  readonly records: Buffer;
}

/** Kafka error codes the reader tells apart. */
export const KafkaCode = {
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  LEADER_NOT_AVAILABLE: 5,
  NOT_LEADER_OR_FOLLOWER: 6,
  REQUEST_TIMED_OUT: 7,
  REPLICA_NOT_AVAILABLE: 9,
  NETWORK_EXCEPTION: 13,
  NOT_ENOUGH_REPLICAS: 19,
  TOPIC_AUTHORIZATION_FAILED: 29,
  KAFKA_STORAGE_ERROR: 56,
  FENCED_LEADER_EPOCH: 74,
  UNKNOWN_LEADER_EPOCH: 75,
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: 20,
  COORDINATOR_LOAD_IN_PROGRESS: 14,
  DUPLICATE_SEQUENCE_NUMBER: 46,
} as const;

/** Codes after which the same fetch, sent again once the leaders are known again, can succeed. */
export const RETRIABLE_CODES: ReadonlySet<number> = new Set([
  KafkaCode.UNKNOWN_TOPIC_OR_PARTITION,
  KafkaCode.LEADER_NOT_AVAILABLE,
  KafkaCode.NOT_LEADER_OR_FOLLOWER,
  KafkaCode.REQUEST_TIMED_OUT,
  KafkaCode.REPLICA_NOT_AVAILABLE,
  KafkaCode.NETWORK_EXCEPTION,
  KafkaCode.NOT_ENOUGH_REPLICAS,
  KafkaCode.KAFKA_STORAGE_ERROR,
  KafkaCode.FENCED_LEADER_EPOCH,
  KafkaCode.UNKNOWN_LEADER_EPOCH,
]);

/** A request frame: size, then the request header v1 (api key, version, correlation id, client id), then the body. */
export function encodeFetch(correlationId: number, clientId: string, r: FetchRequest): Buffer {
  const client = Buffer.from(clientId, 'utf8');
  const names = [...r.topics.keys()].map((t) => Buffer.from(t, 'utf8'));
  let size = 4 + 2 + 2 + 4 + 2 + client.length + 4 * 4 + 1 + 4;
  let t = 0;
  for (const parts of r.topics.values()) size += 2 + names[t++]!.length + 4 + parts.length * 16;
  const b = Buffer.allocUnsafe(size);
  let at = b.writeInt32BE(size - 4, 0);
  at = b.writeInt16BE(FETCH, at);
  at = b.writeInt16BE(FETCH_VERSION, at);
  at = b.writeInt32BE(correlationId, at);
  at = b.writeInt16BE(client.length, at);
  at += client.copy(b, at);
  at = b.writeInt32BE(-1, at); // replica id: a consumer
  at = b.writeInt32BE(r.maxWaitMs, at);
  at = b.writeInt32BE(r.minBytes, at);
  at = b.writeInt32BE(r.maxBytes, at);
  at = b.writeInt8(r.readCommitted ? 1 : 0, at);
  at = b.writeInt32BE(r.topics.size, at);
  t = 0;
  for (const parts of r.topics.values()) {
    const name = names[t++]!;
    at = b.writeInt16BE(name.length, at);
    at += name.copy(b, at);
    at = b.writeInt32BE(parts.length, at);
    for (const p of parts) {
      at = b.writeInt32BE(p.partition, at);
      at = b.writeBigInt64BE(BigInt(p.offset), at);
      at = b.writeInt32BE(p.maxBytes, at);
    }
  }
  return b;
}

/** Decodes a Fetch v4 response body (after the size and correlation id). Record bytes are views of `b`. */
export function decodeFetch(b: Buffer): FetchedPartition[] {
  let at = 4; // throttle time
  const int16 = () => {
    const v = b.readInt16BE(at);
    at += 2;
    return v;
  };
  const int32 = () => {
    const v = b.readInt32BE(at);
    at += 4;
    return v;
  };
  const int64 = () => {
    const v = Number(b.readBigInt64BE(at));
    at += 8;
    return v;
  };
  const out: FetchedPartition[] = [];
  for (let topics = int32(); topics > 0; topics--) {
    const len = int16();
    const topic = b.toString('utf8', at, at + len);
    at += len;
    for (let parts = int32(); parts > 0; parts--) {
      const partition = int32();
      const errorCode = int16();
      const highWatermark = int64();
      const lastStableOffset = int64();
      const aborted: AbortedTransaction[] = [];
      for (let n = int32(); n > 0; n--) aborted.push({ producerId: int64(), firstOffset: int64() });
      const size = int32();
      const records = size > 0 ? b.subarray(at, at + size) : b.subarray(at, at);
      at += Math.max(0, size);
      out.push({ topic, partition, errorCode, highWatermark, lastStableOffset, aborted: aborted.sort((x, y) => x.firstOffset - y.firstOffset), records });
    }
  }
  return out;
}

interface Waiting {
  readonly id: number;
  readonly name: string;
  readonly sentAt: number;
  readonly timeoutMs: number;
  readonly resolve: (b: Buffer) => void;
  readonly reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * Runs `fn` once the event loop has read its sockets: a timer that fires after the
 * loop was busy (a job's code blocking it for seconds) runs before the poll phase
 * that reads what arrived meanwhile; an immediate set from it runs after that phase.
 */
function afterPoll(fn: () => void): void {
  setImmediate(fn);
}

/**
 * A plaintext connection to one broker: requests go out in order and their responses come back in order.
 *
 * A request times out once the connection received nothing for its timeout since it
 * was sent, judged after the sockets were read: a response that arrived while the
 * event loop was busy is read, not taken for a timeout, and a connection still
 * receiving (a large response, the answers to earlier requests) is not given up on.
 */
export class BrokerConnection {
  private readonly socket: Socket;
  private readonly waiting: Waiting[] = [];
  private chunks: Buffer[] = [];
  private buffered = 0;
  private nextId = 1;
  /** When bytes last came in (Date.now()). */
  private receivedAt = 0;
  private failure: Error | undefined;
  /** Settles once connected, or with the first failure (a refused or timed-out connect, a close). */
  readonly ready: Promise<void>;
  private unready: (e: Error) => void = () => undefined;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly o: { clientId: string; connectionTimeoutMs: number; requestTimeoutMs: number },
  ) {
    this.socket = connect({ host, port, noDelay: true });
    let connected: () => void = () => undefined;
    this.ready = new Promise<void>((resolve, reject) => {
      connected = resolve;
      this.unready = reject;
    });
    this.ready.catch(() => undefined);
    let isConnected = false;
    // Judged after the sockets were read: a connect that succeeded while the event loop was busy counts.
    const timer = setTimeout(
      () =>
        afterPoll(() => {
          if (!isConnected) this.fail(new Error(`Connection error: connect ETIMEDOUT ${host}:${port} (after ${o.connectionTimeoutMs} ms)`));
        }),
      o.connectionTimeoutMs,
    );
    this.socket.once('connect', () => {
      isConnected = true;
      clearTimeout(timer);
      connected();
    });
    this.socket.on('data', (d: Buffer) => this.received(d));
    this.socket.on('error', (e) => this.fail(new Error(`Connection error: ${e.message}`, { cause: e })));
    this.socket.on('close', () => {
      clearTimeout(timer);
      this.fail(new Error(`Closed connection to ${host}:${port}`));
    });
  }

  /** Sends a fetch and resolves with its response body. */
  async fetch(r: FetchRequest): Promise<FetchedPartition[]> {
    return decodeFetch(await this.request('Fetch', (id, clientId) => encodeFetch(id, clientId, r), r.maxWaitMs + this.o.requestTimeoutMs));
  }

  /** Sends one request frame (built with its correlation id) and resolves with its response body. */
  async request(name: string, encode: (correlationId: number, clientId: string) => Buffer, timeoutMs = this.o.requestTimeoutMs): Promise<Buffer> {
    await this.ready;
    if (this.failure) throw this.failure;
    const id = this.nextId++;
    return new Promise<Buffer>((resolve, reject) => {
      const w: Waiting = { id, name, sentAt: Date.now(), timeoutMs, resolve, reject, timer: undefined };
      this.arm(w, timeoutMs);
      this.waiting.push(w);
      this.socket.write(encode(id, this.o.clientId));
    });
  }

  private arm(w: Waiting, ms: number): void {
    w.timer = setTimeout(() => afterPoll(() => this.expire(w)), ms);
  }

  /** A request's timer fired; the sockets have been read since. */
  private expire(w: Waiting): void {
    if (this.failure || !this.waiting.includes(w)) return;
    const quietMs = Date.now() - Math.max(w.sentAt, this.receivedAt);
    if (quietMs < w.timeoutMs) this.arm(w, w.timeoutMs - quietMs);
    else this.fail(new Error(`${w.name} to ${this.host}:${this.port} timed out after ${w.timeoutMs} ms`));
  }

  close(): void {
    this.fail(new Error('connection closed'));
  }

  private received(d: Buffer): void {
    this.receivedAt = Date.now();
    this.chunks.push(d);
    this.buffered += d.length;
    while (this.buffered >= 4) {
      const head = this.chunks[0]!.length >= 4 ? this.chunks[0]! : Buffer.concat(this.chunks);
      const size = head.readInt32BE(0);
      if (this.buffered < 4 + size) return;
      const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
      const frame = all.subarray(4, 4 + size);
      const rest = all.subarray(4 + size);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
      const w = this.waiting.shift();
      if (!w) continue;
      clearTimeout(w.timer);
      if (frame.readInt32BE(0) !== w.id) {
        this.fail(new Error(`Kafka answered request ${frame.readInt32BE(0)} where ${w.id} was due`));
        w.reject(this.failure!);
        return;
      }
      w.resolve(frame.subarray(4));
    }
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.unready(this.failure);
    for (const w of this.waiting.splice(0)) {
      clearTimeout(w.timer);
      w.reject(this.failure);
    }
    this.socket.destroy();
  }
}
