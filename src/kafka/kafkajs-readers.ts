/**
 * The reading side of the kafkajs port, as kafkajs' own consumer is: every read
 * of the port, through kafkajs' consumer (kafkajs-reader.ts) or, for a packed
 * read, straight from the partition leaders (fetch-reader.ts); the open reads are
 * kept so that closing the port closes them.
 */
import { openKafkaJsReader } from './kafkajs-reader.ts';
import { openFetchReader } from './fetch-reader.ts';
import { assertOpen, type KafkaJsContext } from './kafkajs-client.ts';
import type { KafkaJsAdmin } from './kafkajs-admin.ts';
import type { ReadOptions, RecordReader } from './port.ts';

export class KafkaJsReaders {
  private readonly readers = new Set<RecordReader>();

  constructor(
    private readonly ctx: KafkaJsContext,
    private readonly admin: KafkaJsAdmin,
  ) {}

  read(options: ReadOptions): RecordReader {
    assertOpen(this.ctx);
    const { conn } = this.ctx;
    // A packed or direct read goes straight to the leaders over plaintext (fetch-reader.ts):
    // kafkajs' consumer would build several objects per record. TLS and SASL connections keep kafkajs.
    if ((options.pack || options.direct) && !conn.ssl && !conn.sasl) {
      const fast = openFetchReader(options, {
        watermarks: (t) => this.admin.watermarks(t),
        offsetsForTimestamp: (t, ts) => this.admin.offsetsForTimestamp(t, ts),
        leaders: (topics) => this.admin.leaders(topics),
        fail: (e, action) => this.ctx.fail(e, action),
        onClose: () => this.readers.delete(fast),
        logger: this.ctx.logger,
        clientId: conn.clientId,
        connectionTimeoutMs: conn.connectionTimeoutMs,
        requestTimeoutMs: conn.requestTimeoutMs,
        outageToleranceMs: conn.outageToleranceMs,
      });
      this.readers.add(fast);
      return fast;
    }
    const reader = openKafkaJsReader(this.ctx.kafka, options, {
      admin: () => this.admin.client(),
      watermarks: (t) => this.admin.watermarks(t),
      offsetsForTimestamp: (t, ts) => this.admin.offsetsForTimestamp(t, ts),
      fail: (e, action) => this.ctx.fail(e, action),
      onClose: () => this.readers.delete(reader),
      logger: this.ctx.logger,
      outageToleranceMs: conn.outageToleranceMs,
    });
    this.readers.add(reader);
    return reader;
  }

  /** Closes every open read (the port closes them first: they still use the admin client). */
  async closeAll(): Promise<void> {
    await Promise.allSettled([...this.readers].map((r) => r.close()));
  }
}
