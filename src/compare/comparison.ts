import { ComparisonError } from '../errors.ts';
import type { KafkaPort } from '../kafka/port.ts';
import type { SchemaRegistryPort } from '../kafka/registry.ts';
import type { Logger } from '../logger.ts';
import type { Measurement, Side, Window, WindowContext } from '../../comparators/types.ts';
import { avroFields } from '../../comparators/shared/fields.ts';
import { assess } from '../analysis/assess.ts';
import { applyExpected } from '../analysis/expected.ts';
import { applyNoiseFloor } from '../analysis/noise-floor.ts';
import type { CompareConfig } from './config.ts';
import { ComparisonSide, type ReaderSpec } from './side.ts';
import { WindowSet } from './windows.ts';
import { REPORT_SCHEMA, type ComparisonReport, type SideReport } from './report/model.ts';

export interface ComparisonSpec {
  /** The authoritative output. */
  readonly a: ReaderSpec;
  /** The candidate (canary) output. */
  readonly b: ReaderSpec;
  /** A second copy of the authoritative output, for the noise floor. */
  readonly noise?: ReaderSpec | undefined;
  readonly config: CompareConfig;
}

export interface ComparisonDeps {
  readonly kafka: KafkaPort;
  readonly registry?: SchemaRegistryPort | undefined;
  readonly logger: Logger;
  /** Epoch ms: for idle partitions in live mode and the report's generatedAt. */
  readonly clock?: (() => number) | undefined;
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
  /** A snapshot of the report so far. */
  report(): ComparisonReport;
  close(): Promise<void>;
}

/**
 * Open (unjudged) windows allowed before only the slowest side is read. A side
 * ahead of the others fills windows that cannot close yet; past this many, reading
 * waits for the slow side, so memory is bounded by this many windows' state.
 */
const MAX_OPEN_WINDOWS = 16;

/**
 * The comparison driver: two (or three, with the noise copy) sides read over the
 * KafkaPort, records aligned into event-time windows, windows judged by the checks
 * once every side's watermark has passed their end plus the grace. Reading is paced
 * by the slowest side, so open windows — and memory — stay bounded.
 */
