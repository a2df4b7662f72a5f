import { SerdeError } from '../errors.ts';
import type { IncomingRecord } from '../kafka/port.ts';
import type { CompareRecord } from '../../comparators/types.ts';
import { viewOf } from '../../comparators/shared/fields.ts';
import { keyHash53 } from '../../comparators/shared/hash.ts';
import { LINEAGE_HEADERS, decimalAt, lineageAt, type HeaderCursor } from '../lineage.ts';
import type { SideSettings } from './config.ts';

/** The headers decoding reads for a side: the lineage, and the event time's header if it comes from one. */
export function headersRead(s: SideSettings): string[] {
  const names: string[] = [LINEAGE_HEADERS.topic, LINEAGE_HEADERS.partition, LINEAGE_HEADERS.offset];
  if (s.eventTime === 'auto') names.push(LINEAGE_HEADERS.eventTime);
  else if (typeof s.eventTime === 'object' && 'header' in s.eventTime) names.push(s.eventTime.header);
  return names;
}

/**
 * What decoding reads of one record, wherever its bytes are (a KafkaPort record,
 * or a packed batch in the comparison worker). A header is found by `header(name)`
 * and read from `bytes[start, end)`, so no view or tuple is made per header.
 */
export interface RecordParts extends HeaderCursor {
  readonly timestamp: number;
  recordKey(): string | null;
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
    lineage: lineageAt(r),
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
  if (et === 'auto') return r.header(LINEAGE_HEADERS.eventTime) ? headerTime(r, LINEAGE_HEADERS.eventTime) : r.timestamp;
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
  const n = decimalAt(r.bytes, r.start, r.end);
  return Number.isNaN(n) ? parseTime(r.bytes.toString('utf8', r.start, r.end), `header ${name}`) : n;
}

function parseTime(s: string, where: string): number {
  const n = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
  if (!Number.isFinite(n)) throw badTime(`${where} is not a time: ${JSON.stringify(s.slice(0, 40))}`);
  return n;
}

function badTime(what: string): SerdeError {
  return new SerdeError('COMPARE_NO_EVENT_TIME', `Record has no event time: ${what}.`, { hint: 'Set eventTime for this side in the checks config (auto, timestamp, {header}, {field}).' });
}

function field(value: unknown, path: string): unknown {
  let v: unknown = value;
  for (const part of path.split('.')) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}
