/**
 * The typed builder behind `build(env)`. It only records graph nodes; types flow from
 * the source's declared record type through every operator, so a misspelt field in
 * a job is a compile error. Missing uids are refused here, at build time.
 */
import { createHash } from 'node:crypto';
import type { Compression, IncomingRecord } from '../../kafka/port.ts';
import { COMPRESSIONS } from '../../kafka/codecs.ts';
import { JobDefinitionError } from '../../errors.ts';
import { codecOf, type CodecOptions } from './codecs.ts';
import type { AnyStateDescriptor } from './state.ts';
import type { AggregateFunction, Key, OutputTag, ProcessFunction, WindowResult } from './context.ts';
import { JobGraph, type GraphNode, type KeySpec, type TimestampSpec } from './graph.ts';
import type { WindowAssigner } from '../windows.ts';

type NumericFields<T> = { [F in keyof T]-?: T[F] extends number ? F : never }[keyof T] & string;

export type TimestampOption<T> = 'record' | { readonly field: NumericFields<T> } | ((value: T, record: IncomingRecord) => number);

export interface WatermarkOption {
  /** Ms a record may arrive behind the newest one without being late. Default 0. */
  readonly outOfOrderness?: number;
  /** Ms without records after which a partition no longer holds the watermark back. */
  readonly idleTimeout?: number;
}

export interface KafkaSourceOptions<T> {
  readonly uid: string;
  readonly topics: string | readonly string[];
  readonly format?: 'json' | 'avro';
  /** Event time: the Kafka record timestamp (default), a numeric field, or a function. */
  readonly timestamp?: TimestampOption<T>;
  readonly watermark?: WatermarkOption;
  /** Where a job without a snapshot starts. Default earliest. */
  readonly startFrom?: 'earliest' | 'latest';
}

export interface ItemsSourceOptions<T> {
  readonly uid: string;
  readonly items: Iterable<T>;
  readonly timestamp?: Exclude<TimestampOption<T>, 'record'>;
  readonly watermark?: WatermarkOption;
  readonly batchSize?: number;
}

export interface KafkaSinkOptions<T> {
  readonly uid: string;
  readonly topic: string;
  /** Record key; none when absent. */
  readonly key?: (value: T) => string | null;
  readonly format?: 'json' | { readonly avro: { readonly subject?: string; readonly schema: object } };
  /**
   * The codec of the record batches written: none (default, as Kafka's producers),
   * gzip, snappy, lz4 or zstd. A topic whose `compression.type` is not `producer`
   * is recompressed by the broker whatever this says.
   */
  readonly compression?: Compression;
}

export interface CallbackSinkOptions<T> {
  readonly uid: string;
  readonly fn: (value: T, meta: { timestamp: number; source: IncomingRecord }) => void;
}

/** Shared by all streams of one build: the graph and the uids seen so far. */
export class Builder {
  readonly graph = new JobGraph();
  private readonly uids = new Map<string, string>();

  nameOf(id: number): string {
    return this.graph.nodes[id]?.name ?? `#${id}`;
  }

  /** Adds a node, refusing a missing or duplicate uid where one is required. */
  add(kind: GraphNode['kind'], uid: string | undefined, parent: number | undefined, sideTag: string | undefined, rest: object, label?: string): number {
    const required = kind === 'source' || kind === 'sink' || kind === 'process' || kind === 'reduce' || kind === 'window';
    const id = this.graph.nodes.length;
    const after = parent === undefined ? '' : ` after ${this.nameOf(parent)}`;
    if (required && (typeof uid !== 'string' || uid.trim() === '')) {
      throw new JobDefinitionError('JOB_MISSING_UID', `The ${label ?? kind} operator (#${id}${after}) has no uid.`, {
        hint: `Give it a stable uid, e.g. ${kind}('my-${kind}', ...): sources, sinks and stateful operators need one so state and offsets can be matched on restore.`,
        data: { operator: label ?? kind, index: id },
      });
    }
    const name = uid ? `${label ?? kind}(${uid})` : `${label ?? kind}#${id}`;
    if (uid !== undefined && required) {
      const other = this.uids.get(uid);
      if (other) {
        throw new JobDefinitionError('JOB_DUPLICATE_UID', `The uid "${uid}" is used by both ${other} and ${name}.`, { hint: 'Every source, sink and stateful operator needs its own uid.' });
      }
      this.uids.set(uid, name);
    }
    this.graph.add((nodeId) => ({ id: nodeId, name, uid: required ? uid : undefined, parent, sideTag, kind, ...rest }) as GraphNode);
    return id;
  }
}

