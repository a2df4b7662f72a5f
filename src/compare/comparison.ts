import { ComparisonError } from '../errors.ts';
import type { KafkaPort } from '../kafka/port.ts';
import type { SchemaRegistryPort } from '../kafka/registry.ts';
import type { Logger } from '../logger.ts';
import { assess } from '../analysis/assess.ts';
import { applyExpected } from '../analysis/expected.ts';
import { applyNoiseFloor } from '../analysis/noise-floor.ts';
import type { CompareConfig } from './config.ts';
import type { SideLabel } from './core.ts';
import type { Measurement, Window } from '../../comparators/types.ts';
import { localProcessor, type Processor, type ProcessorSetup } from './processor.ts';
import { workerProcessor, workerEligible } from './worker-processor.ts';
import { ComparisonSide, type ReaderSpec } from './side.ts';
import type { InputFloor } from './side-state.ts';
import { REPORT_SCHEMA, type ComparisonReport, type SideReport } from './report/model.ts';
import { lagSummary } from './report/lag.ts';
import { DivergenceResolver } from './keys/resolver.ts';

export interface ComparisonSpec {
  /** The authoritative output. */
  readonly a: ReaderSpec;
  /** The candidate (canary) output. */
  readonly b: ReaderSpec;
  /** A second copy of the authoritative output, for the noise floor. */
  readonly noise?: ReaderSpec | undefined;
  readonly config: CompareConfig;
  /**
   * Records (of every side) whose event time is before this are skipped, not
   * counted: the canary analysis starts both sides at the first whole window after
   * the fork, cut by each side's event time.
   */
  readonly eventTimeFloor?: number | undefined;
  /**
   * Records (of every side) caused by input before the fork are skipped, told apart
   * by their lineage headers: the canary analysis compares exactly the output of the
   * input after the fork savepoint on both sides (side-state.ts, InputFloor).
   */
  readonly inputFloor?: InputFloor | undefined;
}

export interface ComparisonDeps {
  readonly kafka: KafkaPort;
  readonly registry?: SchemaRegistryPort | undefined;
  readonly logger: Logger;
  /** Epoch ms: for idle partitions and read times in live mode, and the report's generatedAt. */
  readonly clock?: (() => number) | undefined;
  /**
   * Decode and check in a worker thread while this thread reads Kafka (JSON sides
   * only: Avro decodes through this thread's registry client). Default: for bounded
   * comparisons of at least WORKER_MIN_RECORDS records, where it pays for starting it.
   */
  readonly worker?: boolean | undefined;
}

export interface StepOptions {
  /** In live mode, return after this long even if no side produced a batch. Default 1000. */
  readonly timeoutMs?: number;
}

