/**
 * Window assignment (design.md §3). Pure: windows are half-open [start, end) in
 * event-time ms; a window fires when the watermark reaches `end − 1` (its last
 * millisecond), as in Flink.
 */
import { JobDefinitionError } from '../errors.ts';

export interface TimeWindow {
  readonly start: number;
  readonly end: number;
}

export type WindowAssigner =
  | { readonly type: 'tumbling'; readonly size: number; readonly offset: number }
  | { readonly type: 'sliding'; readonly size: number; readonly slide: number; readonly offset: number }
  | { readonly type: 'session'; readonly gap: number };

function positive(what: string, ms: number): number {
  if (!Number.isInteger(ms) || ms <= 0) {
    throw new JobDefinitionError('JOB_BAD_WINDOW', `${what} must be a positive whole number of milliseconds, not ${ms}.`, { hint: 'Give durations in ms, e.g. 60_000 for one minute.' });
  }
  return ms;
}

export const tumbling = (size: number, offset = 0): WindowAssigner => ({ type: 'tumbling', size: positive('tumbling window size', size), offset });
export function sliding(size: number, slide: number, offset = 0): WindowAssigner {
  positive('sliding window size', size);
  positive('sliding window slide', slide);
  return { type: 'sliding', size, slide, offset };
}
export const session = (gap: number): WindowAssigner => ({ type: 'session', gap: positive('session gap', gap) });

/** Start of the window of length `size` (aligned at `offset`) that contains `ts`; correct for negative ts. */
export function windowStart(ts: number, size: number, offset: number): number {
  const rem = (ts - offset) % size;
  return rem < 0 ? ts - rem - size : ts - rem;
}

/** The windows a record at `ts` belongs to, earliest start first. Session windows start as [ts, ts + gap). */
export function assignWindows(assigner: WindowAssigner, ts: number): TimeWindow[] {
  switch (assigner.type) {
    case 'tumbling': {
      const start = windowStart(ts, assigner.size, assigner.offset);
      return [{ start, end: start + assigner.size }];
    }
    case 'sliding': {
      const out: TimeWindow[] = [];
      const last = windowStart(ts, assigner.slide, assigner.offset);
      for (let start = last; start > ts - assigner.size; start -= assigner.slide) out.push({ start, end: start + assigner.size });
      return out.reverse();
    }
    case 'session':
      return [{ start: ts, end: ts + assigner.gap }];
  }
}

export interface SessionMerge {
  /** The window the new one ends up in. */
  readonly result: TimeWindow;
  /** Existing windows absorbed into the result (their state must be merged into it). */
  readonly absorbed: readonly TimeWindow[];
}

/**
 * Merges a new session window into a key's existing sessions: every existing window
 * that overlaps or touches the new one (or the growing result) joins it. Existing
 * sessions never overlap each other, so one pass in start order is enough.
 */
export function mergeSession(existing: readonly TimeWindow[], incoming: TimeWindow): SessionMerge {
  let start = incoming.start;
  let end = incoming.end;
  const absorbed: TimeWindow[] = [];
  const sorted = [...existing].sort((a, b) => a.start - b.start);
  for (const w of sorted) {
    if (w.start <= end && start <= w.end) {
      absorbed.push(w);
      start = Math.min(start, w.start);
      end = Math.max(end, w.end);
    }
  }
  return { result: { start, end }, absorbed };
}

export const windowId = (w: TimeWindow): string => `${w.start}:${w.end}`;
export function parseWindowId(id: string): TimeWindow {
  const [s, e] = id.split(':');
  return { start: Number(s), end: Number(e) };
}
