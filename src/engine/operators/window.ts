/**
 * `keyBy(...).window(assigner).allowedLateness(d).aggregate(uid, agg)`.
 *
 * Per key, one map from window id to its accumulator. A window fires (emits
 * `{key, start, end, value}` at event time end − 1) when the watermark reaches
 * end − 1; its state is kept until end − 1 + allowedLateness, and a late record in
 * that span updates the accumulator and re-emits the result at once. A record whose
 * window is past even that goes to the late side output (or is dropped) and counts as late.
 * An accumulator the codec would not encode fails the record and is not stored.
 */
import type { IncomingRecord } from '../../kafka/port.ts';
import type { GraphNode } from '../api/graph.ts';
import type { AggregateFunction } from '../api/context.ts';
import type { StateCodec } from '../api/codecs.ts';
import { fits, stateValueError } from '../state/checks.ts';
import { assignWindows, mergeSession, windowId, type TimeWindow, type WindowAssigner } from '../windows.ts';
import type { Timer } from '../timers.ts';
import { KeyedOperator } from './keyed.ts';
import type { RuntimeContext } from './operator.ts';

export interface WindowSlot {
  readonly window: TimeWindow;
  acc: unknown;
  /** The last record that updated the window: the lineage of its result. */
  source: IncomingRecord;
}

export class WindowOperator extends KeyedOperator {
  readonly codec: StateCodec<unknown>;
  private readonly agg: AggregateFunction<unknown, unknown, unknown>;
  private readonly assigner: WindowAssigner;
  private readonly lateness: number;
  private readonly lateTag: string | undefined;

  constructor(node: GraphNode, rt: RuntimeContext) {
    super(node, rt, 1);
    const n = node as Extract<GraphNode, { kind: 'window' }>;
    this.agg = n.agg;
    this.codec = n.codec;
    this.assigner = n.assigner;
    this.lateness = n.allowedLateness;
    this.lateTag = n.lateTag;
  }

  private slots(create: boolean): Map<string, WindowSlot> | undefined {
    const entry = create ? this.ensureEntry() : this.entry();
    if (!entry) return undefined;
    let m = entry.slots[0] as Map<string, WindowSlot> | undefined;
    if (!m && create) entry.slots[0] = m = new Map();
    return m;
  }

  private isLate(w: TimeWindow): boolean {
    return w.end - 1 + this.lateness <= this.metrics.watermark;
  }

  processElement(value: unknown, timestamp: number, source: IncomingRecord): void {
    this.metrics.recordsIn++;
    if (!this.enterKey(value, timestamp, source)) return;
    let late = false;
    try {
      for (const assigned of assignWindows(this.assigner, timestamp)) {
        const w = this.assigner.type === 'session' ? this.mergeInto(assigned) : assigned;
        if (w === undefined || this.isLate(w)) {
          late = true;
          continue;
        }
        const slots = this.slots(true)!;
        const id = windowId(w);
        let slot = slots.get(id);
        const acc = this.agg.add(value, slot ? slot.acc : this.agg.createAccumulator());
        // Checked before it is stored: a window never holds what a snapshot could not encode.
        this.checkAcc(acc, slots);
        if (!slot) {
          slot = { window: w, acc, source };
          slots.set(id, slot);
        }
        slot.acc = acc;
        slot.source = source;
        if (this.lateness > 0) this.eventTimers.add(this.currentKeyString, this.currentKeyGroup, w.end - 1 + this.lateness, id);
        // Already fired: a late record within allowed lateness updates the result now.
        if (w.end - 1 <= this.metrics.watermark) this.emitResult(slot);
        else this.eventTimers.add(this.currentKeyString, this.currentKeyGroup, w.end - 1, id);
      }
    } catch (e) {
      // A key this record would have created holds an empty map: drop it with the key.
      if (this.slots(false)?.size === 0) this.entry()!.slots[0] = undefined;
      this.releaseIfEmpty();
      this.failed(e, source);
      return;
    }
    if (late) {
      this.metrics.late++;
      if (this.lateTag !== undefined) this.emitSide(this.lateTag, value, timestamp, source);
    }
  }

  /** Session windows: merges the new window with the key's overlapping sessions; undefined when late. */
  private mergeInto(incoming: TimeWindow): TimeWindow | undefined {
    const slots = this.slots(false);
    const existing = slots ? [...slots.values()].map((s) => s.window) : [];
    const { result, absorbed } = mergeSession(existing, incoming);
    if (this.isLate(result)) return undefined;
    if (absorbed.length === 1 && absorbed[0]!.start === result.start && absorbed[0]!.end === result.end) return result;
    let acc: unknown;
    let source = this.currentSource;
    for (const w of absorbed) {
      const s = slots!.get(windowId(w))!;
      acc = acc === undefined ? s.acc : this.agg.merge!(acc, s.acc);
      source = s.source;
    }
    // Checked before any session is taken apart: a refused merge leaves them as they were.
    if (acc !== undefined) this.checkAcc(acc, slots!);
    for (const w of absorbed) {
      const id = windowId(w);
      slots!.delete(id);
      this.eventTimers.delete(this.currentKeyString, w.end - 1, id);
      this.eventTimers.delete(this.currentKeyString, w.end - 1 + this.lateness, id);
    }
    if (acc !== undefined) this.slots(true)!.set(windowId(result), { window: result, acc, source });
    return result;
  }

  /**
   * Throws (failing the record) when `acc` would not encode. A stored accumulator
   * the aggregate (or a merge) changed in place so that it no longer encodes either
   * is dropped with its window.
   */
  private checkAcc(acc: unknown, slots: Map<string, WindowSlot>): void {
    const problem = this.codec.check?.(acc);
    if (!problem) return;
    let dropped = false;
    for (const [id, s] of slots) {
      if (!fits(this.codec, s.acc)) {
        slots.delete(id);
        dropped = true;
      }
    }
    throw stateValueError({ operator: this.node.name, state: 'windows', kind: 'window accumulator', key: this.currentKeyString, problem, dropped });
  }

  private emitResult(slot: WindowSlot): void {
    const value = { key: this.currentKey, start: slot.window.start, end: slot.window.end, value: this.agg.getResult(slot.acc) };
    this.emit(value, slot.window.end - 1, slot.source);
  }

  protected onTimer(timer: Timer): void {
    const slots = this.slots(false);
    const slot = slots?.get(timer.namespace);
    if (!slots || !slot) return;
    const w = slot.window;
    if (timer.timestamp === w.end - 1) this.emitResult(slot);
    if (timer.timestamp === w.end - 1 + this.lateness) {
      slots.delete(timer.namespace);
      if (slots.size === 0) {
        this.entry()!.slots[0] = undefined;
        this.releaseIfEmpty();
      }
    }
  }
}