export interface Comparison {
  /** Reads one batch from whichever side is due, judges the windows it closes; false once finished. */
  step(options?: StepOptions): Promise<boolean>;
  /** Steps until both bounded reads end (or `signal` aborts a live one); returns the final report. */
  run(signal?: AbortSignal): Promise<ComparisonReport>;
  /** A snapshot of the report so far (with a worker: as of the batches it has finished). */
  report(): ComparisonReport;
  /** Waits (at most `timeoutMs`) until the diverging keys of every failed window judged so far are named. */
  settle(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Open (unjudged) windows allowed before only the slowest side is read. A side
 * ahead of the others fills windows that cannot close yet; past this many, reading
 * waits for the slow side, so memory is bounded by this many windows' state.
 */
const MAX_OPEN_WINDOWS = 16;

/** Records (all sides) from which a bounded comparison runs its checks in a worker thread by default. */
export const WORKER_MIN_RECORDS = 100_000;

/**
 * The comparison driver: two (or three, with the noise copy) sides read over the
 * KafkaPort; their batches go to a processor (this thread, or a worker thread)
 * that decodes them, aligns records into event-time windows and judges windows
 * once every side's watermark has passed their end plus the grace. Reading is
 * paced by the slowest side, so open windows — and memory — stay bounded.
 */
export function createComparison(spec: ComparisonSpec, deps: ComparisonDeps): Comparison {
  const c = spec.config;
  const clock = deps.clock ?? Date.now;
  const mk = (label: SideLabel, r: ReaderSpec, s: CompareConfig['a']) => new ComparisonSide(label, r, s, deps.kafka, deps.registry !== undefined);
  const a = mk('a', spec.a, c.a);
  const b = mk('b', spec.b, c.b);
  const n = spec.noise ? mk('noise', spec.noise, c.a) : undefined;
  const sides = n ? [a, b, n] : [a, b];
  let processor: Processor | undefined;
  let resolver: DivergenceResolver | undefined;
  let opened: Promise<void> | undefined;
  let finished = false;

  async function open(): Promise<void> {
    for (const s of sides) await s.check();
    const now = clock();
    const sideOptions = (s: ComparisonSide) => ({
      label: s.label,
      topic: s.spec.topic,
      settings: s.settings,
      allowedLateness: c.allowedLateness,
      maxUndecodable: c.maxUndecodable,
      idleTimeout: c.idleTimeout,
      windowSize: c.window,
      live: s.live,
      expected: s.expected,
      openedAt: now,
      eventTimeFloor: spec.eventTimeFloor,
      inputFloor: spec.inputFloor,
    });
    const setup: ProcessorSetup = { config: c, a: sideOptions(a), b: sideOptions(b), noise: n ? sideOptions(n) : undefined, registry: deps.registry };
    const big = sides.every((s) => !s.live) && sides.reduce((sum, s) => sum + s.available, 0) >= WORKER_MIN_RECORDS;
    processor = (deps.worker ?? big) && workerEligible(setup) ? await startWorker(setup) : localProcessor(setup);
    for (const s of sides) s.open(processor.readOptions?.(s.label));
    if (c.divergence?.enabled) {
      const avro = deps.registry ? (bytes: Buffer) => deps.registry!.decode(bytes) : undefined;
      resolver = new DivergenceResolver(deps.kafka, { a: { options: setup.a, avro }, b: { options: setup.b, avro } }, c.divergence, deps.logger);
    }
  }

  /** Judged measurements: noise floor, then expected differences (as the report shows them). */
  function judgedOf(view: ReturnType<Processor['results']>) {
    return applyExpected(n ? applyNoiseFloor(view.measurements, view.noiseMeasurements) : view.measurements, c.expected);
  }

  /** Hands the windows judged since the last call to the resolver, which names the keys of those that failed. */
  let seenMeasurements = -1;
  function resolveDivergences(judged?: ReturnType<typeof judgedOf>): void {
    if (!resolver || !processor) return;
    const fresh = processor.takeDivergences();
    const view = processor.results();
    // Judging again only pays when a divergent window came, or new measurements may fail one that waits.
    const moved = view.measurements.length !== seenMeasurements && resolver.waitingCount > 0;
    if (fresh.length === 0 && !moved) return;
    seenMeasurements = view.measurements.length;
    resolver.update(fresh, failedWindows(judged ?? judgedOf(view)));
  }

  /** A worker thread that cannot start (no thread support, a loader problem) leaves the work to this one. */
  async function startWorker(setup: ProcessorSetup): Promise<Processor> {
    try {
      return await workerProcessor(setup);
    } catch (e) {
      deps.logger.warn({ err: e instanceof Error ? e.message : String(e) }, 'comparison worker did not start; comparing in one thread');
      return localProcessor(setup);
    }
  }

  async function step(options: StepOptions = {}): Promise<boolean> {
    if (finished) return false;
    await (opened ??= open());
    const p = processor!;
    const live = sides.filter((s) => !s.done);
    if (live.length === 0) {
      await p.finish();
      finished = true;
      return false;
    }
    const wm = (s: ComparisonSide) => p.watermark(s.label);
    const slowest = Math.min(...live.map(wm));
    const due = p.openWindows > MAX_OPEN_WINDOWS ? live.filter((s) => wm(s) === slowest) : live;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), options.timeoutMs ?? 1000);
    });
    const winner = await Promise.race([...due.map((s) => s.next().then((r) => ({ s, r }))), timeout]);
    clearTimeout(timer);
    if (!winner) return true;
    winner.s.consumed();
    if (winner.r.done) {
      winner.s.done = true;
      await p.end(winner.s.label);
      return true;
    }
    await p.ingest(winner.s.label, winner.r.value, clock());
    resolveDivergences();
    return true;
  }

  function sideReport(label: SideLabel): SideReport {
    const { firstUndecodable, ...rest } = processor!.stats(label);
    const s = label === 'a' ? a : label === 'b' ? b : n!;
    return { ...rest, droppedLate: processor!.droppedLate(label), format: s.settings.format, firstUndecodable: firstUndecodable ?? null };
  }

  function report(): ComparisonReport {
    const view = processor?.results() ?? { measurements: [], noiseMeasurements: [], windows: [] };
    const judged = judgedOf(view);
    resolveDivergences(judged);
    const failed = failedWindows(judged);
    const withKeys = (w: Window) => {
      const keys = failed.has(w.start) ? resolver?.of(w.start) : undefined;
      return keys ? { start: w.start, end: w.end, divergingKeys: keys } : w;
    };
    const assessment = assess(judged, c.policy);
    const empty = (s: ComparisonSide): SideReport => ({ topic: s.spec.topic, records: 0, undecodable: 0, late: 0, droppedLate: 0, maxEventTime: null, watermark: null, emitTime: null, format: s.settings.format, firstUndecodable: null });
    return {
      schema: REPORT_SCHEMA,
      generatedAt: new Date(clock()).toISOString(),
      complete: finished,
      verdict: assessment.status,
      reason: assessment.reason,
      sides: processor
        ? { a: sideReport('a'), b: sideReport('b'), ...(n ? { noise: sideReport('noise') } : {}) }
        : { a: empty(a), b: empty(b), ...(n ? { noise: empty(n) } : {}) },
      settings: { window: c.window, grace: c.grace, allowedLateness: c.allowedLateness, ...(c.divergence?.ignoreFields.length ? { ignoreFields: c.divergence.ignoreFields } : {}) },
      expected: c.expected,
      assessment,
      windows: [...view.windows].sort((x, y) => x.start - y.start).map(withKeys),
      watermarkLag: lagSummary(judged),
      measurements: judged,
    };
  }

  async function close(): Promise<void> {
    await Promise.all(sides.map((s) => s.close().catch(() => undefined)));
    await resolver?.close();
    await processor?.close();
  }

  /** Event-time windows (by start) with a Failed measurement. */
  function failedWindows(judged: readonly Measurement[]): Set<number> {
    const out = new Set<number>();
    for (const m of judged) if (m.status === 'Failed') out.add(m.window.start);
    return out;
  }

  async function settle(timeoutMs: number): Promise<void> {
    resolveDivergences();
    if (!resolver) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([resolver.settle(), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }

  return {
    step,
    report,
    settle,
    close,
    async run(signal) {
      try {
        while (!signal?.aborted && (await step())) {
          /* keep stepping */
        }
        await processor?.flush();
        resolveDivergences();
        await resolver?.settle();
        return report();
      } catch (e) {
        if (e instanceof ComparisonError) deps.logger.error({ code: e.code }, e.message);
        throw e;
      } finally {
        await close();
      }
    },
  };
}
