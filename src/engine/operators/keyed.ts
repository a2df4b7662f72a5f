/**
 * Base of keyed operators: routes each element to its key (and key group), owns the
 * per-key-group state store and the event/processing-time timer queues, and fires
 * timers in timestamp order when the watermark (or the injected clock) passes them.
 * The `parallelism` logical subtasks each own the contiguous key-group range
 * `rangeOf(i)`; since all run in this process, a subtask is a view over its range
 * (for status and snapshots), and rescaling needs no data movement.
 */
import type { IncomingRecord } from '../../kafka/port.ts';
import type { GraphNode, KeySpec } from '../api/graph.ts';
import { assignRanges, type KeyGroupRange } from '../key-groups.ts';
import { KeyResolver, type ResolvedKey } from '../key.ts';
import { KeyedStateStore, type KeyEntry } from '../state/store.ts';
import { ChangedKeys } from '../state/changes.ts';
import { TimerQueue, type Timer } from '../timers.ts';
import { UNKNOWN_SOURCE } from '../../lineage.ts';
import { Operator, type RuntimeContext } from './operator.ts';

export abstract class KeyedOperator extends Operator {
  readonly keySpec: KeySpec;
  readonly keys: KeyResolver;
  readonly store: KeyedStateStore;
  readonly eventTimers = new TimerQueue();
  readonly processingTimers = new TimerQueue();
  readonly ranges: KeyGroupRange[];

  // The key in scope while user code runs.
  protected currentKey: unknown;
  protected currentKeyString = '';
  protected currentKeyGroup = 0;
  protected currentTimestamp = 0;
  protected currentSource: IncomingRecord = UNKNOWN_SOURCE;
  private currentResolved: ResolvedKey | undefined;
  /** Set while a tracked savepoint's changes are recorded (see ChangedKeys). */
  changes: ChangedKeys | undefined;
  /** A state write the record in scope made was refused (state/checks.ts): the record fails, caught or not. */
  private rejection: Error | undefined;

  constructor(node: GraphNode, rt: RuntimeContext, slotCount: number) {
    super(node, rt);
    this.keySpec = (node as unknown as { key: KeySpec }).key;
    this.keys = new KeyResolver(rt.maxParallelism);
    this.store = new KeyedStateStore(rt.maxParallelism, slotCount);
    this.ranges = assignRanges(rt.maxParallelism, rt.parallelism);
  }

  /** Puts the element's key in scope; false (after a dead letter) when the key selector throws. */
  protected enterKey(value: unknown, timestamp: number, source: IncomingRecord): boolean {
    let key: unknown;
    try {
      key = (this.keySpec.selector as (v: unknown) => unknown)(value);
    } catch (e) {
      this.failed(e, source);
      return false;
    }
    const r = this.keys.resolve(key);
    this.currentResolved = r;
    this.currentKey = key;
    this.currentKeyString = r.keyString;
    this.currentKeyGroup = r.keyGroup;
    this.currentTimestamp = timestamp;
    this.currentSource = source;
    this.changes?.touch(r.keyString, r.keyGroup);
    return true;
  }

  protected enterTimer(t: Timer): void {
    this.currentResolved = undefined;
    this.currentKeyString = t.keyString;
    this.currentKeyGroup = t.keyGroup;
    this.currentKey = this.store.get(t.keyGroup, t.keyString)?.key ?? JSON.parse(t.keyString);
    this.currentTimestamp = t.timestamp;
    this.currentSource = (t.payload as IncomingRecord | undefined) ?? UNKNOWN_SOURCE;
    this.changes?.touch(t.keyString, t.keyGroup);
  }

  /** Records the keys touched from now on, against the base `baseId` (replacing any earlier tracking). */
  trackChanges(baseId: string): void {
    this.changes = new ChangedKeys(baseId);
  }

  entry(): KeyEntry | undefined {
    const cached = this.currentResolved?.entry as KeyEntry | undefined;
    if (cached !== undefined && !cached.removed) return cached;
    return this.store.get(this.currentKeyGroup, this.currentKeyString);
  }

  ensureEntry(): KeyEntry {
    const r = this.currentResolved;
    const cached = r?.entry as KeyEntry | undefined;
    if (cached !== undefined && !cached.removed) return cached;
    const e = this.store.getOrCreate(this.currentKeyGroup, this.currentKeyString, this.currentKey);
    if (r) r.entry = e;
    return e;
  }

  releaseIfEmpty(): void {
    this.store.removeIfEmpty(this.currentKeyGroup, this.currentKeyString);
  }

  scopeKey(): string {
    return this.currentKeyString;
  }

  reject(error: Error): Error {
    this.rejection ??= error;
    return error;
  }

  /**
   * Runs after user code for one record or timer: `thrown` is what it threw, if it
   * did. A refused state write fails the record even when user code caught it, and
   * is named rather than whatever the code threw after it.
   */
  protected settle(thrown: unknown, source: IncomingRecord): void {
    const error = this.rejection ?? thrown;
    this.rejection = undefined;
    if (error !== undefined) this.failed(error, source);
  }

  protected abstract onTimer(timer: Timer, domain: 'event' | 'processing'): void;

  /** Timers fire before the watermark moves on, so downstream sees their output first. */
  protected override onWatermark(watermark: number): void {
    for (let t = this.eventTimers.pollUpTo(watermark); t; t = this.eventTimers.pollUpTo(watermark)) this.fire(t, 'event');
  }

  override onProcessingTime(now: number): void {
    for (let t = this.processingTimers.pollUpTo(now); t; t = this.processingTimers.pollUpTo(now)) this.fire(t, 'processing');
  }

  private fire(t: Timer, domain: 'event' | 'processing'): void {
    this.enterTimer(t);
    let thrown: unknown;
    try {
      this.onTimer(t, domain);
    } catch (e) {
      thrown = e ?? new Error(String(e));
    }
    this.settle(thrown, this.currentSource);
  }

  override keysInState(): number {
    return this.store.size;
  }

  keysPerSubtask(): number[] {
    return this.ranges.map((r) => this.store.countIn(r));
  }
}