const watermarkSpec = (w: WatermarkOption | undefined) => ({ outOfOrderness: w?.outOfOrderness ?? 0, idleTimeout: w?.idleTimeout });

export function sourceNode<T>(b: Builder, o: KafkaSourceOptions<T>): DataStream<T> {
  const topics = typeof o.topics === 'string' ? [o.topics] : [...o.topics];
  if (topics.length === 0) throw new JobDefinitionError('JOB_NO_TOPICS', `Source ${o.uid} names no topics.`, { hint: 'Give topics: ["..."].' });
  const source = { type: 'kafka', topics, format: o.format ?? 'json', timestamp: (o.timestamp ?? 'record') as TimestampSpec, watermark: watermarkSpec(o.watermark), startFrom: o.startFrom ?? 'earliest' };
  return new DataStream<T>(b, b.add('source', o.uid, undefined, undefined, { source }, 'fromKafka'));
}

export function itemsNode<T>(b: Builder, o: ItemsSourceOptions<T>): DataStream<T> {
  const source = { type: 'items', items: o.items, timestamp: (o.timestamp ?? (() => 0)) as TimestampSpec, watermark: watermarkSpec(o.watermark), batchSize: o.batchSize ?? 1000 };
  return new DataStream<T>(b, b.add('source', o.uid, undefined, undefined, { source }, 'fromItems'));
}

function keySpec(selector: (value: never) => unknown, fingerprint: string | undefined): KeySpec {
  return { selector, fingerprint: fingerprint ?? createHash('sha256').update(selector.toString()).digest('hex').slice(0, 16) };
}

export class DataStream<T> {
  constructor(
    protected readonly b: Builder,
    readonly nodeId: number,
    protected readonly sideTag?: string,
  ) {}

  private next<R>(kind: 'map' | 'filter' | 'flatMap', fn: (value: never) => unknown, label: string | undefined): DataStream<R> {
    return new DataStream<R>(this.b, this.b.add(kind, undefined, this.nodeId, this.sideTag, { fn }, label ?? kind));
  }

  map<R>(fn: (value: T) => R, name?: string): DataStream<R> {
    return this.next<R>('map', fn, name);
  }
  filter(fn: (value: T) => boolean, name?: string): DataStream<T> {
    return this.next<T>('filter', fn, name);
  }
  flatMap<R>(fn: (value: T) => Iterable<R>, name?: string): DataStream<R> {
    return this.next<R>('flatMap', fn, name);
  }
  /** Partitions by key: keyed operators after this see one key at a time, with state per key. */
  keyBy<K extends Key>(selector: (value: T) => K, options: { fingerprint?: string } = {}): KeyedStream<T, K> {
    return new KeyedStream<T, K>(this.b, this.nodeId, this.sideTag, keySpec(selector, options.fingerprint));
  }
  toKafka(o: KafkaSinkOptions<T>): void {
    const format = o.format === undefined || o.format === 'json' ? 'json' : { avro: { subject: o.format.avro.subject ?? `${o.topic}-value`, schema: o.format.avro.schema } };
    const compression = o.compression ?? 'none';
    if (!COMPRESSIONS.includes(compression)) {
      throw new JobDefinitionError('JOB_BAD_COMPRESSION', `The toKafka sink ${o.uid ? `"${o.uid}" ` : ''}to ${o.topic} asks for compression "${String(compression)}", which Kafka does not have.`, {
        hint: `Use one of ${COMPRESSIONS.join(', ')} (Kafka's compression.type names).`,
        data: { uid: o.uid, topic: o.topic, compression },
      });
    }
    this.b.add('sink', o.uid, this.nodeId, this.sideTag, { sink: { type: 'kafka', topic: o.topic, key: o.key, format, compression } }, 'toKafka');
  }
  /** An in-process sink (tests, benchmarks, embedding). */
  toCallback(o: CallbackSinkOptions<T>): void {
    this.b.add('sink', o.uid, this.nodeId, this.sideTag, { sink: { type: 'callback', fn: o.fn } }, 'toCallback');
  }
}

