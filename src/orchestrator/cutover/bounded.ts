/**
 * Cutover translation that does not grow with history: the rules of translate.ts
 * (lineage, else event time) applied to two windows — the source records just
 * before the group's committed offset C, and the target records around where
 * Kafka's time index (ListOffsets by timestamp) says their twins are — instead of
 * to both topics read from the beginning. Memory and reads are bounded by the
 * window, whatever the topics' length.
 *
 * A window answers only when what lies outside it cannot change the answer; else
 * it is widened (doubled, towards the side in doubt) a bounded number of times,
 * then the partition is refused, named with its offset: never a guess. When the
 * windows hold both partitions whole, this is translatePartition itself.
 *
 * What lies outside is judged as follows (window-doubt.ts).
 * - Lineage: each job writes the outputs of one input partition in input order
 *   (lineage offsets non-decreasing per input partition within an output
 *   partition), so the last source record of an input partition before C is its
 *   frontier. A window is decisive when every input partition in the target
 *   window has its frontier in the source window (or the source window starts at
 *   the log start), and, on each side not at the log's edge, the target window
 *   holds records of every frontier's input partition strictly before it (back)
 *   and strictly after it (forward), its first record seen and its last unseen.
 * - Event time: proven with the time index, which answers the first offset whose
 *   timestamp is ≥ t (transaction markers and aborted records included, which can
 *   only make it earlier): the source window's latest event time m is the latest
 *   before C when the first offset at ≥ m+1 is at or past C or inside the window,
 *   and every record at m lies in it when the first offset at ≥ m is; every target
 *   record before the first at ≥ m is seen. This needs event time = the record
 *   timestamp (pitlane's sinks write both; a record whose header says otherwise
 *   makes the window widen to the whole partition, or refuse).
 * What no index can prove, by event time: that no target record past the
 * forward edge was already seen; a window's worth of records past the cut is
 * read to look for one (the two jobs' orders must differ by less than that).
 * The windows start at 1,000 records and double up to 6 times.
 */
import type { IncomingRecord, PartitionWatermarks, TopicPartitionOffset } from '../../kafka/port.ts';
import { eventTimeOf, lineageOf, translatePartition, type PartitionOutcome } from './translate.ts';
import { frontierOf, searchFrontier, sideOf } from './target-search.ts';
import { eventTimeDoubt, lineageDoubt, type Widen, type Windows } from './window-doubt.ts';

/** What the bounded translation reads: the narrow port (kafka-reads.ts over the KafkaPort; a fake in unit tests). */
export interface CutoverReads {
  watermarks(topic: string): Promise<readonly PartitionWatermarks[]>;
  /** Per partition, the first offset whose timestamp is ≥ ts; the high watermark when none is (KafkaPort.offsetsForTimestamp). */
  offsetsForTimestamp(topic: string, timestamp: number): Promise<readonly TopicPartitionOffset[]>;
  /** The data records of one partition with offsets in [from, to), read_committed, in offset order. */
  readRange(topic: string, partition: number, from: number, to: number): Promise<readonly IncomingRecord[]>;
}

export interface BoundedOptions {
  /** Records in the first window on each side. Default 1,000. */
  readonly window?: number;
  /** How many times a window may double before the partition is refused. Default 6. */
  readonly widenings?: number;
}

export interface PartitionTranslation {
  readonly partition: number;
  /** The group's committed offset on the source (0 when it has none). */
  readonly committed: number;
  readonly outcome: PartitionOutcome;
  /** The last source record the group has seen, and its match on the target (the last target record before the offset). */
  readonly lastSeen?: IncomingRecord | undefined;
  readonly matched?: IncomingRecord | undefined;
  /** Records read from both topics for this partition, and time-index lookups made. */
  readonly recordsRead: number;
  readonly lookups: number;
}

interface Edges {
  readonly sourceLow: number;
  readonly sourceHigh: number;
  readonly targetLow: number;
  readonly targetHigh: number;
}

export class BoundedTranslator {
  private readonly window: number;
  private readonly widenings: number;

  constructor(
    private readonly reads: CutoverReads,
    options: BoundedOptions = {},
  ) {
    this.window = Math.max(1, options.window ?? 1000);
    this.widenings = Math.max(0, options.widenings ?? 6);
  }

