import { SerdeError } from '../errors.ts';
import type { IncomingRecord } from '../kafka/port.ts';
import type { CompareRecord, Lineage } from '../../comparators/types.ts';
import type { SideSettings } from './config.ts';

/** Lineage headers written by the embedded engine (design.md §3). */
export const LINEAGE = {
  topic: 'pitlane.src.topic',
  partition: 'pitlane.src.partition',
  offset: 'pitlane.src.offset',
  eventTime: 'pitlane.event-time',
} as const;

/** Turns a value's bytes into a value: JSON inline, Avro through the registry. */
export type ValueDecoder = (bytes: Buffer) => unknown;

/**
 * Builds the CompareRecord of one Kafka record once its value is decoded. Throws a
 * SerdeError when the event time cannot be found (the caller counts it as an
 * undecodable record of that side).
 */
export function toCompareRecord(r: IncomingRecord, value: unknown, s: SideSettings): CompareRecord {
  return {
    key: keyOf(r, value, s),
    value,
    eventTime: eventTimeOf(r, value, s),
    timestamp: r.timestamp,
    lineage: lineageOf(r.headers),
    schemaId: r.value && r.value.length >= 5 && r.value[0] === 0 && s.format === 'avro' ? r.value.readUInt32BE(1) : undefined,
  };
}

/** JSON.parse with a SerdeError instead of a SyntaxError; tombstones decode to null. */
export function decodeJson(bytes: Buffer | null): unknown {
  if (bytes === null) return null;
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new SerdeError('SERDE_DECODE_FAILED', `Record is not valid JSON: ${(e as Error).message}`, { hint: 'Is this side Avro? Set its format.' });
  }
}

function keyOf(r: IncomingRecord, value: unknown, s: SideSettings): string | null {
  if (s.key === 'record') return r.key ? r.key.toString('utf8') : null;
  const v = field(value, s.key.field);
  return v === undefined || v === null ? null : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function eventTimeOf(r: IncomingRecord, value: unknown, s: SideSettings): number {
  const et = s.eventTime;
  if (et === 'timestamp') return r.timestamp;
  if (et === 'auto') {
    const h = r.headers[LINEAGE.eventTime];
    return h ? parseTime(h.toString('utf8'), `header ${LINEAGE.eventTime}`) : r.timestamp;
  }
  if ('header' in et) {
    const h = r.headers[et.header];
    if (!h) throw badTime(`header ${et.header} is missing`);
    return parseTime(h.toString('utf8'), `header ${et.header}`);
  }
  const v = field(value, et.field);
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string') return parseTime(v, `field ${et.field}`);
  throw badTime(`field ${et.field} is ${v === undefined ? 'missing' : `not a time (${JSON.stringify(v)})`}`);
}

function parseTime(s: string, where: string): number {
  const n = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
  if (!Number.isFinite(n)) throw badTime(`${where} is not a time: ${JSON.stringify(s.slice(0, 40))}`);
  return n;
}

function badTime(what: string): SerdeError {
  return new SerdeError('COMPARE_NO_EVENT_TIME', `Record has no event time: ${what}.`, { hint: 'Set eventTime for this side in the checks config (auto, timestamp, {header}, {field}).' });
}

function lineageOf(h: Readonly<Record<string, Buffer>>): Lineage | undefined {
  const t = h[LINEAGE.topic];
  const p = h[LINEAGE.partition];
  const o = h[LINEAGE.offset];
  if (!t || !p || !o) return undefined;
  return { topic: t.toString('utf8'), partition: Number(p.toString('utf8')), offset: Number(o.toString('utf8')) };
}

function field(value: unknown, path: string): unknown {
  let v: unknown = value;
  for (const part of path.split('.')) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}
