/**
 * When a cutover window cannot answer yet (bounded.ts): what lies outside the
 * windows that could still change the answer, judged by lineage or by event time
 * (the rules are in bounded.ts's header), and which sides to widen for it.
 */
import type { IncomingRecord } from '../../kafka/port.ts';
import { eventTimeOfHeaders } from '../../lineage.ts';
import { eventTimeOf, lineageOf } from './translate.ts';
import { frontierOf } from './target-search.ts';

/** Why a window cannot answer yet, and which sides to widen. */
export interface Widen {
  source?: boolean;
  back?: boolean;
  forward?: boolean;
  why: string;
}

/** Which sides of the windows already reach the edge of their partition. */
export interface Complete {
  readonly source: boolean;
  readonly back: boolean;
  readonly forward: boolean;
}

/** The windows as they stand: source records [sFrom, committed) of `from`, target records [tFrom, tTo) of `to`. */
export interface Windows {
  readonly from: string;
  readonly to: string;
  readonly committed: number;
  readonly sFrom: number;
  readonly S: readonly IncomingRecord[];
  readonly tFrom: number;
  readonly tTo: number;
  readonly T: readonly IncomingRecord[];
}

export function lineageDoubt(win: Windows, complete: Complete): Widen | undefined {
  const frontier = frontierOf(win.S);
  const firstSeen = new Map<string, number>();
  for (const r of win.S) {
    const l = lineageOf(r)!;
    if (!firstSeen.has(l.key)) firstSeen.set(l.key, l.offset);
  }
  const first = new Map<string, number>();
  const last = new Map<string, number>();
  for (const r of win.T) {
    const l = lineageOf(r)!;
    if (!first.has(l.key)) first.set(l.key, l.offset);
    last.set(l.key, Math.max(last.get(l.key) ?? -1, l.offset));
  }
  const w: Widen = { why: '' };
  const why: string[] = [];
  if (!complete.source) {
    // Every output of the input at a frontier must be in the window, so that they are all counted (the ordinals).
    const cut = [...frontier].find(([k, f]) => firstSeen.get(k)! >= f);
    if (cut) {
      w.source = true;
      why.push(`the source window [${win.sFrom}, ${win.committed}) starts at the group's position in input partition ${cut[0]}@${cut[1]}`);
    }
    const unknown = [...first.keys()].filter((k) => !frontier.has(k));
    if (unknown.length > 0) {
      w.source = true;
      why.push(`input partition ${unknown[0]} appears in the target window but not in the source window [${win.sFrom}, ${win.committed})`);
    }
  }
  for (const [k, f] of frontier) {
    if (!first.has(k)) {
      if (!complete.back) w.back = true;
      if (!complete.forward) w.forward = true;
      if (!complete.back || !complete.forward) why.push(`no record of input partition ${k} in the target window [${win.tFrom}, ${win.tTo})`);
      continue;
    }
    if (!complete.back && first.get(k)! >= f) {
      w.back = true;
      why.push(`the target window [${win.tFrom}, ${win.tTo}) starts at or after the group's position in input partition ${k}@${f}`);
    }
    if (!complete.forward && last.get(k)! <= f) {
      w.forward = true;
      why.push(`the target window [${win.tFrom}, ${win.tTo}) ends at or before the group's position in input partition ${k}@${f}`);
    }
  }
  const head = win.T[0] && lineageOf(win.T[0])!;
  if (!complete.back && head && !frontier.has(head.key) && complete.source) {
    w.back = true;
    why.push(`the target window starts with a record the group has not seen (offset ${win.T[0]!.offset})`);
  }
  if (!complete.back && win.T.length === 0) w.back = true;
  if (!complete.forward && win.T.length === 0) w.forward = true;
  if (!w.source && !w.back && !w.forward) return undefined;
  return { ...w, why: why.join('; ') || `the target window [${win.tFrom}, ${win.tTo}) is empty` };
}

export async function eventTimeDoubt(win: Windows, complete: Complete, firstAt: (topic: string, ts: number) => Promise<number>): Promise<Widen | undefined> {
  const skew = [...win.S, ...win.T].find((r) => {
    const h = eventTimeOfHeaders(r.headers);
    return h !== undefined && h !== r.timestamp;
  });
  if (skew) {
    return { source: !complete.source, back: !complete.back, forward: !complete.forward, why: `the record at offset ${skew.offset} of ${skew.topic} has an event-time header (${eventTimeOfHeaders(skew.headers)}) other than its timestamp (${skew.timestamp}), so Kafka's time index cannot bound the search; it needs both partitions within the widest window` };
  }
  const max = Math.max(...win.S.map(eventTimeOf));
  const w: Widen = { why: '' };
  const why: string[] = [];
  if (!complete.source) {
    const [later, atMax] = await Promise.all([firstAt(win.from, max + 1), firstAt(win.from, max)]);
    if ((later < win.committed && later < win.sFrom) || atMax < win.sFrom) {
      w.source = true;
      why.push(`records before the source window [${win.sFrom}, ${win.committed}) may have event time ${max} or later (the time index points at offset ${Math.min(later, atMax)})`);
    }
  }
  if (!complete.back) {
    const start = await firstAt(win.to, max);
    if (win.tFrom > start) {
      w.back = true;
      why.push(`target records before the window [${win.tFrom}, ${win.tTo}) may have event time ${max} (the time index points at offset ${start})`);
    }
  }
  if (!w.source && !w.back) return undefined;
  return { ...w, why: why.join('; ') };
}
