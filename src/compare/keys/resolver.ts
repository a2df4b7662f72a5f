import type { KafkaPort } from '../../kafka/port.ts';
import type { Logger } from '../../logger.ts';
import type { Side } from '../../../comparators/types.ts';
import type { WindowDivergence } from './buckets.ts';
import type { DivergingKeys } from './divergence.ts';
import { ValueDigester } from './digest.ts';
import { divergingKeys, type RereadSide } from './reread.ts';
import type { DivergenceSettings } from './settings.ts';

/** Divergent windows that did not fail, kept in case a later judgment fails them; the oldest go first. */
const MAX_WAITING = 64;

const NONE: DivergingKeys = { onlyAuthoritative: [], onlyCandidate: [], different: [], truncated: 0, exact: true };

/**
 * Names the diverging keys of failed windows, one window at a time, in the
 * background of the comparison: a window whose key-range checksums differed and
 * that failed is read again (reread.ts); the answer is kept for the report.
 */
export class DivergenceResolver {
  private readonly answers = new Map<number, DivergingKeys>();
  /** Starts of every window whose checksums differed. */
  private readonly divergent = new Set<number>();
  private waiting: WindowDivergence[] = [];
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly digester: ValueDigester;

  constructor(
    private readonly kafka: KafkaPort,
    private readonly sides: Readonly<Record<Side, RereadSide>>,
    private readonly settings: DivergenceSettings,
    private readonly logger: Logger,
  ) {
    this.digester = new ValueDigester(settings.ignoreFields);
  }

  /** Takes the divergences judged since the last call and starts naming the keys of those whose window failed (now or since). */
  update(fresh: readonly WindowDivergence[], failed: ReadonlySet<number>): void {
    for (const d of fresh) {
      this.divergent.add(d.window.start);
      this.waiting.push(d);
    }
    const still: WindowDivergence[] = [];
    for (const d of this.waiting) {
      if (failed.has(d.window.start)) this.start(d);
      else still.push(d);
    }
    this.waiting = still.slice(-MAX_WAITING);
  }

  /** Divergent windows that have not failed (yet). */
  get waitingCount(): number {
    return this.waiting.length;
  }

  /**
   * The diverging keys of a failed window: named, none (its checksums were
   * equal), or undefined while they are still being read.
   */
  of(start: number): DivergingKeys | undefined {
    return this.answers.get(start) ?? (this.divergent.has(start) ? undefined : NONE);
  }

  /** Resolves once every window started so far is named. */
  settle(): Promise<void> {
    return this.chain;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.chain;
  }

  private start(d: WindowDivergence): void {
    const o = { sample: this.settings.sample, budget: this.settings.maxKeys, digester: this.digester };
    this.chain = this.chain.then(async () => {
      if (this.closed) return;
      try {
        this.answers.set(d.window.start, await divergingKeys(this.kafka, d, this.sides, o));
      } catch (e) {
        const error = e instanceof Error ? e.message : String(e);
        this.logger.warn({ window: d.window, err: error }, 'could not read a failed window again to name its diverging keys');
        this.answers.set(d.window.start, { ...NONE, exact: false, error });
      }
    });
  }
}
