/**
 * Where on the target the group's lineage frontier lies, when Kafka's time index
 * cannot say: a binary search over offsets with small probes. It needs what the
 * lineage rules already assume (bounded.ts): each job writes an input partition's
 * outputs in input order, so along the target the records at or before the
 * frontier of their input partition come first. The time index misleads on a
 * transactional topic whose event times are older than its commits: every commit
 * marker carries the broker's clock, so the first offset at a past time is the
 * first marker.
 */
import type { IncomingRecord } from '../../kafka/port.ts';
import { lineageOf } from './translate.ts';

/** Per input partition (`topic:partition`), the latest input offset the group has seen outputs of. */
export function frontierOf(seen: readonly IncomingRecord[]): Map<string, number> {
  const frontier = new Map<string, number>();
  for (const r of seen) {
    const l = lineageOf(r);
    if (l) frontier.set(l.key, Math.max(frontier.get(l.key) ?? -1, l.offset));
  }
  return frontier;
}

/** `before`: every record with a known input partition is at or before its frontier; `after`: past it; `across`: both; `unknown`: none known. */
export function sideOf(records: readonly IncomingRecord[], frontier: ReadonlyMap<string, number>): 'before' | 'after' | 'across' | 'unknown' {
  let seen = false;
  let unseen = false;
  for (const r of records) {
    const l = lineageOf(r);
    const f = l && frontier.get(l.key);
    if (l === undefined || f === undefined) continue;
    if (l.offset <= f) seen = true;
    else unseen = true;
  }
  return seen && unseen ? 'across' : seen ? 'before' : unseen ? 'after' : 'unknown';
}

/** How far the probe's records are past the frontier, in input offsets (mean over records of a known input partition); undefined when none is. */
function distance(records: readonly IncomingRecord[], frontier: ReadonlyMap<string, number>): number | undefined {
  let sum = 0;
  let n = 0;
  for (const r of records) {
    const l = lineageOf(r);
    const f = l && frontier.get(l.key);
    if (l === undefined || f === undefined) continue;
    sum += l.offset - f;
    n++;
  }
  return n === 0 ? undefined : sum / n;
}

/**
 * Narrows [lo, hi) to a range of about `span` offsets holding the first target
 * record past the frontier, reading `probe` records at each step: where the
 * lineage offsets say by interpolation (a job's output is near linear in its
 * input), halving instead after a step that did not halve the range; stops early
 * on a probe that straddles the frontier or tells nothing.
 */
export async function searchFrontier(
  lo: number,
  hi: number,
  span: number,
  probe: number,
  frontier: ReadonlyMap<string, number>,
  read: (from: number, to: number) => Promise<readonly IncomingRecord[]>,
): Promise<{ lo: number; hi: number }> {
  const look = async (at: number) => {
    const records = await read(at, Math.min(hi, at + probe));
    return { side: sideOf(records, frontier), d: distance(records, frontier) };
  };
  // The distances at both ends, for the interpolation (one probe each).
  const first = await look(lo);
  if (first.side !== 'before') return { lo, hi: Math.min(hi, lo + probe) };
  let dLo = first.d!;
  lo = Math.min(hi, lo + probe);
  const lastAt = Math.max(lo, hi - probe);
  const last = await look(lastAt);
  if (last.side !== 'after') return { lo: lastAt, hi };
  let dHi = last.d!;
  let bisect = false;
  while (hi - lo > span) {
    const width = hi - lo;
    const guess = bisect || !(dHi > dLo) ? lo + width / 2 : lo + (width * -dLo) / (dHi - dLo);
    const mid = Math.min(hi - probe, Math.max(lo, Math.floor(guess - probe / 2)));
    const { side, d } = await look(mid);
    if (side === 'before') {
      lo = Math.min(hi, mid + probe);
      dLo = d!;
    } else if (side === 'after') {
      // The first record past the frontier may be in the probe, before its first record of a known input partition.
      hi = Math.min(hi, mid + probe);
      dHi = d!;
    } else return { lo: mid, hi: Math.min(hi, mid + probe) };
    bisect = !bisect && hi - lo > width / 2;
  }
  return { lo, hi };
}