  /** Translates one partition: `committed` on `from` to an offset on `to`. */
  async translate(from: string, to: string, partition: number, committed: number, source: PartitionWatermarks, target: PartitionWatermarks): Promise<PartitionTranslation> {
    return new PartitionWindows(this.reads, from, to, partition, committed, { sourceLow: source.low, sourceHigh: source.high, targetLow: target.low, targetHigh: target.high }, this.window, this.widenings).run();
  }
}

class PartitionWindows implements Windows {
  private recordsRead = 0;
  private lookups = 0;
  sFrom: number;
  S: IncomingRecord[] = [];
  tFrom = 0;
  tTo = 0;
  T: IncomingRecord[] = [];
  private readonly cache = new Map<string, number>();

  constructor(
    private readonly reads: CutoverReads,
    readonly from: string,
    readonly to: string,
    private readonly partition: number,
    readonly committed: number,
    private readonly e: Edges,
    private readonly size: number,
    private readonly maxWidenings: number,
  ) {
    this.sFrom = Math.max(e.sourceLow, committed - size);
  }

  async run(): Promise<PartitionTranslation> {
    const { partition, committed, e } = this;
    if (committed > this.sFrom) this.S = [...(await this.read(this.from, this.sFrom, Math.min(committed, e.sourceHigh)))];
    let step = this.size;
    for (let widened = 0; this.S.length === 0 && this.sFrom > e.sourceLow; widened++) {
      if (widened >= this.maxWidenings) return this.done(this.exhausted('no committed record before it within the widest window'));
      step *= 2;
      await this.widenSource(step);
    }
    if (this.S.length === 0) return this.done({ partition, kind: 'matched', offset: e.targetLow, by: 'nothing-seen' });
    await this.placeTarget();
    let steps = { source: step, back: this.size, forward: this.size };
    for (let widened = 0; ; widened++) {
      const verdict = await this.judge();
      if (!('why' in verdict)) return this.done(verdict);
      if (widened >= this.maxWidenings) return this.done(this.exhausted(verdict.why));
      steps = { source: steps.source * 2, back: steps.back * 2, forward: steps.forward * 2 };
      if (verdict.source) await this.widenSource(steps.source);
      if (verdict.back) await this.widenBack(steps.back);
      if (verdict.forward) await this.widenForward(steps.forward);
    }
  }

  private async read(topic: string, from: number, to: number): Promise<readonly IncomingRecord[]> {
    if (to <= from) return [];
    const records = await this.reads.readRange(topic, this.partition, from, to);
    this.recordsRead += records.length;
    return records;
  }

  /** The first offset of `topic`'s partition with a timestamp ≥ ts (the time index), memoized. */
  private async firstAt(topic: string, ts: number): Promise<number> {
    const k = `${topic}@${ts}`;
    let o = this.cache.get(k);
    if (o === undefined) {
      this.lookups++;
      const found = await this.reads.offsetsForTimestamp(topic, ts);
      o = found.find((x) => x.partition === this.partition)?.offset ?? Number.MAX_SAFE_INTEGER;
      this.cache.set(k, o);
    }
    return o;
  }

  /**
   * The target window around the twin of the last record seen: found by its timestamp
   * (lineage; by a search on lineage when the window lands wholly on one side) or the
   * seen event time's start (event time).
   */
  private async placeTarget(): Promise<void> {
    const { e, size } = this;
    const lineage = this.S.every((r) => lineageOf(r) !== undefined);
    const at = lineage ? await this.firstAt(this.to, this.S.at(-1)!.timestamp) : await this.firstAt(this.to, Math.max(...this.S.map(eventTimeOf)));
    const hint = Math.min(Math.max(at, e.targetLow), e.targetHigh);
    this.tFrom = Math.max(e.targetLow, hint - (lineage ? Math.ceil(size / 2) : 1));
    this.tTo = Math.min(e.targetHigh, Math.max(hint, this.tFrom) + size);
    this.T = [...(await this.read(this.to, this.tFrom, this.tTo))];
    if (!lineage) return;
    // A window wholly on one side of the frontier: the index misled (see target-search.ts); search by lineage instead.
    const frontier = frontierOf(this.S);
    const side = sideOf(this.T, frontier);
    const probe = Math.max(1, Math.min(64, Math.floor(size / 4)));
    const read = (from: number, to: number) => this.read(this.to, from, to);
    let range: { lo: number; hi: number } | undefined;
    if (side === 'before' && this.tTo < e.targetHigh) range = await searchFrontier(this.tTo, e.targetHigh, 4 * probe, probe, frontier, read);
    else if (side === 'after' && this.tFrom > e.targetLow) range = await searchFrontier(e.targetLow, this.tTo, 4 * probe, probe, frontier, read);
    if (!range) return;
    this.tFrom = Math.max(e.targetLow, range.lo - Math.ceil(size / 2));
    this.tTo = Math.min(e.targetHigh, Math.max(range.hi, this.tFrom) + Math.ceil(size / 2));
    this.T = [...(await this.read(this.to, this.tFrom, this.tTo))];
  }

