/**
 * The record-lineage contract (design.md §3): every output record of a job names,
 * in headers, the source record that caused it and its event time. The engine
 * writes them (`lineageHeaders`); the comparator aligns records by them, the
 * cutover translates consumer offsets by them, the demo checks exactly-once by
 * them. The header names are part of pitlane's public contract (docs/engine.md):
 * a job on another engine writes the same ones.
 *
 * A low module: anyone may import it, and it imports nothing. Its types are
 * structural, so a Kafka port record (or any record with a topic, partition and
 * offset) fits them without this module depending on the Kafka layer.
 */

/** A consumed record's headers, as the Kafka port gives them. */
export type RecordHeaders = Readonly<Record<string, Buffer>>;

export const LINEAGE_HEADERS = {
  topic: 'pitlane.src.topic',
  partition: 'pitlane.src.partition',
  offset: 'pitlane.src.offset',
  eventTime: 'pitlane.event-time',
} as const;

/** Headers a dead-letter record carries besides the lineage of the input it failed on. */
export const DEAD_LETTER_HEADERS = {
  error: 'pitlane.error',
  code: 'pitlane.error.code',
  operator: 'pitlane.error.operator',
} as const;

/** Stand-in source for output whose cause is unknown (e.g. a timer restored from a snapshot). */
export const UNKNOWN_SOURCE = Object.freeze({ topic: '', partition: -1, offset: -1, key: null, value: null, headers: {}, timestamp: 0 });

/**
 * The lineage headers of an output record: its event time always, its source
 * only when known (UNKNOWN_SOURCE, offset -1, leaves the three source headers out).
 */
export function lineageHeaders(source: SourceLineage, eventTime: number): Record<string, string> {
  const h: Record<string, string> = { [LINEAGE_HEADERS.eventTime]: String(eventTime) };
  if (source.offset >= 0) {
    h[LINEAGE_HEADERS.topic] = source.topic;
    h[LINEAGE_HEADERS.partition] = String(source.partition);
    h[LINEAGE_HEADERS.offset] = String(source.offset);
  }
  return h;
}

/** Where an output record came from in the job's input. */
export interface SourceLineage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

// Reading lineage back. Two readers, one per kind of consumer, each keeping the
// rules it has always had for headers the engine would not write (absent ones are
// the same for both: any of the three source headers missing means no lineage):
// - lineageAt, the comparator's, reads the bytes where they lie (a packed batch
//   in the comparison worker) and is lenient: a partition or offset that is not
//   decimal digits is read as a JavaScript number (NaN when it is none);
// - lineageOfHeaders, the cutover's, reads a KafkaPort record's headers and is
//   strict on the offset (decimal digits, else no lineage), while the partition
//   is kept as written: the cutover only tells input partitions apart by it.

/**
 * A record's headers as the comparator walks them, wherever the bytes are:
 * `header(name)` finds one, whose value is then bytes[start, end). No view or
 * tuple is made per header.
 */
export interface HeaderCursor {
  /** True when the record has header `name`; its bytes are then bytes[start, end). */
  header(name: string): boolean;
  readonly bytes: Buffer;
  readonly start: number;
  readonly end: number;
}

let lastTopicBytes: Buffer | undefined;
let lastTopic = '';

/** The comparator's reading of a record's lineage (see above). */
export function lineageAt(r: HeaderCursor): SourceLineage | undefined {
  if (!r.header(LINEAGE_HEADERS.partition)) return undefined;
  const partition = intAt(r);
  if (!r.header(LINEAGE_HEADERS.offset)) return undefined;
  const offset = intAt(r);
  if (!r.header(LINEAGE_HEADERS.topic)) return undefined;
  // Output records of one job name few source topics: decode the name once per run of them.
  const { bytes, start, end } = r;
  if (!lastTopicBytes || lastTopicBytes.length !== end - start || bytes.compare(lastTopicBytes, 0, lastTopicBytes.length, start, end) !== 0) {
    lastTopic = bytes.toString('utf8', start, end);
    lastTopicBytes = Buffer.from(bytes.subarray(start, end));
  }
  return { topic: lastTopic, partition, offset };
}

/** The integer in the header just found. */
function intAt(r: HeaderCursor): number {
  const n = decimalAt(r.bytes, r.start, r.end);
  return Number.isNaN(n) ? Number(r.bytes.toString('utf8', r.start, r.end)) : n;
}

/** A non-negative integer written in ASCII digits (up to 15 of them) in b[start, end); NaN for anything else. */
export function decimalAt(b: Buffer, start: number, end: number): number {
  if (end <= start || end - start > 15) return Number.NaN;
  let v = 0;
  for (let i = start; i < end; i++) {
    const d = b[i]! - 48;
    if (d < 0 || d > 9) return Number.NaN;
    v = v * 10 + d;
  }
  return v;
}

/** Lineage as the cutover reads it: the partition as written (see above). */
export interface HeaderLineage {
  readonly topic: string;
  readonly partition: string;
  readonly offset: number;
}

/** The cutover's reading of a record's lineage (see above). */
export function lineageOfHeaders(headers: RecordHeaders): HeaderLineage | undefined {
  const topic = headers[LINEAGE_HEADERS.topic]?.toString();
  const partition = headers[LINEAGE_HEADERS.partition]?.toString();
  const o = headers[LINEAGE_HEADERS.offset]?.toString();
  if (topic === undefined || partition === undefined || o === undefined || !/^\d+$/.test(o)) return undefined;
  return { topic, partition, offset: Number(o) };
}

/**
 * The event time header as the cutover reads it: an integer (a sign allowed),
 * else undefined, and the caller falls back to the record timestamp. (The
 * comparator reads it as any header time: compare/decode.ts.)
 */
export function eventTimeOfHeaders(headers: RecordHeaders): number | undefined {
  const h = headers[LINEAGE_HEADERS.eventTime]?.toString();
  return h !== undefined && /^-?\d+$/.test(h) ? Number(h) : undefined;
}
