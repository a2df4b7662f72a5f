/**
 * The shadow loop of one deployment (runs in its supervisor process): the live
 * comparison of the authoritative output and the canary topic, the report files
 * it keeps current, and the events it feeds the lifecycle — minimumReached once
 * the analysis minimum (duration, windows, records) is met, then the verdicts.
 * A fail may come early; a pass never does (the transition enforces it too).
 *
 * Both sides start where they describe the same input (comparisonStarts).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describeUnknown, isPitlaneError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import type { KafkaPort, StartPosition } from '../../kafka/port.ts';
import type { SchemaRegistryPort } from '../../kafka/registry.ts';
import { ReportHistory, createComparison, renderHtml, renderJson, renderTerminal, type Comparison, type ComparisonReport, type InputFloor } from '../../compare/index.ts';
import type { Deployment, DeploymentEvent, VerdictStatus } from '../lifecycle/model.ts';
import { noiseReplicaOf } from '../lifecycle/model.ts';
import type { JobStatus } from '../../engines/adapter.ts';
import type { ShadowPorts } from './ports.ts';
import { compareConfigOf } from './compare-config.ts';
import { failureSummary } from '../view.ts';
import { sleep, type Clock } from '../../clock.ts';
import { writeFileAtomicSync } from '../../files.ts';

export interface ShadowDeps {
  readonly kafka: KafkaPort;
  readonly registry?: SchemaRegistryPort | undefined;
  readonly logger: Logger;
  readonly clock: Clock;
}

const WATCHED = new Set(['Shadowing', 'Analyzing', 'Passed', 'Inconclusive', 'Failed']);

/**
 * Where both sides of the shadow comparison start: the authoritative side at the
 * output offsets recorded with the fork savepoint, the canary topic from its
 * beginning — so both sides are exactly the output of the input after the fork.
 * An engine that cannot cut its output exactly at the savepoint (Flink) gives
 * offsets before it: the authoritative side starts there and the input floor
 * (comparisonInputFloor) drops the output of the input before the fork.
 */
export function comparisonStarts(d: Deployment): { a: StartPosition; b: StartPosition } {
  const sp = d.fork?.savepoint;
  if (sp?.outputOffsets && sp.outputOffsets.length > 0) return { a: { offsets: sp.outputOffsets, otherwise: 'earliest' }, b: 'earliest' };
  if (sp?.outputFrom && sp.outputFrom.length > 0) return { a: { offsets: sp.outputFrom, otherwise: 'earliest' }, b: 'earliest' };
  if (d.spec.start.from === 'earliest') return { a: 'earliest', b: 'earliest' };
  const at = { timestamp: sp?.completedAt ?? d.createdAt };
  return { a: at, b: at };
}

/**
 * Both sides skip the output of input before the fork savepoint's source offsets, by
 * each record's lineage headers. A record without lineage is kept (the event-time
 * floor cuts those): dropping it by its timestamp would drop every record of a job
 * whose timestamps are event times from the past, a replay.
 */
export function comparisonInputFloor(d: Deployment): InputFloor | undefined {
  const sp = d.fork?.savepoint;
  if (!sp || sp.sourceOffsets.length === 0) return undefined;
  return { offsets: sp.sourceOffsets };
}

/**
 * The fork lands mid-window: judging that partial window compares two versions on
 * a sliver of input, which is noise. Both sides therefore skip records whose event
 * time is before the first whole window after the fork's watermark (plus one
 * window of margin for out-of-order input). The cut is by event time on both
 * sides, so they still describe the same input.
 */
export function eventTimeFloor(d: Deployment): number | undefined {
  const wm = d.fork?.savepoint.watermark;
  if (wm === undefined) return undefined;
  const w = d.spec.analysis.window;
  return (Math.floor(wm / w) + 2) * w;
}

/** The current report files, and a numbered copy in the history when the analysis moved (compare/report/history.ts). */
function writeReports(dir: string, report: ComparisonReport, history: ReportHistory): void {
  mkdirSync(dir, { recursive: true });
  const put = (file: string, text: string) => writeFileAtomicSync(join(dir, file), text);
  put('report.json', renderJson(report));
  put('report.txt', renderTerminal(report));
  put('report.html', renderHtml(report));
  history.record(report);
}

