/**
 * The dataflow a job's `build(env)` wires, as plain nodes. The builder (streams.ts)
 * only records nodes; the runtime instantiates operators from them, and describeJob
 * reads them. Each node has at most one input (no unions or joins yet).
 */
import type { Compression, IncomingRecord } from '../../kafka/port.ts';
import type { OperatorKind } from '../snapshot/model.ts';
import type { StateCodec } from './codecs.ts';
import type { AnyStateDescriptor } from './state.ts';
import type { AggregateFunction } from './context.ts';
import type { WindowAssigner } from '../windows.ts';

export type TimestampSpec = 'record' | { readonly field: string } | ((value: never, record: IncomingRecord) => number);

export interface WatermarkSpec {
  readonly outOfOrderness: number;
  readonly idleTimeout: number | undefined;
}

export interface KafkaSourceSpec {
  readonly type: 'kafka';
  readonly topics: readonly string[];
  readonly format: 'json' | 'avro';
  readonly timestamp: TimestampSpec;
  readonly watermark: WatermarkSpec;
  readonly startFrom: 'earliest' | 'latest';
}

export interface ItemsSourceSpec {
  readonly type: 'items';
  readonly items: Iterable<unknown>;
  readonly timestamp: TimestampSpec;
  readonly watermark: WatermarkSpec;
  readonly batchSize: number;
}

export interface KeySpec {
  readonly selector: (value: never) => unknown;
  readonly fingerprint: string;
}

export type SinkSpec =
  | { readonly type: 'kafka'; readonly topic: string; readonly key: ((value: never) => string | null) | undefined; readonly format: 'json' | { readonly avro: { readonly subject: string; readonly schema: object } }; readonly compression: Compression }
  | { readonly type: 'callback'; readonly fn: (value: never, meta: { timestamp: number; source: IncomingRecord }) => void };


interface NodeBase {
  readonly id: number;
  /** Human name for messages and status, e.g. "process(profile)". */
  readonly name: string;
  readonly uid: string | undefined;
  readonly parent: number | undefined;
  /** Set when this node consumes a side output of its parent. */
  readonly sideTag: string | undefined;
}

export type GraphNode = NodeBase &
  (
    | { readonly kind: 'source'; readonly source: KafkaSourceSpec | ItemsSourceSpec }
    | { readonly kind: 'map' | 'filter' | 'flatMap'; readonly fn: (value: never) => unknown }
    | { readonly kind: 'process'; readonly key: KeySpec; readonly fn: ProcessSpec; readonly states: readonly AnyStateDescriptor[] }
    | { readonly kind: 'reduce'; readonly key: KeySpec; readonly fn: (a: never, b: never) => unknown; readonly codec: StateCodec<unknown> }
    | { readonly kind: 'window'; readonly key: KeySpec; readonly assigner: WindowAssigner; readonly allowedLateness: number; readonly lateTag: string | undefined; readonly agg: AggregateFunction<unknown, unknown, unknown>; readonly codec: StateCodec<unknown> }
    | { readonly kind: 'sink'; readonly sink: SinkSpec }
  );

export interface ProcessSpec {
  processElement(value: never, ctx: never): void;
  onTimer?(timestamp: number, ctx: never): void;
}

/** The snapshot/restore kind of a node; stateless nodes have none. */
export function operatorKindOf(node: GraphNode): OperatorKind | undefined {
  switch (node.kind) {
    case 'source':
    case 'sink':
    case 'process':
    case 'reduce':
    case 'window':
      return node.kind;
    default:
      return undefined;
  }
}

export class JobGraph {
  readonly nodes: GraphNode[] = [];

  add<N extends GraphNode>(make: (id: number) => N): N {
    const node = make(this.nodes.length);
    this.nodes.push(node);
    return node;
  }

  children(id: number, sideTag?: string): GraphNode[] {
    return this.nodes.filter((n) => n.parent === id && n.sideTag === sideTag);
  }
}
