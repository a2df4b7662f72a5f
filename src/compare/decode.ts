import { SerdeError } from '../errors.ts';
import type { IncomingRecord } from '../kafka/port.ts';
import type { CompareRecord, Lineage } from '../../comparators/types.ts';
import { viewOf } from '../../comparators/shared/fields.ts';
import { keyHash53 } from '../../comparators/shared/hash.ts';
import type { SideSettings } from './config.ts';

/** Lineage headers written by the embedded engine (design.md §3). */
export const LINEAGE = {
  topic: 'pitlane.src.topic',
  partition: 'pitlane.src.partition',
  offset: 'pitlane.src.offset',
  eventTime: 'pitlane.event-time',
} as const;

/** The headers decoding reads for a side: the lineage, and the event time's header if it comes from one. */
export function headersRead(s: SideSettings): string[] {
  const names: string[] = [LINEAGE.topic, LINEAGE.partition, LINEAGE.offset];
  if (s.eventTime === 'auto') names.push(LINEAGE.eventTime);
  else if (typeof s.eventTime === 'object' && 'header' in s.eventTime) names.push(s.eventTime.header);
  return names;
}

/**
 * What decoding reads of one record, wherever its bytes are (a KafkaPort record,
 * or a packed batch in the comparison worker). A header is found by `header(name)`
 * and read from `bytes[start, end)`, so no view or tuple is made per header.
 */
export interface RecordParts {
  readonly timestamp: number;
  recordKey(): string | null;
  /** True when the record has header `name`; its bytes are then bytes[start, end). */
  header(name: string): boolean;
  readonly bytes: Buffer;
  readonly start: number;
  readonly end: number;
}

/**
 * Builds the CompareRecord of one record once its value is decoded. Throws a
 * SerdeError when the event time cannot be found (the caller counts it as an
 * undecodable record of that side).
 */
export function compareRecordOf(r: RecordParts, value: unknown, s: SideSettings, schemaId?: number): CompareRecord {
  const key = keyOf(r, value, s);
  return {
    key,
    keyHash: key === null ? undefined : keyHash53(key),
    value,
    eventTime: eventTimeOf(r, value, s),
    timestamp: r.timestamp,
    lineage: lineageOf(r),
    schemaId,
    fields: viewOf(value),
  };
}

/** compareRecordOf for a record read through the KafkaPort. */
export function toCompareRecord(r: IncomingRecord, value: unknown, s: SideSettings): CompareRecord {
  const schemaId = s.format === 'avro' && r.value && r.value.length >= 5 && r.value[0] === 0 ? r.value.readUInt32BE(1) : undefined;
  return compareRecordOf(incoming.of(r), value, s, schemaId);
}

/** One reusable RecordParts over IncomingRecords, so decoding a record allocates nothing for it. */
const incoming = new (class implements RecordParts {
  private r!: IncomingRecord;
  bytes: Buffer = Buffer.alloc(0);
  start = 0;
  end = 0;
  of(r: IncomingRecord): this {
    this.r = r;
    return this;
  }
  get timestamp(): number {
    return this.r.timestamp;
  }
  recordKey(): string | null {
    return this.r.key ? this.r.key.toString('utf8') : null;
  }
  header(name: string): boolean {
    const h = this.r.headers[name];
    if (!h) return false;
    this.bytes = h;
    this.start = 0;
    this.end = h.length;
    return true;
  }
})();

/** JSON.parse with a SerdeError instead of a SyntaxError; tombstones decode to null. */
export function decodeJson(bytes: Buffer | null): unknown {
  return bytes === null ? null : parseJson(bytes.toString('utf8'));
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new SerdeError('SERDE_DECODE_FAILED', `Record is not valid JSON: ${(e as Error).message}`, { hint: 'Is this side Avro? Set its format.' });
  }
}

function keyOf(r: RecordParts, value: unknown, s: SideSettings): string | null {
  if (s.key === 'record') return r.recordKey();
  const v = field(value, s.key.field);
  return v === undefined || v === null ? null : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function eventTimeOf(r: RecordParts, value: unknown, s: SideSettings): number {
  const et = s.eventTime;
  if (et === 'timestamp') return r.timestamp;
  if (et === 'auto') return r.header(LINEAGE.eventTime) ? headerTime(r, LINEAGE.eventTime) : r.timestamp;
  if ('header' in et) {
    if (!r.header(et.header)) throw badTime(`header ${et.header} is missing`);
    return headerTime(r, et.header);
  }
  const v = field(value, et.field);
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string') return parseTime(v, `field ${et.field}`);
  throw badTime(`field ${et.field} is ${v === undefined ? 'missing' : `not a time (${JSON.stringify(v)})`}`);
}

/** Epoch ms in the header just found: decimal digits (read from the bytes, the common case), else an ISO time. */
function headerTime(r: RecordParts, name: string): number {
  const n = digitsOf(r.bytes, r.start, r.end);
  return Number.isNaN(n) ? parseTime(r.bytes.toString('utf8', r.start, r.end), `header ${name}`) : n;
}

/** A non-negative integer written in ASCII digits (up to 15 of them); NaN for anything else. */
function digitsOf(b: Buffer, start: number, end: number): number {
  if (end <= start || end - start > 15) return Number.NaN;
  let v = 0;
  for (let i = start; i < end; i++) {
    const d = b[i]! - 48;
    if (d < 0 || d > 9) return Number.NaN;
    v = v * 10 + d;
  }
  return v;
}

function parseTime(s: string, where: string): number {
  const n = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
  if (!Number.isFinite(n)) throw badTime(`${where} is not a time: ${JSON.stringify(s.slice(0, 40))}`);
  return n;
}

function badTime(what: string): SerdeError {
  return new SerdeError('COMPARE_NO_EVENT_TIME', `Record has no event time: ${what}.`, { hint: 'Set eventTime for this side in the checks config (auto, timestamp, {header}, {field}).' });
}

let lastTopicBytes: Buffer | undefined;
let lastTopic = '';

function lineageOf(r: RecordParts): Lineage | undefined {
  if (!r.header(LINEAGE.partition)) return undefined;
  const partition = intOf(r);
  if (!r.header(LINEAGE.offset)) return undefined;
  const offset = intOf(r);
  if (!r.header(LINEAGE.topic)) return undefined;
  // Output records of one job name few source topics: decode the name once per run of them.
  const { bytes, start, end } = r;
  if (!lastTopicBytes || lastTopicBytes.length !== end - start || bytes.compare(lastTopicBytes, 0, lastTopicBytes.length, start, end) !== 0) {
    lastTopic = bytes.toString('utf8', start, end);
    lastTopicBytes = Buffer.from(bytes.subarray(start, end));
  }
  return { topic: lastTopic, partition, offset };
}

/** The integer in the header just found. */
function intOf(r: RecordParts): number {
  const n = digitsOf(r.bytes, r.start, r.end);
  return Number.isNaN(n) ? Number(r.bytes.toString('utf8', r.start, r.end)) : n;
}

function field(value: unknown, path: string): unknown {
  let v: unknown = value;
  for (const part of path.split('.')) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}