  private async widenSource(step: number): Promise<void> {
    const from = Math.max(this.e.sourceLow, this.sFrom - step);
    this.S = [...(await this.read(this.from, from, this.sFrom)), ...this.S];
    this.sFrom = from;
  }

  private async widenBack(step: number): Promise<void> {
    const from = Math.max(this.e.targetLow, this.tFrom - step);
    this.T = [...(await this.read(this.to, from, this.tFrom)), ...this.T];
    this.tFrom = from;
  }

  private async widenForward(step: number): Promise<void> {
    const to = Math.min(this.e.targetHigh, this.tTo + step);
    this.T = [...this.T, ...(await this.read(this.to, this.tTo, to))];
    this.tTo = to;
  }

  /** The outcome, when the windows decide it; else which sides to widen. */
  private async judge(): Promise<PartitionOutcome | Widen> {
    const { e } = this;
    const complete = { source: this.sFrom <= e.sourceLow, back: this.tFrom <= e.targetLow, forward: this.tTo >= e.targetHigh };
    const onWindows = () => translatePartition({ partition: this.partition, committed: this.committed, source: this.S, target: this.T, targetLow: this.tFrom, targetHigh: this.tTo });
    if (complete.source && complete.back && complete.forward) return onWindows();
    const withLineage = this.S.every((r) => lineageOf(r) !== undefined) && this.T.every((r) => lineageOf(r) !== undefined);
    const doubt = withLineage ? lineageDoubt(this, complete) : await eventTimeDoubt(this, complete, (topic, ts) => this.firstAt(topic, ts));
    if (doubt) return doubt;
    const outcome = onWindows();
    // A cut at the window's forward edge, or a target not caught up within it, may move once more of the target is read.
    if (!complete.forward && (outcome.kind === 'behind' || (outcome.kind === 'matched' && outcome.offset >= this.tTo))) {
      return { forward: true, why: `the target window [${this.tFrom}, ${this.tTo}) ends before the first record the group has not seen` };
    }
    // By event time, a record the group has seen could still follow the cut (no index rules it out): a window's worth past the cut is read for it.
    if (!withLineage && !complete.forward && outcome.kind === 'matched' && this.T.filter((r) => r.offset >= outcome.offset).length < this.size) {
      return { forward: true, why: `fewer than ${this.size} target records after offset ${outcome.offset} read to look for one the group has seen` };
    }
    return outcome;
  }

  private exhausted(why: string): PartitionOutcome {
    return {
      partition: this.partition,
      kind: 'refused',
      reason: `no exact position found for partition ${this.partition} at committed offset ${this.committed} after widening the windows ${this.maxWidenings} times (source [${this.sFrom}, ${this.committed}), target [${this.tFrom}, ${this.tTo})): ${why}`,
    };
  }

  private done(outcome: PartitionOutcome): PartitionTranslation {
    const lastSeen = this.S.at(-1);
    const matched = outcome.kind === 'matched' && outcome.by !== 'nothing-seen' ? this.T.filter((r) => r.offset < outcome.offset).at(-1) : undefined;
    return { partition: this.partition, committed: this.committed, outcome, lastSeen, matched, recordsRead: this.recordsRead, lookups: this.lookups };
  }
}