export function createComparison(spec: ComparisonSpec, deps: ComparisonDeps): Comparison {
  const c = spec.config;
  const clock = deps.clock ?? Date.now;
  const mk = (label: string, r: ReaderSpec, s: CompareConfig['a']) => new ComparisonSide(label, r, s, c.allowedLateness, c.maxUndecodable, deps.kafka, deps.registry, clock, c.idleTimeout);
  const a = mk('a', spec.a, c.a);
  const b = mk('b', spec.b, c.b);
  const n = spec.noise ? mk('noise', spec.noise, c.a) : undefined;
  const sides = n ? [a, b, n] : [a, b];
  const main = new WindowSet(c.window, c.grace, c.checks);
  const noiseSet = n ? new WindowSet(c.window, c.grace, c.checks) : undefined;
  const measurements: Measurement[] = [];
  const noiseMeasurements: Measurement[] = [];
  const windows = new Map<number, Window>();
  let opened: Promise<void> | undefined;
  let finished = false;
  let schemaInfo: Promise<SchemaInfo> | undefined;

  interface SchemaInfo {
    a?: Record<string, string> | undefined;
    b?: Record<string, string> | undefined;
    noise?: Record<string, string> | undefined;
    compatibility?: WindowContext['compatibility'];
  }

  async function resolveSchemas(): Promise<SchemaInfo> {
    if (!deps.registry) return {};
    const reg = deps.registry;
    const fields = async (s: ComparisonSide) => (s.settings.format === 'avro' && s.schemaId !== undefined ? avroFields(await reg.schemaById(s.schemaId)) : undefined);
    const info: SchemaInfo = { a: await fields(a), b: await fields(b), ...(n ? { noise: await fields(n) } : {}) };
    if (a.settings.format === 'avro' && b.schemaId !== undefined && b.settings.format === 'avro') {
      const schemaB = await reg.schemaById(b.schemaId);
      info.compatibility = await reg.checkCompatibility(a.settings.subject ?? `${a.spec.topic}-value`, schemaB);
    }
    return info;
  }

  const contextFor = (x: ComparisonSide, y: ComparisonSide, info: SchemaInfo) => (window: Window, late: Record<Side, number>): WindowContext => ({
    window,
    a: { watermark: x.effectiveWatermark(), lateRecords: late.a, schemaFields: info[x.label as 'a'] },
    b: { watermark: y.effectiveWatermark(), lateRecords: late.b, schemaFields: info[y.label as 'b' | 'noise'] },
    compatibility: y === b ? info.compatibility : undefined,
  });

  async function judge(): Promise<void> {
    const mainTime = Math.min(a.effectiveWatermark(), b.effectiveWatermark());
    const noiseTime = n ? Math.min(a.effectiveWatermark(), n.effectiveWatermark()) : -Infinity;
    if (mainTime === -Infinity && noiseTime === -Infinity) return;
    // Schemas are looked up once, when the first window may close (ids are known by then).
    const info = await (schemaInfo ??= resolveSchemas());
    for (const m of main.closeUpTo(mainTime, contextFor(a, b, info))) {
      measurements.push(m);
      windows.set(m.window.start, m.window);
    }
    if (noiseSet && n) noiseMeasurements.push(...noiseSet.closeUpTo(noiseTime, contextFor(a, n, info)));
  }

  async function step(options: StepOptions = {}): Promise<boolean> {
    if (finished) return false;
    opened ??= (async () => {
      for (const s of sides) await s.check();
      for (const s of sides) s.open();
    })();
    await opened;
    const live = sides.filter((s) => !s.done);
    if (live.length === 0) {
      await judge();
      finished = true;
      return false;
    }
    const slowest = Math.min(...live.map((s) => s.effectiveWatermark()));
    const crowded = main.openWindows > MAX_OPEN_WINDOWS || (noiseSet?.openWindows ?? 0) > MAX_OPEN_WINDOWS;
    const due = crowded ? live.filter((s) => s.effectiveWatermark() === slowest) : live;
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
      await judge();
      return true;
    }
    const { partition, records } = await winner.s.decode(winner.r.value);
    const now = clock();
    for (const r of records) {
      // Late: the partition's watermark had already passed the end of the record's
      // window (reordering inside a window is not lateness).
      const late = main.startOf(r.eventTime) + c.window <= winner.s.observe(partition, r.eventTime, now);
      if (late) winner.s.stats.late++;
      if (winner.s === a) {
        main.add('a', r, late);
        noiseSet?.add('a', r, late);
      } else if (winner.s === b) main.add('b', r, late);
      else noiseSet?.add('b', r, late);
    }
    winner.s.advance();
    await judge();
    return true;
  }

  function sideReport(s: ComparisonSide, set: WindowSet, as: Side): SideReport {
    const { firstUndecodable, ...rest } = s.stats;
    return { ...rest, droppedLate: set.droppedLate[as], format: s.settings.format, firstUndecodable: firstUndecodable ?? null };
  }

  function report(): ComparisonReport {
    const judged = applyExpected(noiseSet ? applyNoiseFloor(measurements, noiseMeasurements) : measurements, c.expected);
    const assessment = assess(judged, c.policy);
    return {
      schema: REPORT_SCHEMA,
      generatedAt: new Date(clock()).toISOString(),
      complete: finished,
      verdict: assessment.status,
      reason: assessment.reason,
      sides: { a: sideReport(a, main, 'a'), b: sideReport(b, main, 'b'), ...(n && noiseSet ? { noise: sideReport(n, noiseSet, 'b') } : {}) },
      settings: { window: c.window, grace: c.grace, allowedLateness: c.allowedLateness },
      expected: c.expected,
      assessment,
      windows: [...windows.values()].sort((x, y) => x.start - y.start),
      measurements: judged,
    };
  }

  async function close(): Promise<void> {
    await Promise.all(sides.map((s) => s.close().catch(() => undefined)));
  }

  return {
    step,
    report,
    close,
    async run(signal) {
      try {
        while (!signal?.aborted && (await step())) {
          /* keep stepping */
        }
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