/** The output of an operator that may also have side outputs. */
export class OperatorStream<T> extends DataStream<T> {
  sideOutput<X>(tag: OutputTag<X>): DataStream<X> {
    return new DataStream<X>(this.b, this.nodeId, tag.id);
  }
}

export interface ProcessOptions {
  /** Every state the function uses, declared up front (for describeJob and restore checks). */
  readonly states?: readonly AnyStateDescriptor[];
}

export class KeyedStream<T, K extends Key> {
  constructor(
    private readonly b: Builder,
    private readonly parent: number,
    private readonly sideTag: string | undefined,
    private readonly key: KeySpec,
  ) {}

  process<R>(uid: string, fn: ProcessFunction<T, K, R> & ProcessOptions): OperatorStream<R> {
    const states = fn.states ?? [];
    const seen = new Set<string>();
    for (const s of states) {
      if (seen.has(s.name)) throw new JobDefinitionError('JOB_DUPLICATE_STATE', `process(${uid}) declares the state "${s.name}" twice.`, { hint: 'State names must be unique within an operator.' });
      seen.add(s.name);
    }
    return new OperatorStream<R>(this.b, this.b.add('process', uid, this.parent, this.sideTag, { key: this.key, fn, states }, 'process'));
  }

  /** Rolling reduce: emits the reduced value of the key after every record. */
  reduce(uid: string, fn: (a: T, b: T) => T, options: CodecOptions<T> = {}): OperatorStream<T> {
    return new OperatorStream<T>(this.b, this.b.add('reduce', uid, this.parent, this.sideTag, { key: this.key, fn, codec: codecOf(options, `reduce(${uid})`) }, 'reduce'));
  }

  window(assigner: WindowAssigner): WindowedStream<T, K> {
    return new WindowedStream<T, K>(this.b, this.parent, this.sideTag, this.key, assigner, 0, undefined);
  }
}

export class WindowedStream<T, K extends Key> {
  constructor(
    private readonly b: Builder,
    private readonly parent: number,
    private readonly sideTag: string | undefined,
    private readonly key: KeySpec,
    private readonly assigner: WindowAssigner,
    private readonly lateness: number,
    private readonly lateTag: string | undefined,
  ) {}

  /** Records up to `ms` behind a fired window's end still update (and re-emit) its result. */
  allowedLateness(ms: number): WindowedStream<T, K> {
    if (!Number.isInteger(ms) || ms < 0) throw new JobDefinitionError('JOB_BAD_WINDOW', `allowedLateness must be a whole number of ms ≥ 0, not ${ms}.`);
    return new WindowedStream<T, K>(this.b, this.parent, this.sideTag, this.key, this.assigner, ms, this.lateTag);
  }

  /** Records too late for their window go to this side output instead of being dropped. */
  sideOutputLateData(tag: OutputTag<T>): WindowedStream<T, K> {
    return new WindowedStream<T, K>(this.b, this.parent, this.sideTag, this.key, this.assigner, this.lateness, tag.id);
  }

  /** `options.schema`: an Avro schema of the accumulator (JSON state, checked on restore like any state). */
  aggregate<A, R>(uid: string, agg: AggregateFunction<T, A, R>, options: CodecOptions<A> = {}): OperatorStream<WindowResult<K, R>> {
    if (this.assigner.type === 'session' && !agg.merge) {
      throw new JobDefinitionError('JOB_SESSION_NEEDS_MERGE', `window(${uid}) uses session windows, whose accumulators merge, but its aggregate has no merge().`, { hint: 'Add merge(a, b) to the aggregate function.' });
    }
    const rest = { key: this.key, assigner: this.assigner, allowedLateness: this.lateness, lateTag: this.lateTag, agg, codec: codecOf(options, `window(${uid})`) };
    return new OperatorStream(this.b, this.b.add('window', uid, this.parent, this.sideTag, rest, `window.${this.assigner.type}`));
  }
}
