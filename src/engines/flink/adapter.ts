/**
 * The Flink engine adapter: the engine port (engines/adapter.ts) over a Flink
 * cluster's REST API. It implements the core only — start, savepoint, stop with
 * savepoint, cancel, status, watermark, metrics, preflight — so the lifecycle offers
 * a Flink job the cold savepoint handoff and the consumer cutover, never the warm
 * handoff (capabilities.ts).
 *
 * Idempotency: a start submits under a JobID derived from the request id (Flink
 * refuses a second submission of it); savepoints and stops carry a trigger id
 * derived from the request id (Flink answers a repeated one with the first
 * operation); and the outcome of each is kept in the adapter's request log, so a
 * repeat after Flink has forgotten the operation still answers the same.
 *
 * The cluster is the truth about runs: any machine finds a pitlane job's current
 * run from the JobID prefix. What only the starter knows — the job's consumer
 * identity, inputs and sink topic — is kept in `<stateDir>/jobs/<jobId>.json` for
 * the positions and lag the status reports.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { sleep } from '../../clock.ts';
import { ConfigError, EngineError } from '../../errors.ts';
import { writeFileAtomicSync } from '../../files.ts';
import type { Logger } from '../../logger.ts';
import type { KafkaPort, TopicPartitionOffset } from '../../kafka/port.ts';
import { DEFAULT_DELIVERY, type EngineAdapter, type PreparedStart, type JobMetrics, type JobStatus, type JobWatermark, type PreflightJob, type PreflightReport, type SavepointRequest, type SavepointResult, type StartJobRequest, type StartJobResult } from '../adapter.ts';
import { RequestLog } from '../request-log.ts';
import { StateDir } from '../state-dir.ts';
import { programArgs } from './args.ts';
import { flinkJobId, jobPrefix, triggerId } from './ids.ts';
import { checkJar, ClusterJars } from './jars.ts';
import { currentState, details, hintFor, isTerminal, lastFailure, restartsOf, rootCause, runsOf, stateOf, waitRunning, waitTerminal, type FlinkJobDetails } from './jobs.ts';
import { jobNumbers, partitionWatermarks, vertexWatermarks } from './metrics.ts';
import { FlinkHttpError, FlinkRest } from './rest.ts';
import { disposeFlinkSavepoint, runStoppedBy, takeSavepoint } from './savepoints.ts';
import { finalOutput, firstCommitAt, sinkEnds } from './output.ts';
import { savepointInputOffsets } from './savepoint-offsets.ts';
import { preflightFlinkJob } from './preflight.ts';
import type { SavepointTool } from './savepoint-tool.ts';
import type { FlinkJobRecord } from './record.ts';

export type { FlinkJobRecord } from './record.ts';

export interface FlinkAdapterOptions {
  /** The JobManager's REST endpoint. */
  readonly restUrl: string;
  /** The adapter's own files: request outcomes and what each job was started with. */
  readonly stateDir: string;
  /** Kafka as the jobs see it: their bootstrap servers, and a client for committed offsets and lag. */
  readonly bootstrapServers: string;
  readonly kafka: KafkaPort;
  readonly logger: Logger;
  readonly outageToleranceMs?: number;
  /** How long a start waits for every task to run. */
  readonly startTimeoutMs?: number;
  readonly savepointTimeoutMs?: number;
  /** The savepoint tool for the preflight (savepoint-tool.ts); without it the preflight checks only that Flink can build the job graph. */
  readonly savepointTool?: SavepointTool | undefined;
}

export class FlinkAdapter implements EngineAdapter, PreparedStart {
  readonly engine = 'flink' as const;
  readonly cluster: string;
  readonly rest: FlinkRest;
  private readonly state: StateDir;
  private readonly requests: RequestLog;
  private readonly jars: ClusterJars;

  constructor(private readonly o: FlinkAdapterOptions) {
    this.cluster = o.restUrl;
    this.rest = new FlinkRest({ url: o.restUrl, ...(o.outageToleranceMs !== undefined ? { outageToleranceMs: o.outageToleranceMs } : {}) });
    this.state = new StateDir(o.stateDir);
    this.requests = new RequestLog(this.state);
    this.jars = new ClusterJars(this.rest);
  }

