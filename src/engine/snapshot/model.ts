/**
 * The in-memory shape of a consistent snapshot of a running job: the contract
 * between the engine (which produces and consumes it) and the savepoint format
 * and restore planning (which write it to disk, read it back, and check it
 * against a new job version). design.md §3–§4.
 *
 * Keyed state is stored per key group, so a snapshot is a set of per-key-group
 * blocks and rescaling is re-assigning whole blocks — no rehash.
 * Keys and state values are already serialized here (bytes): the engine owns
 * the codecs, the savepoint format only moves bytes and checksums them.
 */
import type { TopicPartitionOffset } from '../../kafka/port.ts';

/**
 * How a state's values are encoded; part of the savepoint so a restore can check
 * compatibility first. A JSON state may declare the shape of its values as an Avro
 * schema (`schema`): the values stay JSON text, and restore planning applies the same
 * evolution rules to it as to an Avro state. Without one, a JSON state is unchecked.
 */
export type StateCodecSpec =
  | { readonly type: 'avro'; readonly schema: object }
  | { readonly type: 'json'; readonly schema?: object };

export type StateKind = 'value' | 'map' | 'list' | 'reducing' | 'aggregating';

export interface StateDescriptorSpec {
  readonly name: string;
  readonly kind: StateKind;
  /** Codec of the values (for map state: of the map values). */
  readonly codec: StateCodecSpec;
  /** For map state: codec of the map keys. */
  readonly mapKeyCodec?: StateCodecSpec;
}

/** One state entry of one key: for map state, `mapKey` names the entry within the map. */
export interface StateEntry {
  readonly state: string;
  readonly key: Buffer;
  readonly mapKey?: Buffer;
  readonly value: Buffer;
}

export interface TimerEntry {
  readonly key: Buffer;
  readonly timestamp: number;
  readonly domain: 'event' | 'processing';
  /** Optional timer namespace (e.g. a window) serialized by the operator. */
  readonly namespace?: Buffer;
}

export interface KeyGroupBlock {
  readonly keyGroup: number;
  readonly entries: readonly StateEntry[];
  readonly timers: readonly TimerEntry[];
}

export type OperatorKind = 'source' | 'sink' | 'process' | 'reduce' | 'window';

/** An operator's snapshot without its state: what a delta carries of it too. */
export type OperatorHeader = Omit<OperatorSnapshot, 'keyGroups' | 'operatorState'>;

export interface OperatorSnapshot {
  readonly uid: string;
  /** Human name for messages (e.g. "process(profile)"). */
  readonly name: string;
  readonly kind: OperatorKind;
  readonly parallelism: number;
  /** Keyed operators: a fingerprint of the key type and keyBy selector; a change is refused on restore. */
  readonly keyFingerprint?: string;
  readonly states: readonly StateDescriptorSpec[];
  /** Keyed operators only; key groups without state are left out. */
  readonly keyGroups: readonly KeyGroupBlock[];
  /** Non-keyed operator state (e.g. a window's late-record counters), already encoded. */
  readonly operatorState?: Buffer;
}

export interface JobSnapshot {
  readonly job: { readonly name: string; readonly version: string };
  readonly maxParallelism: number;
  readonly operators: readonly OperatorSnapshot[];
  /** Next offset to read per input topic-partition: a restore resumes exactly here. */
  readonly sourceOffsets: readonly TopicPartitionOffset[];
  /** Per source partition watermark at snapshot time (ms). */
  readonly watermarks: readonly (TopicPartitionOffset & { readonly watermark: number })[];
  /** Epoch ms when the snapshot was taken (from the injected clock). */
  readonly createdAt: number;
  readonly type: 'savepoint' | 'checkpoint';
}

/** What a built job declares about its operators: the input of restore planning (planRestore). */
export interface OperatorDescription {
  readonly uid: string;
  readonly name: string;
  readonly kind: OperatorKind;
  readonly keyFingerprint?: string;
  readonly states: readonly StateDescriptorSpec[];
}

export interface JobDescription {
  readonly name: string;
  readonly version: string;
  readonly maxParallelism: number;
  readonly operators: readonly OperatorDescription[];
  /** Input topics of the job's sources. */
  readonly inputTopics: readonly string[];
}
