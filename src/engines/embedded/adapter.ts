/**
 * The embedded EngineAdapter: every job runs in its own detached job-host process
 * and is driven through its local control socket. Three parts:
 * - supervisor.ts: spawning, finding and stopping the host processes;
 * - request-log.ts: the durable request log (adapter.ts idempotency contract);
 * - this file: the adapter proper, each operation composed of the two, the
 *   savepoints it names and the final records of stopped jobs.
 *
 * Idempotency: outcomes of changing calls are kept durably by requestId, and
 * savepoints go to a directory named after the requestId — so a repeated request
 * returns the first outcome, even when the crash came after the act and before the
 * outcome was written (the savepoint directory, or the stopped job's final record,
 * says what happened).
 */
import { existsSync, rmSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { EngineError, describeUnknown } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import type { ConnectionConfig } from '../../config/connection.ts';
import type { TopicPartitionOffset } from '../../kafka/port.ts';
import { tailFile } from '../../process/index.ts';
import { disposeSavepoint, readSavepoint, readSavepointMetadata, writeSavepoint, readDelta, readDeltaSummary, composeSnapshot } from '../../engine/index.ts';
import type { DeltaStopResult, EngineAdapter, HoldResult, JobMetrics, JobStatus, JobWatermark, PreflightJob, PreflightReport, SavepointResult, StandbyRequest, StartJobRequest, StartJobResult, SwitchSinkResult } from '../adapter.ts';
import type { DeltaStop, HostMetrics, ManagedStop, StopRequest } from './control/protocol.ts';
import { deltaBeside, savepointOnDisk } from './savepoint-files.ts';
import { FinalRecords } from './final-records.ts';
import { preflightRestore } from './preflight.ts';
import { RequestLog } from '../request-log.ts';
import { loadJobModule } from './host/load-job.ts';
import { StateDir, safeName } from '../state-dir.ts';
import { HostSupervisor } from './supervisor.ts';

export interface EmbeddedAdapterOptions {
  /** Root of the adapter's state: job configs and logs, savepoints, request outcomes. */
  readonly stateDir: string;
  readonly connection: ConnectionConfig;
  readonly logger: Logger;
  /** Log level of job hosts. */
  readonly hostLogLevel?: string;
  /** How long a job may take to come up. */
  readonly startTimeoutMs?: number;
}

/** How long a cancel waits for the host to answer before stopping it by its pid. */
const CANCEL_ASK_MS = 30_000;

export class EmbeddedAdapter implements EngineAdapter {
  readonly engine = 'embedded' as const;
  readonly jobsDir: string;
  private readonly state: StateDir;
  private readonly hosts: HostSupervisor;
  private readonly requests: RequestLog;
  private readonly finals: FinalRecords;

  constructor(private readonly o: EmbeddedAdapterOptions) {
    this.state = new StateDir(o.stateDir);
    this.hosts = new HostSupervisor(this.state, o);
    this.requests = new RequestLog(this.state);
    this.finals = new FinalRecords(this.state);
    this.jobsDir = this.hosts.jobsDir;
  }

  /** Where the savepoint of a request goes (deterministic, so a repeat finds it). */
  savepointDir(requestId: string): string {
    return resolve(this.state.sub('savepoints'), safeName(requestId));
  }

  async discard(locations: readonly string[]): Promise<void> {
    const root = `${this.state.sub('savepoints')}${sep}`;
    for (const l of locations) {
      const path = resolve(l);
      // Only what this adapter wrote under its savepoints directory, never a user's path.
      if (path.startsWith(root)) rmSync(path, { recursive: true, force: true });
    }
  }

  /** Where the delta of a stop goes: beside the stop's full savepoint. */
  deltaFile(requestId: string): string {
    return deltaBeside(this.savepointDir(requestId));
  }

  logFile(jobId: string): string {
    return this.hosts.logFile(jobId);
  }

  private once<T>(requestId: string, act: () => Promise<T>): Promise<T> {
    return this.requests.once(requestId, act);
  }

  isRunning(jobId: string): boolean {
    return this.hosts.isRunning(jobId);
  }

  async start(r: StartJobRequest): Promise<StartJobResult> {
    return this.once(r.requestId, async () => {
      const from = 'savepoint' in r.from ? { ...r.from, savepoint: resolve(r.from.savepoint) } : r.from;
      const delta = 'delta' in from ? from.delta : undefined;
      if (this.isRunning(r.jobId)) {
        const s = await this.hosts.call(r.jobId, 'status', {}).catch(() => undefined);
        // A standby with the delta's base applies it; anything else refuses it (ENGINE_DELTA_UNUSABLE).
        // A standby waiting for its state (prepareStandby): only the restore is left.
        if (s?.state === 'standby' || s?.state === 'starting') {
          await this.hosts.call(r.jobId, 'activate', { from });
          this.o.logger.info({ jobId: r.jobId, job: r.job, sink: r.sinkTopic }, 'standby activated');
          return { jobId: r.jobId, standby: true };
        }
        if (s) return { jobId: r.jobId };
        // A host that is alive but does not answer is not one we can use or replace safely.
        throw new EngineError('ENGINE_JOB_UNRESPONSIVE', `Job ${r.jobId} has a live process that does not answer its control channel.`, { retriable: true, hint: `Retry; if it persists, see ${this.logFile(r.jobId)} and stop that process.` });
      }
      // Its keeper is restarting it (restart-strategy delay): that run goes on.
      if (this.hosts.keeper(r.jobId)?.alive) return { jobId: r.jobId };
      if (delta) {
        throw new EngineError('ENGINE_DELTA_UNUSABLE', `Job ${r.jobId} has no standby holding ${delta.base}, so the delta ${delta.location} cannot be applied.`, { hint: 'Start it from the full savepoint of the same stop (a cold handoff falls back to it by itself).' });
      }
      // No process (none was prepared, or the standby is gone): start one; `standby` stays unset.
      await this.hosts.spawn({ ...this.hosts.hostConfig(r), from, holdAtStart: r.holdAtStart });
      return { jobId: r.jobId };
    });
  }

  async prepareStandby(r: StandbyRequest): Promise<{ readonly jobId: string }> {
    return this.once(r.requestId, async () => {
      if (this.isRunning(r.jobId)) return { jobId: r.jobId };
      await this.hosts.spawn({ ...this.hosts.hostConfig(r), standby: true });
      return { jobId: r.jobId };
    });
  }

  async savepoint(jobId: string, request: { readonly requestId: string; readonly targetDir?: string; readonly trackChanges?: boolean }): Promise<SavepointResult> {
    const dir = resolve(request.targetDir ?? this.savepointDir(request.requestId));
    return this.once(request.requestId, () => this.hosts.call(jobId, 'savepoint', { dir, trackChanges: request.trackChanges === true }));
  }

  async restoreStandby(jobId: string, request: { readonly requestId: string; readonly savepoint: string; readonly allowNonRestoredState?: boolean }): Promise<{ readonly jobId: string; readonly base: string }> {
    return this.once(request.requestId, async () => {
      if (!this.isRunning(jobId)) throw new EngineError('ENGINE_JOB_NOT_RUNNING', `No standby of ${jobId} runs, so it cannot restore a base ahead.`, { retriable: true, hint: 'Prepare the standby first (prepareStandby).' });
      const r = await this.hosts.call(jobId, 'prerestore', { from: { savepoint: resolve(request.savepoint), allowNonRestoredState: request.allowNonRestoredState === true } });
      return { jobId, base: r.base };
    });
  }

  async stopWithDelta(jobId: string, request: { readonly requestId: string; readonly base: string }): Promise<DeltaStopResult> {
    return this.once(request.requestId, async () => {
      const dir = this.savepointDir(request.requestId);
      const file = this.deltaFile(request.requestId);
      await this.hosts.stopKeeper(jobId, false); // a stop asked for is never undone by a restart
      if (!this.isRunning(jobId)) {
        // A repeat after a crash: the job stopped before we recorded it. Its delta (or
        // its full savepoint) says what it did; without either, it never stopped here.
        if (existsSync(file)) {
          const d = await readDeltaSummary(file);
          return { delta: { location: file, base: d.base, keys: d.keys }, savepointLocation: dir, sourceOffsets: d.sourceOffsets, stoppedAt: d.createdAt };
        }
        if (existsSync(dir)) return { savepointLocation: dir, reason: 'the job had stopped without a delta', stoppedAt: (await readSavepointMetadata(dir)).createdAt };
        throw new EngineError('ENGINE_JOB_NOT_RUNNING', `Job ${jobId} is not running, so it cannot stop with a delta.`, { hint: `Check \`pitlane jobs\` and the job log ${this.logFile(jobId)}.` });
      }
      // Asked for a delta, the host answers with one (or why not) and when it stopped.
      const r = (await this.stopHost(jobId, { dir, delta: { base: resolve(request.base), file } }, 'finished')) as DeltaStop & { metrics: HostMetrics };
      const { delta } = r;
      return {
        ...(delta ? { delta: { location: delta.location, base: delta.base, keys: delta.keys, bytes: delta.bytes }, sourceOffsets: delta.sourceOffsets } : {}),
        ...(r.reason ? { reason: r.reason } : {}),
        savepointLocation: dir,
        stoppedAt: r.stoppedAt,
        ...(r.metrics.lastOutputAt !== undefined ? { lastOutputAt: r.metrics.lastOutputAt } : {}),
      };
    });
  }

  async stopWithSavepoint(jobId: string, request: { readonly requestId: string; readonly targetDir?: string }): Promise<SavepointResult> {
    return this.once(request.requestId, async () => {
      const dir = resolve(request.targetDir ?? this.savepointDir(request.requestId));
      await this.hosts.stopKeeper(jobId, false);
      if (!this.isRunning(jobId)) {
        // A repeat after a crash: the job stopped and wrote its savepoint before we recorded it.
        if (!existsSync(dir) && existsSync(deltaBeside(dir))) {
          // It stopped with a delta and died before writing its full savepoint: the
          // same state is its base plus the delta.
          const delta = await readDelta(deltaBeside(dir));
          await writeSavepoint(dir, composeSnapshot(await readSavepoint(delta.base), delta));
          this.o.logger.warn({ jobId, savepoint: dir, base: delta.base }, 'full savepoint composed from the base and the delta');
        }
        if (existsSync(dir)) return savepointOnDisk(dir);
        throw new EngineError('ENGINE_JOB_NOT_RUNNING', `Job ${jobId} is not running, so it cannot stop with a savepoint.`, { hint: `Check \`pitlane jobs\` and the job log ${this.logFile(jobId)}.` });
      }
      // Asked for a savepoint in `dir`, the host answers with it.
      const r = (await this.stopHost(jobId, { dir }, 'finished')) as { savepoint: SavepointResult };
      // The job has stopped writing when `stop` answers (sources held, output
      // flushed, producer closed); the process exits on its own. Not waiting for
      // that keeps process teardown off the handoff's critical path.
      return r.savepoint;
    });
  }

  /**
   * Asks the host to stop; a host that does not answer within CANCEL_ASK_MS, or is
   * still there 15 s after answering (stuck retrying a broker that went away), is
   * stopped by its pid (SIGTERM, then SIGKILL): a cancelled job never runs on.
   */
  async cancel(jobId: string, request: { readonly requestId: string }): Promise<void> {
    await this.once(request.requestId, async () => {
      await this.hosts.stopKeeper(jobId); // first: it would restart the host this cancel stops
      if (!this.isRunning(jobId)) return {};
      try {
        await this.stopHost(jobId, {}, 'cancelled', CANCEL_ASK_MS);
        await this.hosts.waitGone(jobId);
      } catch (e) {
        this.o.logger.warn({ jobId, err: describeUnknown(e) }, 'the job host did not answer the stop');
      }
      await this.hosts.stopByPid(jobId);
      return {};
    });
  }

  /** Asks a running host to stop (`request`: what to leave behind) and records its last status and metrics as `state`. */
  private async stopHost(jobId: string, request: StopRequest, state: 'finished' | 'cancelled', timeoutMs?: number): Promise<ManagedStop> {
    const status = await this.hosts.call(jobId, 'status', {}, timeoutMs);
    const r = await this.hosts.call(jobId, 'stop', request, timeoutMs);
    this.finals.write(jobId, { status: { ...status, state, held: false }, metrics: r.metrics });
    return r;
  }

  /** With the keeper's restarts and last failure, if it restarted the job. */
  async status(jobId: string): Promise<JobStatus> {
    const k = this.hosts.keeper(jobId);
    const kept = k && k.restarts > 0 ? { restarts: k.restarts, ...(k.lastFailure ? { lastFailure: k.lastFailure } : {}) } : {};
    if (this.isRunning(jobId)) {
      const s = await this.hosts.call(jobId, 'status', {});
      return { jobId, state: s.state === 'stopped' ? 'finished' : s.state, positions: s.positions, sinkTopic: s.sinkTopic, ...kept };
    }
    const f = this.finals.read(jobId);
    if (f) return { jobId, state: f.status.state === 'cancelled' ? 'cancelled' : 'finished', positions: f.status.positions, sinkTopic: f.status.sinkTopic, ...kept };
    if (k?.alive) return { jobId, state: 'restarting', positions: [], sinkTopic: '', ...kept, ...(k.lastFailure ? { failure: k.lastFailure.reason } : {}) };
    if (k?.state === 'failed' && k.lastFailure) {
      // The log's end, then the exit and why it was not restarted: the line a summary reads.
      const [exit, ...tail] = k.lastFailure.reason.split('\n');
      return { jobId, state: 'failed', failure: [...tail, `${exit}; not restarted: ${k.gaveUp ?? 'unknown'}`].join('\n'), positions: [], sinkTopic: '', ...kept };
    }
    const log = this.logFile(jobId);
    if (existsSync(log)) return { jobId, state: 'failed', failure: tailFile(log, 5).join('\n'), positions: [], sinkTopic: '' };
    return { jobId, state: 'unknown', positions: [], sinkTopic: '' };
  }

  async watermark(jobId: string): Promise<JobWatermark> {
    const m = await this.metrics(jobId);
    return { watermark: (m as HostMetrics).watermark ?? Number.NEGATIVE_INFINITY, perPartition: [] };
  }

  async metrics(jobId: string): Promise<JobMetrics> {
    if (this.isRunning(jobId)) {
      // A job that has just answered `stop` closes its channel while its process exits:
      // its final record (written at the stop) has the answer.
      const live = await this.hosts.call(jobId, 'metrics', {}).catch((e: unknown) => ({ error: e }));
      if (!('error' in live)) return live;
      const f = this.finals.read(jobId);
      if (f) return f.metrics;
      throw live.error;
    }
    const f = this.finals.read(jobId);
    if (f) return f.metrics;
    throw new EngineError('ENGINE_JOB_NOT_RUNNING', `Job ${jobId} is not running and left no final record.`, { hint: 'Check `pitlane canary status` and the job logs.' });
  }

  hold(jobId: string, request: { readonly requestId: string }): Promise<HoldResult> {
    return this.once(request.requestId, () => this.hosts.call(jobId, 'hold', {}));
  }

  runUntilOffsets(jobId: string, offsets: readonly TopicPartitionOffset[], request: { readonly requestId: string }): Promise<HoldResult> {
    return this.once(request.requestId, () => this.hosts.call(jobId, 'runUntil', { offsets }));
  }

  switchSink(jobId: string, to: string, request: { readonly requestId: string; readonly keepHold?: boolean }): Promise<SwitchSinkResult> {
    return this.once(request.requestId, () => this.hosts.call(jobId, 'switchSink', { to, keepHold: request.keepHold === true }));
  }

  async resume(jobId: string, request: { readonly requestId: string }): Promise<void> {
    await this.once(request.requestId, () => this.hosts.call(jobId, 'resume', {}));
  }

  /** Waits for the first output of a (just started) job on its sink topic. */
  async firstOutputAt(jobId: string, waitMs = 10_000): Promise<number | undefined> {
    const r = await this.hosts.call(jobId, 'firstOutput', { waitMs });
    return r.firstOutputAt ?? undefined;
  }

  /** Only a savepoint (its files and nothing else: the engine refuses a directory with foreign files). */
  async disposeSavepoint(location: string): Promise<void> {
    if (!existsSync(resolve(location))) return;
    await disposeSavepoint(location);
  }

  async checkJob(job: PreflightJob): Promise<void> {
    await loadJobModule(job.job);
  }

  preflight(savepoint: string, job: PreflightJob): Promise<PreflightReport> {
    return preflightRestore(savepoint, job);
  }
}