  /** What `jobId`'s last start recorded on this machine, if it did. */
  record(jobId: string): FlinkJobRecord | undefined {
    const f = this.state.file('jobs', jobId, '.json');
    return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as FlinkJobRecord) : undefined;
  }

  private writeRecord(record: FlinkJobRecord): void {
    writeFileAtomicSync(this.state.file('jobs', record.jobId, '.json'), JSON.stringify(record, null, 2));
  }

  async start(r: StartJobRequest): Promise<StartJobResult> {
    if (!r.flink) throw new ConfigError('FLINK_NO_ENTRY_CLASS', `Job ${r.jobId} is to run on Flink but names no entry class.`, { hint: 'Give the job its entryClass (spec) or --entry-class (CLI).' });
    if (r.holdAtStart) throw new EngineError('ENGINE_CAPABILITY_MISSING', 'A start held before its input is part of the warm handoff, which the Flink adapter does not do.', { hint: 'Use a cold savepoint handoff or a cutover for Flink jobs.' });
    if ('savepoint' in r.from && r.from.delta) throw new EngineError('ENGINE_DELTA_UNUSABLE', 'The Flink adapter restores full savepoints only.', { hint: 'Start from the full savepoint.' });
    const askedAt = Date.now();
    const jid = flinkJobId(r.jobId, r.requestId);
    const what = `Job ${r.jobId}`;
    if (!(await details(this.rest, jid))) {
      // Starting a job that already runs is a no-op returning it (adapter.ts).
      const live = (await runsOf(this.rest, jobPrefix(r.jobId))).find((j) => !isTerminal(j.state));
      if (live) return { jobId: r.jobId };
      await this.submit(r, jid, askedAt);
    }
    try {
      await waitRunning(this.rest, jid, what, { timeoutMs: this.o.startTimeoutMs ?? 180_000 });
    } catch (e) {
      // Nothing is left running after a failed start (a restarting job would loop).
      await this.rest.patch(`/jobs/${jid}?mode=cancel`).catch(() => undefined);
      throw e;
    }
    return { jobId: r.jobId };
  }

  /** The job's jar found or uploaded on the cluster ahead of its start (PreparedStart). */
  async prepareStart(job: PreflightJob): Promise<void> {
    await this.jars.id(resolve(job.job));
  }

  private async submit(r: StartJobRequest, jid: string, askedAt: number): Promise<void> {
    const jar = resolve(r.job);
    const from = 'savepoint' in r.from ? r.from : undefined;
    const args = programArgs(r.flink!.args, {
      bootstrapServers: this.o.bootstrapServers,
      inputs: r.inputs,
      sinkTopic: r.sinkTopic,
      identity: r.identity,
      startingOffsets: 'input' in r.from ? r.from.input : 'earliest',
      commitIntervalMs: (r.delivery ?? DEFAULT_DELIVERY).commitIntervalMs ?? DEFAULT_DELIVERY.commitIntervalMs,
    });
    // Where its own output will begin (the pit stop's first output; unknown if the topic cannot be read now), beside the jar's id.
    const [, outputFrom] = await Promise.all([this.jars.id(jar), sinkEnds(this.o.kafka, r.sinkTopic).catch(() => undefined)]);
    const record: FlinkJobRecord = { jobId: r.jobId, flinkJobId: jid, requestId: r.requestId, jar, entryClass: r.flink!.entryClass, args, ...(r.parallelism ? { parallelism: r.parallelism } : {}), identity: r.identity, inputs: r.inputs, sinkTopic: r.sinkTopic, ...(from ? { savepoint: from.savepoint } : {}), ...(outputFrom ? { outputFrom } : {}), startAskedAt: askedAt, submittedAt: Date.now() };
    this.writeRecord(record);
    const body = {
      entryClass: r.flink!.entryClass,
      programArgsList: args,
      jobId: jid,
      ...(r.parallelism ? { parallelism: r.parallelism } : {}),
      ...(r.flink!.flinkConfiguration ? { flinkConfiguration: r.flink!.flinkConfiguration } : {}),
      ...(from ? { savepointPath: from.savepoint, allowNonRestoredState: from.allowNonRestoredState === true, restoreMode: 'NO_CLAIM' } : {}),
    };
    try {
      await this.jars.run(jar, body);
      this.o.logger.info({ jobId: r.jobId, flinkJobId: jid, jar, entryClass: body.entryClass, parallelism: r.parallelism, savepoint: from?.savepoint }, 'submitted to Flink');
    } catch (e) {
      // A lost answer to a run that did submit: the JobID is there now.
      if (await details(this.rest, jid).catch(() => undefined)) return;
      if (e instanceof FlinkHttpError) {
        throw new EngineError('FLINK_SUBMIT_FAILED', `Flink refused to run ${r.flink!.entryClass} from ${jar}: ${e.flinkMessage}`, { hint: hintFor(e.flinkMessage), cause: e, data: { jar, entryClass: r.flink!.entryClass } });
      }
      throw e;
    }
  }

  /** The run of `jobId` that is not finished, or an error saying there is none. */
  private async live(jobId: string, what: string): Promise<FlinkJobDetails> {
    const runs = await runsOf(this.rest, jobPrefix(jobId));
    const live = runs.find((j) => !isTerminal(j.state));
    const job = live ? await details(this.rest, live.jid) : undefined;
    if (!job) {
      const last = runs[0];
      const cause = last?.state === 'FAILED' ? await rootCause(this.rest, last.jid) : undefined;
      throw new EngineError('ENGINE_JOB_NOT_RUNNING', `Job ${jobId} is not running on Flink (${last ? `its last run ${last.jid} is ${last.state}` : 'the cluster has no run of it'}), so it cannot ${what}.${cause ? ` Its failure: ${cause}` : ''}`, {
        hint: 'See `pitlane flink list` for the jobs the cluster has.',
      });
    }
    return job;
  }

  savepoint(jobId: string, request: SavepointRequest): Promise<SavepointResult> {
    return this.requests.once(request.requestId, async () => {
      const job = await this.live(jobId, 'take a savepoint');
      const sinkTopic = this.record(jobId)?.sinkTopic;
      const outputFrom = sinkTopic ? await sinkEnds(this.o.kafka, sinkTopic).catch(() => undefined) : undefined;
      const location = await takeSavepoint(this.rest, { jid: job.jid, triggerId: triggerId(request.requestId), ...(request.targetDir ? { targetDir: resolve(request.targetDir) } : {}), timeoutMs: this.o.savepointTimeoutMs ?? 300_000 });
      const watermark = await this.watermarkAfter(jobId);
      return { location, sourceOffsets: await this.resumesAt(jobId, location), completedAt: Date.now(), ...(outputFrom ? { outputFrom } : {}), ...(watermark !== undefined ? { watermark } : {}) };
    });
  }

  /**
   * The job's watermark just after a savepoint: at or past the savepoint's own, so a shadow skipping the windows
   * before it (eventTimeFloor) skips enough. Flink's metrics refresh every few seconds: waited for a little, else absent.
   */
  private async watermarkAfter(jobId: string, waitMs = 6_000): Promise<number | undefined> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const w = await this.watermark(jobId).then((x) => x.watermark, () => undefined);
      if (w !== undefined && Number.isFinite(w)) return w;
      if (Date.now() > deadline) return undefined;
      await sleep(500);
    }
  }

  stopWithSavepoint(jobId: string, request: SavepointRequest): Promise<SavepointResult> {
    return this.requests.once(request.requestId, async () => {
      const trigger = triggerId(request.requestId);
      // A stop this request already made (its caller was killed before the outcome was kept) has ended the run.
      const job = await this.live(jobId, 'stop with a savepoint').catch(async (e: unknown) => {
        const jid = await runStoppedBy(this.rest, jobPrefix(jobId), trigger);
        if (jid === undefined) throw e;
        return { jid, triggered: true };
      });
      const location = await takeSavepoint(this.rest, { jid: job.jid, triggerId: trigger, triggered: 'triggered' in job, stop: { drain: request.drain === true }, ...(request.targetDir ? { targetDir: resolve(request.targetDir) } : {}), timeoutMs: this.o.savepointTimeoutMs ?? 300_000 });
      await waitTerminal(this.rest, job.jid, { timeoutMs: 60_000 });
      const completedAt = Date.now();
      const sourceOffsets = await this.resumesAt(jobId, location);
      const rec = this.record(jobId);
      const output = rec ? await finalOutput(this.o.kafka, rec.sinkTopic) : undefined;
      if (output?.settled === false) this.o.logger.warn({ jobId, sinkTopic: rec?.sinkTopic, waitedMs: output.waitedMs }, 'a transaction was still open on the sink topic after the stop; its output offsets are the high watermarks');
      // Where a stop's time after the run ended goes (inside a cold handoff's pit stop): the input offsets from _metadata, the output's markers.
      this.o.logger.info({ jobId, endedToOffsetsMs: Date.now() - completedAt - (output?.waitedMs ?? 0), finalOutputMs: output?.waitedMs }, 'stopped with savepoint');
      return { location, sourceOffsets, completedAt, ...(output ? { outputOffsets: output.offsets } : {}), ...(output?.lastOutputAt !== undefined ? { lastOutputAt: output.lastOutputAt } : {}) };
    });
  }

  async cancel(jobId: string, _request: { readonly requestId: string }): Promise<void> {
    for (const run of (await runsOf(this.rest, jobPrefix(jobId))).filter((j) => !isTerminal(j.state))) {
      await this.rest.patch(`/jobs/${run.jid}?mode=cancel`).catch((e: unknown) => {
        if (!(e instanceof FlinkHttpError && e.status === 404)) throw e;
      });
      await waitTerminal(this.rest, run.jid, { timeoutMs: 60_000 });
    }
  }

  async status(jobId: string): Promise<JobStatus> {
    const rec = this.record(jobId);
    const [latest] = await runsOf(this.rest, jobPrefix(jobId));
    const cached = latest ? await details(this.rest, latest.jid) : undefined;
    if (!cached) return { jobId, state: 'unknown', positions: [], sinkTopic: rec?.sinkTopic ?? '' };
    // The details come from Flink's cache of execution graphs: a run that has just ended
    // can still show RUNNING there for seconds, so its state is asked of the dispatcher.
    const now = isTerminal(cached.state) ? cached.state : ((await currentState(this.rest, cached.jid)) ?? cached.state);
    const job = now === cached.state ? cached : { ...cached, state: now };
    const state = stateOf(job);
    const failure = state === 'failed' || state === 'restarting' ? await rootCause(this.rest, job.jid) : undefined;
    // Flink restarts a failed run by its restart strategy, under the same JobID: how often, and the last failure.
    const restarts = isTerminal(job.state) ? undefined : await restartsOf(this.rest, job.jid);
    const last = restarts ? await lastFailure(this.rest, job.jid) : undefined;
    return { jobId, state, ...(failure ? { failure } : {}), positions: await this.positions(jobId, rec), sinkTopic: rec?.sinkTopic ?? '', ...(restarts ? { restarts } : {}), ...(last ? { lastFailure: last } : {}) };
  }

  /**
   * Where a savepoint of the job resumes its input: the offsets its Kafka source readers
   * recorded in it (savepoint-offsets.ts). Else, said in the log, the job's consumer
   * group's offsets — those of the last checkpoint whose commit landed, which may be behind.
   */
  private async resumesAt(jobId: string, location: string): Promise<TopicPartitionOffset[]> {
    const rec = this.record(jobId);
    const exact = rec ? savepointInputOffsets(location, rec.inputs) : undefined;
    if (exact) return exact;
    this.o.logger.warn({ jobId, savepoint: location }, 'the savepoint\'s Kafka source offsets could not be read from its _metadata; reporting the consumer group\'s committed offsets, which may be behind it');
    return this.positions(jobId, rec);
  }

  /** The job's consumer group's committed offsets on its inputs: where a restart from them resumes. */
  async positions(jobId: string, rec = this.record(jobId)): Promise<TopicPartitionOffset[]> {
    if (!rec) return [];
    const out: TopicPartitionOffset[] = [];
    for (const topic of rec.inputs) out.push(...(await this.o.kafka.groupOffsets(rec.identity, topic)).filter((p) => p.offset >= 0));
    return out;
  }

  async watermark(jobId: string): Promise<JobWatermark> {
    const job = await this.live(jobId, 'report its watermark');
    const perVertex = await vertexWatermarks(this.rest, job);
    const committed = new Map((await this.positions(jobId)).map((p) => [`${p.topic}/${p.partition}`, p.offset]));
    const perPartition = (await partitionWatermarks(this.rest, job)).map((w) => ({ ...w, offset: committed.get(`${w.topic}/${w.partition}`) ?? -1 }));
    const sources = perVertex.filter((v) => v.name.startsWith('Source:'));
    const known = sources.map((v) => v.watermark).filter((w): w is number => w !== undefined);
    const watermark = known.length === sources.length && known.length > 0 ? Math.min(...known) : Number.NEGATIVE_INFINITY;
    return { watermark, perPartition, perVertex };
  }

  async metrics(jobId: string): Promise<JobMetrics> {
    const job = await this.live(jobId, 'report its metrics');
    const numbers = await jobNumbers(this.rest, job);
    const firstOutputAt = await this.firstOutputAt(jobId);
    return { ...numbers, ...(firstOutputAt !== undefined ? { firstOutputAt } : {}) };
  }

  /** When the current run's first output became visible (output.ts); kept in its record once found. */
  private async firstOutputAt(jobId: string): Promise<number | undefined> {
    const rec = this.record(jobId);
    if (!rec?.outputFrom) return undefined;
    if (rec.firstOutputAt !== undefined) return rec.firstOutputAt;
    const at = await firstCommitAt(this.o.kafka, rec.sinkTopic, rec.outputFrom).catch(() => undefined);
    if (at !== undefined) this.writeRecord({ ...rec, firstOutputAt: at });
    return at;
  }

  disposeSavepoint(location: string): Promise<void> {
    return disposeFlinkSavepoint(this.rest, location, 120_000);
  }

  checkJob(job: PreflightJob): Promise<void> {
    return checkJar(job.job, job.flink?.entryClass);
  }

  preflight(savepoint: string, job: PreflightJob): Promise<PreflightReport> {
    return preflightFlinkJob(this.rest, savepoint, job, { bootstrapServers: this.o.bootstrapServers, tool: this.o.savepointTool });
  }
}