const VERDICT: Record<string, VerdictStatus | undefined> = { Successful: 'pass', Failed: 'fail', Inconclusive: 'inconclusive' };

/** The event the current report asks for in the deployment's phase, if any. */
export function nextEvent(d: Deployment, report: ComparisonReport, now: number, candidateDown: string | undefined): DeploymentEvent | undefined {
  if (candidateDown && (d.phase === 'Shadowing' || d.phase === 'Analyzing' || d.phase === 'Inconclusive' || d.phase === 'Passed')) {
    return { type: 'verdict', status: 'fail', reason: `the candidate job is not running: ${candidateDown}` };
  }
  const v = VERDICT[report.verdict];
  const reason = report.reason;
  if (d.phase === 'Shadowing') {
    if (v === 'fail') return { type: 'verdict', status: 'fail', reason };
    const m = d.spec.analysis.minimum;
    const since = d.fork?.savepoint.completedAt ?? d.createdAt;
    const records = Math.min(report.sides.a.records, report.sides.b.records);
    if (now - since >= m.duration && report.windows.length >= m.windows && records >= m.records) return { type: 'minimumReached' };
    return undefined;
  }
  if (d.phase === 'Analyzing' && v) return { type: 'verdict', status: v, reason };
  if (d.phase === 'Inconclusive' && v && v !== 'inconclusive') return { type: 'verdict', status: v, reason };
  if (d.phase === 'Passed' && v === 'fail') return { type: 'verdict', status: 'fail', reason };
  return undefined;
}

/** How often a pass whose auto-promotion the confirm hook held is offered to the hook again (Flagger asks each analysis interval). */
export const CONFIRM_RETRY_MS = 10_000;

/**
 * A deployment recorded Passed under `promotion.auto` is one whose confirm hook held
 * the promotion (a pass with auto promotes otherwise): while the candidate still
 * passes, the promotion is asked for again; the controller asks the hook first.
 */
export function heldAutoPromotion(d: Deployment, report: ComparisonReport): DeploymentEvent | undefined {
  if (d.phase === 'Passed' && d.spec.promotion.auto && report.verdict === 'Successful') return { type: 'promote', by: 'auto (the confirm hook asked again)' };
  return undefined;
}

/**
 * Why a job the analysis needs is not running, or undefined while it runs. A job its
 * engine is restarting after a failure (the embedded keeper, or Flink's own restart
 * strategy) is not down: it resumes from its latest checkpoint, exactly once, and the
 * comparison judges what it writes. It is down once the engine gives up on it (its
 * restart limit): failed, with the engine's cause.
 */
export function whyDown(s: JobStatus | undefined): string | undefined {
  if (!s || (s.state !== 'failed' && s.state !== 'unknown' && s.state !== 'cancelled')) return undefined;
  return `${s.state}${s.failure ? `: ${failureSummary(s.failure)}` : ''}`;
}

/** A restart the engine reported since the loop last looked: logged, so the supervisor's log tells the shadow's story. */
function noteRestarts(log: Logger, jobId: string, s: JobStatus | undefined, seen: Map<string, number>): void {
  const n = s?.restarts ?? 0;
  if (n > (seen.get(jobId) ?? 0)) log.warn({ job: jobId, restarts: n, state: s?.state, lastFailure: s?.lastFailure?.reason }, 'the engine restarted a job after a failure; the comparison goes on');
  seen.set(jobId, n);
}

