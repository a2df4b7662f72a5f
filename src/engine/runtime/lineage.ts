/**
 * Lineage headers (design.md §3): every output record names the source record that
 * caused it and its event time. The comparator and cutover read these names; they
 * are part of pitlane's public contract (docs/engine.md).
 */
import type { IncomingRecord } from '../../kafka/port.ts';

export const LINEAGE_HEADERS = {
  topic: 'pitlane.src.topic',
  partition: 'pitlane.src.partition',
  offset: 'pitlane.src.offset',
  eventTime: 'pitlane.event-time',
} as const;

export const DEAD_LETTER_HEADERS = {
  error: 'pitlane.error',
  code: 'pitlane.error.code',
  operator: 'pitlane.error.operator',
} as const;

/** Stand-in source for output whose cause is unknown (e.g. a timer restored from a snapshot). */
export const UNKNOWN_SOURCE: IncomingRecord = Object.freeze({ topic: '', partition: -1, offset: -1, key: null, value: null, headers: {}, timestamp: 0 });

export function lineageHeaders(source: IncomingRecord, eventTime: number): Record<string, string> {
  const h: Record<string, string> = { [LINEAGE_HEADERS.eventTime]: String(eventTime) };
  if (source.offset >= 0) {
    h[LINEAGE_HEADERS.topic] = source.topic;
    h[LINEAGE_HEADERS.partition] = String(source.partition);
    h[LINEAGE_HEADERS.offset] = String(source.offset);
  }
  return h;
}
