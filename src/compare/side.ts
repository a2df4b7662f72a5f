import { ComparisonError, KafkaError } from '../errors.ts';
import type { KafkaPort, ReadOptions, RecordBatch, RecordReader, EndPosition, StartPosition } from '../kafka/port.ts';
import type { SideSettings } from './config.ts';

export type { SideStats } from './side-state.ts';

/** One topic to read, and the range to read it in. */
export interface ReaderSpec {
  readonly topic: string;
  readonly from?: StartPosition | undefined;
  /** `end` (default): bounded to the high watermarks at start; `follow`: live. */
  readonly to?: EndPosition | undefined;
}

/**
 * The Kafka read of one side of a comparison: checks the topic, then hands out
 * batches one at a time. What the records mean (decoding, watermarks) is the
 * side's SideState, which may live in another thread.
 */
export class ComparisonSide {
  private reader: RecordReader | undefined;
  private iterator: AsyncIterator<RecordBatch> | undefined;
  private pending: Promise<IteratorResult<RecordBatch>> | undefined;
  /** The partitions the side's watermark waits for (see SideState.expect). */
  readonly expected: number[] = [];
  /** Records in the topic when checked (an upper bound on a bounded read's size). */
  available = 0;
  done = false;

  constructor(
    readonly label: 'a' | 'b' | 'noise',
    readonly spec: ReaderSpec,
    readonly settings: SideSettings,
    private readonly kafka: KafkaPort,
    private readonly hasRegistry: boolean,
  ) {}

  get live(): boolean {
    return this.spec.to === 'follow';
  }

  /**
   * Fails with a clear error when the topic does not exist or Avro has no registry.
   * Also reads the watermarks once: kafkajs' admin can return no partitions when two
   * topics are first looked up concurrently, so every side's topic is made known
   * here, one after the other, before any reader starts.
   */
  async check(): Promise<void> {
    try {
      await this.kafka.partitionCount(this.spec.topic);
      const marks = await this.kafka.watermarks(this.spec.topic);
      for (const m of marks) if (this.live || m.high > m.low) this.expected.push(m.partition);
      this.available = marks.reduce((sum, m) => sum + m.high - m.low, 0);
    } catch (e) {
      if (e instanceof KafkaError && e.code === 'KAFKA_TOPIC_NOT_FOUND') {
        throw new ComparisonError('COMPARE_TOPIC_NOT_FOUND', `Topic ${this.spec.topic} (side ${this.label}) does not exist.`, {
          hint: 'Check the topic name (`pitlane topic list`) and the broker (--brokers).',
          cause: e,
        });
      }
      throw e;
    }
    if (this.settings.format === 'avro' && !this.hasRegistry) {
      throw new ComparisonError('COMPARE_NO_REGISTRY', `Side ${this.label} (${this.spec.topic}) is Avro but no schema registry is configured.`, {
        hint: 'Pass --registry-url or set SCHEMA_REGISTRY_URL.',
      });
    }
  }

  open(extra: Pick<ReadOptions, 'pack'> = {}): void {
    this.reader = this.kafka.read({ topics: [this.spec.topic], from: this.spec.from ?? 'earliest', to: this.spec.to ?? 'end', bufferedBatches: 2, ...extra });
    this.iterator = this.reader[Symbol.asyncIterator]();
  }

  /** The in-flight fetch of the next batch (one at a time). */
  next(): Promise<IteratorResult<RecordBatch>> {
    this.pending ??= this.iterator!.next();
    return this.pending;
  }

  /** Called once the promise from next() resolved and its batch was taken. */
  consumed(): void {
    this.pending = undefined;
  }

  async close(): Promise<void> {
    await this.reader?.close();
  }
}