export async function runShadow(ports: ShadowPorts, name: string, deps: ShadowDeps, signal: AbortSignal): Promise<void> {
  const log = deps.logger.child({ deployment: name });
  let d = await ports.deployments.load(name);
  if (!d) throw new Error(`no deployment ${name}`);
  const config = await compareConfigOf(d.spec);
  const dir = ports.reportDir;
  const history = new ReportHistory(dir);
  let comparison: Comparison | undefined;
  const noise = noiseReplicaOf(d);
  /** Why the noise side was dropped (its replica stopped); the comparison then runs on a and b alone. */
  let noiseLost: string | undefined;
  const open = (dep: Deployment) => {
    const from = comparisonStarts(dep);
    // The replica starts where the candidate does, so its topic is read like the canary's.
    const withNoise = noise && noiseLost === undefined ? { noise: { topic: noise.topic, from: from.b, to: 'follow' as const } } : {};
    return createComparison(
      { a: { topic: dep.spec.authoritative.output, from: from.a, to: 'follow' }, b: { topic: dep.spec.candidate.canary, from: from.b, to: 'follow' }, ...withNoise, config, eventTimeFloor: eventTimeFloor(dep), inputFloor: comparisonInputFloor(dep) },
      { kafka: deps.kafka, registry: deps.registry, logger: deps.logger, clock: () => deps.clock.now() },
    );
  };
  let lastEval = 0;
  let lastAsk = deps.clock.now();
  let authWasDown: string | undefined;
  const restarts = new Map<string, number>();
  while (!signal.aborted && WATCHED.has(d.phase)) {
    try {
      comparison ??= open(d);
      await comparison.step({ timeoutMs: 250 });
    } catch (e) {
      // A broker restart or a reader error: start the comparison again (it is a pure
      // function of the two topics, so re-reading gives the same windows).
      log.warn({ err: describeUnknown(e) }, 'comparison step failed; reopening');
      await comparison?.close().catch(() => undefined);
      comparison = undefined;
      await sleep(1000);
      continue;
    }
    if (deps.clock.now() - lastEval < 1000) continue;
    lastEval = deps.clock.now();
    const report = comparison.report();
    writeReports(dir, report, history);
    try {
      d = (await ports.deployments.load(name)) ?? d;
    } catch (e) {
      // The store is a Kafka topic: during a broker outage it cannot be read. The
      // comparison keeps its place; the lifecycle is fed again once it can be.
      log.warn({ err: describeUnknown(e) }, 'cannot read the deployment store; retrying');
      continue;
    }
    const candidate = await ports.jobs.status(d.jobs.candidate).catch(() => undefined);
    noteRestarts(log, d.jobs.candidate, candidate, restarts);
    const down = whyDown(candidate);
    if (noise && noiseLost === undefined) {
      // A stopped replica would hold the comparison back (it paces every side):
      // judge without the noise floor rather than not at all — stricter, never laxer.
      noiseLost = whyDown(await ports.jobs.status(noise.jobId).catch(() => undefined));
      if (noiseLost !== undefined) {
        log.warn({ replica: noise.jobId, why: noiseLost }, 'noise replica is not running; comparing without the noise floor');
        await comparison.close().catch(() => undefined);
        comparison = undefined;
        continue;
      }
    }
    const authoritative = await ports.jobs.status(d.jobs.authoritative).catch(() => undefined);
    noteRestarts(log, d.jobs.authoritative, authoritative, restarts);
    const authDown = whyDown(authoritative);
    if (authDown && authDown !== authWasDown) log.error({ job: d.jobs.authoritative, why: authDown }, 'the authoritative job is not running: the analysis cannot progress until it runs again');
    authWasDown = authDown;
    const retry = deps.clock.now() - lastAsk >= CONFIRM_RETRY_MS ? heldAutoPromotion(d, report) : undefined;
    const event = nextEvent(d, report, deps.clock.now(), down) ?? retry;
    if (!event || signal.aborted) continue;
    lastAsk = deps.clock.now();
    try {
      d = await ports.lifecycle.dispatch(name, event);
      log.info({ event: event.type, phase: d.phase }, 'analysis event applied');
    } catch (e) {
      // Refused (another controller moved first) or the store is unreachable: the
      // next evaluation reloads and asks again, so nothing is lost either way.
      log.warn({ event: event.type, err: describeUnknown(e), code: isPitlaneError(e) ? e.code : undefined }, 'analysis event not applied');
    }
  }
  if (comparison) {
    // The last failed windows' diverging keys may still be being read: the final report names them.
    await comparison.settle(10_000).catch(() => undefined);
    writeReports(dir, comparison.report(), history);
    await comparison.close().catch(() => undefined);
  }
}
