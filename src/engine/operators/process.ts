/** `keyBy(...).process(uid, fn)`: user code with keyed state, timers and side outputs. */
import type { IncomingRecord } from '../../kafka/port.ts';
import type { GraphNode } from '../api/graph.ts';
import type { OnTimerContext, OutputTag, ProcessFunction } from '../api/context.ts';
import type { AnyStateDescriptor } from '../api/state.ts';
import { StateHandles } from '../state/handles.ts';
import type { Timer } from '../timers.ts';
import { KeyedOperator } from './keyed.ts';
import type { RuntimeContext } from './operator.ts';

export class ProcessOperator extends KeyedOperator {
  readonly states: readonly AnyStateDescriptor[];
  private readonly fn: ProcessFunction<unknown, unknown, unknown>;
  private readonly ctx: OnTimerContext<unknown, unknown>;
  private domain: 'event' | 'processing' = 'event';

  constructor(node: GraphNode, rt: RuntimeContext) {
    const n = node as Extract<GraphNode, { kind: 'process' }>;
    super(node, rt, n.states.length);
    this.states = n.states;
    this.fn = n.fn as unknown as ProcessFunction<unknown, unknown, unknown>;
    this.ctx = this.makeContext(new StateHandles(this, n.states, node.name));
  }

  private makeContext(state: StateHandles): OnTimerContext<unknown, unknown> {
    // One context object, re-pointed at the current key; user code must not keep it.
    // Its getters need the operator, not the context, as `this`.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const op = this;
    return {
      get key() {
        return op.currentKey;
      },
      get timestamp() {
        return op.currentTimestamp;
      },
      get watermark() {
        return op.metrics.watermark;
      },
      get domain() {
        return op.domain;
      },
      state,
      timers: {
        eventTime: (ts) => op.eventTimers.add(op.currentKeyString, op.currentKeyGroup, ts, '', op.currentSource),
        processingTime: (ts) => op.processingTimers.add(op.currentKeyString, op.currentKeyGroup, ts, '', op.currentSource),
        deleteEventTime: (ts) => op.eventTimers.delete(op.currentKeyString, ts),
        deleteProcessingTime: (ts) => op.processingTimers.delete(op.currentKeyString, ts),
        now: () => op.rt.clock.now(),
      },
      emit: (value, timestamp) => op.emit(value, timestamp ?? op.currentTimestamp, op.currentSource),
      output: <X>(tag: OutputTag<X>, value: X) => op.emitSide(tag.id, value, op.currentTimestamp, op.currentSource),
    };
  }

  processElement(value: unknown, timestamp: number, source: IncomingRecord): void {
    this.metrics.recordsIn++;
    if (!this.enterKey(value, timestamp, source)) return;
    this.domain = 'event';
    let thrown: unknown;
    try {
      this.fn.processElement(value, this.ctx);
    } catch (e) {
      // `throw undefined` still fails the record.
      thrown = e ?? new Error(String(e));
    }
    this.settle(thrown, source);
  }

  protected onTimer(timer: Timer, domain: 'event' | 'processing'): void {
    this.domain = domain;
    this.fn.onTimer?.(timer.timestamp, this.ctx);
  }
}
