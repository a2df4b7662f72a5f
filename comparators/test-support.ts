import type { Check, CompareRecord, Measurement, Side, WindowContext } from './types.ts';

/** A record for check tests: event time in the window [0, 1000), emit time = event time unless given. */
export function rec(key: string | null, value: unknown, eventTime = 100, timestamp = eventTime, lineage?: CompareRecord['lineage']): CompareRecord {
  return { key, value, eventTime, timestamp, lineage, schemaId: undefined };
}

export const WINDOW = { start: 0, end: 1000 };

export function ctx(over: Partial<WindowContext> = {}): WindowContext {
  return { window: WINDOW, a: { watermark: 2000, lateRecords: 0, schemaFields: undefined }, b: { watermark: 2000, lateRecords: 0, schemaFields: undefined }, compatibility: undefined, ...over };
}

/** Feeds one window of a and b records through a check and returns its measurements. */
export function runWindow(check: Check, a: readonly CompareRecord[], b: readonly CompareRecord[], c: WindowContext = ctx()): Measurement[] {
  const acc = check.open(WINDOW);
  const feed = (side: Side, rs: readonly CompareRecord[]) => rs.forEach((r) => acc.add(side, r));
  feed('a', a);
  feed('b', b);
  return acc.finish(c);
}

export const statuses = (ms: readonly Measurement[]) => ms.map((m) => `${m.metric}:${m.status}`);
