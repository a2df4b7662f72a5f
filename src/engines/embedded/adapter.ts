/**
 * The embedded EngineAdapter: every job runs in its own detached job-host process
 * (host.ts) and is driven through its local control socket. Why processes and not
 * jobs inside the orchestrator: the orchestrator is a short-lived CLI or a
 * supervisor that may be `kill -9`ed; the jobs it manages must keep running
 * through that, or "resume" would mean nothing. A restarted orchestrator finds
 * them by job id in the job directory.
 *
 * Idempotency (adapter.ts contract): outcomes of changing calls are kept durably
 * in `requests/<requestId>.json`, and savepoints go to a directory named after
 * the requestId — so a repeated request returns the first outcome, even when the
 * crash came after the act and before the outcome was written (the savepoint
 * directory, or the stopped job's final record, says what happened).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PitlaneError, PromotionError, RestoreIncompatibleError, describeUnknown } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import type { ConnectionConfig } from '../../config/connection.ts';
import type { TopicPartitionOffset } from '../../kafka/port.ts';
import { isAlive, isOurProcess, stopPid, tailFile } from '../../dev/processes.ts';
import { callJob } from './control/client.ts';
import { readEntry } from './control/job-directory.ts';
import { readSavepoint, readSavepointMetadata, writeSavepoint } from '../../engine/savepoint/index.ts';
import { describeJob } from '../../engine/index.ts';
import { planRestore } from '../../engine/restore/plan.ts';
import { readDelta, readDeltaSummary } from '../../engine/runtime/delta-file.ts';
import { composeSnapshot } from '../../engine/runtime/delta.ts';
import type { DeltaStopResult, EngineAdapter, HoldResult, JobMetrics, JobStatus, JobWatermark, PreflightReport, SavepointResult, StandbyRequest, StartJobRequest, StartJobResult, SwitchSinkResult } from '../adapter.ts';
import { loadJobModule } from './host/load-job.ts';
import { deltaBeside, savepointOnDisk, type DeltaStop, type HostConfig, type HostMetrics, type HostStatus } from './control/protocol.ts';

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

const safe = (id: string) => id.replace(/[^a-zA-Z0-9._-]/g, '_');
const HOST_MAIN = fileURLToPath(new URL('./host/host-main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface FinalRecord {
  readonly status: HostStatus;
  readonly metrics: HostMetrics;
}

/** How long a cancel waits for the host to answer before stopping it by its pid. */
const CANCEL_ASK_MS = 30_000;

export class EmbeddedAdapter implements EngineAdapter {
  readonly engine = 'embedded' as const;
  readonly jobsDir: string;
  private readonly dir: (sub: string) => string;

  constructor(private readonly o: EmbeddedAdapterOptions) {
    this.dir = (sub) => {
      const d = join(o.stateDir, sub);
      mkdirSync(d, { recursive: true });
      return d;
    };
    this.jobsDir = this.dir('jobs');
  }

  /** Where the savepoint of a request goes (deterministic, so a repeat finds it). */
  savepointDir(requestId: string): string {
    return resolve(this.dir('savepoints'), safe(requestId));
  }

  async discard(locations: readonly string[]): Promise<void> {
    const root = `${this.dir('savepoints')}${sep}`;
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
    return join(this.dir('hosts'), `${safe(jobId)}.log`);
  }

  private async once<T>(requestId: string, act: () => Promise<T>): Promise<T> {
    const f = join(this.dir('requests'), `${safe(requestId)}.json`);
    if (existsSync(f)) return (JSON.parse(readFileSync(f, 'utf8')) as { result: T }).result;
    const result = await act();
    writeFileSync(`${f}.tmp`, JSON.stringify({ requestId, result }));
    renameSync(`${f}.tmp`, f);
    return result;
  }

  isRunning(jobId: string): boolean {
    const e = readEntry(this.jobsDir, jobId);
    return e !== undefined && isAlive(e.pid);
  }

  private call<T>(jobId: string, command: string, body: Record<string, unknown> = {}, timeoutMs?: number): Promise<T> {
    return callJob(this.jobsDir, jobId, command, body, timeoutMs ?? 180_000) as Promise<T>;
  }

  private finalOf(jobId: string): FinalRecord | undefined {
    const f = join(this.dir('final'), `${safe(jobId)}.json`);
    return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as FinalRecord) : undefined;
  }

  async start(r: StartJobRequest): Promise<StartJobResult> {
    return this.once(r.requestId, async () => {
      const from = 'savepoint' in r.from ? { ...r.from, savepoint: resolve(r.from.savepoint) } : r.from;
      const delta = 'delta' in from ? from.delta : undefined;
      if (this.isRunning(r.jobId)) {
        const s = await this.call<HostStatus>(r.jobId, 'status').catch(() => undefined);
        // A standby with the delta's base applies it; anything else refuses it (ENGINE_DELTA_UNUSABLE).
        // A standby waiting for its state (prepareStandby): only the restore is left.
        if (s?.state === 'standby' || s?.state === 'starting') {
          await this.call(r.jobId, 'activate', { from });
          this.o.logger.info({ jobId: r.jobId, job: r.job, sink: r.sinkTopic }, 'standby activated');
          return { jobId: r.jobId, standby: true };
        }
        if (s) return { jobId: r.jobId };
        // A host that is alive but does not answer is not one we can use or replace safely.
        throw new PromotionError('ENGINE_JOB_UNRESPONSIVE', `Job ${r.jobId} has a live process that does not answer its control channel.`, { retriable: true, hint: `Retry; if it persists, see ${this.logFile(r.jobId)} and stop that process.` });
      }
      if (delta) {
        throw new PromotionError('ENGINE_DELTA_UNUSABLE', `Job ${r.jobId} has no standby holding ${delta.base}, so the delta ${delta.location} cannot be applied.`, { hint: 'Start it from the full savepoint of the same stop (a cold handoff falls back to it by itself).' });
      }
      // No process (none was prepared, or the standby is gone): start one; `standby` stays unset.
      await this.spawnHost({ ...this.hostConfig(r), from, holdAtStart: r.holdAtStart });
      return { jobId: r.jobId };
    });
  }

  async prepareStandby(r: StandbyRequest): Promise<{ readonly jobId: string }> {
    return this.once(r.requestId, async () => {
      if (this.isRunning(r.jobId)) return { jobId: r.jobId };
      await this.spawnHost({ ...this.hostConfig(r), standby: true });
      return { jobId: r.jobId };
    });
  }

  private configFile(jobId: string): string {
    return join(this.dir('hosts'), `${safe(jobId)}.json`);
  }

  private hostConfig(r: StandbyRequest): HostConfig {
    return {
      jobId: r.jobId,
      job: resolve(r.job),
      parallelism: r.parallelism,
      inputs: r.inputs,
      sinkTopic: r.sinkTopic,
      identity: r.identity,
      delivery: r.delivery,
      jobsDir: this.jobsDir,
      connection: this.o.connection,
      logLevel: this.o.hostLogLevel ?? 'info',
    };
  }

  /** Spawns a detached job host and waits until it answers (running, holding, or a waiting standby). */
  private async spawnHost(config: HostConfig): Promise<void> {
    const cfgFile = this.configFile(config.jobId);
    writeFileSync(cfgFile, JSON.stringify(config, null, 2));
    const log = this.logFile(config.jobId);
    const fd = openSync(log, 'a');
    // Detached, own process group, no pipes to us: the job outlives the orchestrator.
    // A larger young generation: snapshots and restores of a large state allocate
    // millions of short-lived buffers, and the default one makes them GC-bound.
    const child = spawn(process.execPath, ['--max-semi-space-size=64', '--import', TSX, HOST_MAIN, cfgFile], { detached: true, stdio: ['ignore', fd, fd], cwd: process.cwd(), env: process.env });
    closeSync(fd);
    child.unref();
    let exited: number | null | undefined;
    child.once('exit', (code) => (exited = code));
    const timeoutMs = this.o.startTimeoutMs ?? 60_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (exited !== undefined || (child.pid !== undefined && !isAlive(child.pid))) {
        throw new PromotionError('ENGINE_JOB_START_FAILED', `Job ${config.jobId} (${config.job}) exited while starting (code ${String(exited)}):\n${tailFile(log, 15).join('\n')}`, {
          hint: `The job crashed at start; its log is ${log}.`,
        });
      }
      if (this.isRunning(config.jobId)) {
        const s = await this.call<HostStatus>(config.jobId, 'status').catch(() => undefined);
        if (s && s.state !== 'starting') break;
      }
      if (Date.now() > deadline) throw new PromotionError('ENGINE_JOB_START_TIMEOUT', `Job ${config.jobId} did not come up within ${timeoutMs} ms.`, { retriable: true, hint: `See its log: ${log}.` });
      await sleep(20);
    }
    this.o.logger.info({ jobId: config.jobId, job: config.job, pid: child.pid, sink: config.sinkTopic, standby: config.standby === true }, config.standby ? 'standby started' : 'job started');
  }

  async savepoint(jobId: string, request: { readonly requestId: string; readonly targetDir?: string; readonly trackChanges?: boolean }): Promise<SavepointResult> {
    const dir = resolve(request.targetDir ?? this.savepointDir(request.requestId));
    return this.once(request.requestId, () => this.call<SavepointResult>(jobId, 'savepoint', { dir, trackChanges: request.trackChanges === true }));
  }

  async restoreStandby(jobId: string, request: { readonly requestId: string; readonly savepoint: string; readonly allowNonRestoredState?: boolean }): Promise<{ readonly jobId: string; readonly base: string }> {
    return this.once(request.requestId, async () => {
      if (!this.isRunning(jobId)) throw new PromotionError('ENGINE_JOB_NOT_RUNNING', `No standby of ${jobId} runs, so it cannot restore a base ahead.`, { retriable: true, hint: 'Prepare the standby first (prepareStandby).' });
      const r = await this.call<{ base: string }>(jobId, 'prerestore', { from: { savepoint: resolve(request.savepoint), allowNonRestoredState: request.allowNonRestoredState === true } });
      return { jobId, base: r.base };
    });
  }

  async stopWithDelta(jobId: string, request: { readonly requestId: string; readonly base: string }): Promise<DeltaStopResult> {
    return this.once(request.requestId, async () => {
      const dir = this.savepointDir(request.requestId);
      const file = this.deltaFile(request.requestId);
      if (!this.isRunning(jobId)) {
        // A repeat after a crash: the job stopped before we recorded it. Its delta (or
        // its full savepoint) says what it did; without either, it never stopped here.
        if (existsSync(file)) {
          const d = await readDeltaSummary(file);
          return { delta: { location: file, base: d.base, keys: d.keys }, savepointLocation: dir, sourceOffsets: d.sourceOffsets, stoppedAt: d.createdAt };
        }
        if (existsSync(dir)) return { savepointLocation: dir, reason: 'the job had stopped without a delta', stoppedAt: (await readSavepointMetadata(dir)).createdAt };
        throw new PromotionError('ENGINE_JOB_NOT_RUNNING', `Job ${jobId} is not running, so it cannot stop with a delta.`, { hint: `Check \`pitlane jobs\` and the job log ${this.logFile(jobId)}.` });
      }
      const r = await this.stopHost<DeltaStop>(jobId, { dir, delta: { base: resolve(request.base), file } }, 'finished');
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
        throw new PromotionError('ENGINE_JOB_NOT_RUNNING', `Job ${jobId} is not running, so it cannot stop with a savepoint.`, { hint: `Check \`pitlane jobs\` and the job log ${this.logFile(jobId)}.` });
      }
      const r = await this.stopHost<{ savepoint: SavepointResult }>(jobId, { dir }, 'finished');
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
      if (!this.isRunning(jobId)) return {};
      try {
        await this.stopHost(jobId, {}, 'cancelled', CANCEL_ASK_MS);
        await this.waitGone(jobId);
      } catch (e) {
        this.o.logger.warn({ jobId, err: describeUnknown(e) }, 'the job host did not answer the stop');
      }
      const left = readEntry(this.jobsDir, jobId);
      if (left && isOurProcess(left.pid, 'host-main')) {
        this.o.logger.warn({ jobId, pid: left.pid }, 'the job host is still running after its stop; stopping it by its pid');
        await stopPid(left.pid, 5000);
      }
      return {};
    });
  }

  /** Asks a running host to stop (`body`: what to leave behind) and records its last status and metrics as `state`. */
  private async stopHost<T extends object = object>(jobId: string, body: Record<string, unknown>, state: 'finished' | 'cancelled', timeoutMs?: number): Promise<T & { metrics: HostMetrics }> {
    const status = await this.call<HostStatus>(jobId, 'status', {}, timeoutMs);
    const r = await this.call<T & { metrics: HostMetrics }>(jobId, 'stop', body, timeoutMs);
    this.writeFinal(jobId, { status: { ...status, state, held: false }, metrics: r.metrics });
    return r;
  }

  private writeFinal(jobId: string, rec: FinalRecord): void {
    const f = join(this.dir('final'), `${safe(jobId)}.json`);
    writeFileSync(`${f}.tmp`, JSON.stringify(rec));
    renameSync(`${f}.tmp`, f);
  }

  private async waitGone(jobId: string, timeoutMs = 15_000): Promise<void> {
    const e = readEntry(this.jobsDir, jobId);
    const deadline = Date.now() + timeoutMs;
    while (e && isAlive(e.pid) && Date.now() < deadline) await sleep(20);
  }

  async status(jobId: string): Promise<JobStatus> {
    if (this.isRunning(jobId)) {
      const s = await this.call<HostStatus>(jobId, 'status');
      return { jobId, state: s.state === 'stopped' ? 'finished' : s.state, positions: s.positions, sinkTopic: s.sinkTopic };
    }
    const f = this.finalOf(jobId);
    if (f) return { jobId, state: f.status.state === 'cancelled' ? 'cancelled' : 'finished', positions: f.status.positions, sinkTopic: f.status.sinkTopic };
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
      const live = await this.call<HostMetrics>(jobId, 'metrics').catch((e: unknown) => ({ error: e }));
      if (!('error' in live)) return live;
      const f = this.finalOf(jobId);
      if (f) return f.metrics;
      throw live.error;
    }
    const f = this.finalOf(jobId);
    if (f) return f.metrics;
    throw new PromotionError('ENGINE_JOB_NOT_RUNNING', `Job ${jobId} is not running and left no final record.`, { hint: 'Check `pitlane canary status` and the job logs.' });
  }

  hold(jobId: string, request: { readonly requestId: string }): Promise<HoldResult> {
    return this.once(request.requestId, () => this.call<HoldResult>(jobId, 'hold'));
  }

  runUntilOffsets(jobId: string, offsets: readonly TopicPartitionOffset[], request: { readonly requestId: string }): Promise<HoldResult> {
    return this.once(request.requestId, () => this.call<HoldResult>(jobId, 'runUntil', { offsets }));
  }

  switchSink(jobId: string, to: string, request: { readonly requestId: string; readonly keepHold?: boolean }): Promise<SwitchSinkResult> {
    return this.once(request.requestId, () => this.call<SwitchSinkResult>(jobId, 'switchSink', { to, keepHold: request.keepHold === true }));
  }

  async resume(jobId: string, request: { readonly requestId: string }): Promise<void> {
    await this.once(request.requestId, () => this.call<unknown>(jobId, 'resume'));
  }

  /** Waits for the first output of a (just started) job on its sink topic. */
  async firstOutputAt(jobId: string, waitMs = 10_000): Promise<number | undefined> {
    const r = await this.call<{ firstOutputAt: number | null }>(jobId, 'firstOutput', { waitMs });
    return r.firstOutputAt ?? undefined;
  }

  async preflight(savepoint: string, job: { readonly job: string; readonly parallelism?: number; readonly allowNonRestoredState?: boolean; readonly inputs?: readonly string[]; readonly sinkTopic?: string }): Promise<PreflightReport> {
    const meta = await readSavepointMetadata(savepoint);
    const def = await loadJobModule(job.job);
    let plan;
    try {
      plan = planRestore(meta, describeJob(def, { ...(job.inputs ? { input: job.inputs.join(',') } : {}), ...(job.sinkTopic ? { output: job.sinkTopic } : {}) }), { allowNonRestoredState: job.allowNonRestoredState === true, ...(job.parallelism !== undefined ? { parallelism: job.parallelism } : {}) });
    } catch (e) {
      if (e instanceof RestoreIncompatibleError || e instanceof PitlaneError) return { compatible: false, refusals: [e.message], notes: [] };
      throw e;
    }
    const notes = [
      ...plan.migrations.map((m) => `${m.uid}/${m.state}: state schema migrates (${JSON.stringify(m.from).slice(0, 60)} → ${JSON.stringify(m.to).slice(0, 60)})`),
      ...plan.startsEmpty.map((n) => `${n.uid}${n.state ? `/${n.state}` : ''}: starts empty (${n.reason})`),
      ...plan.dropped.map((n) => `${n.uid}${n.state ? `/${n.state}` : ''}: dropped (${n.reason})`),
      ...plan.assignments.filter((a) => a.parallelism !== a.savedParallelism).map((a) => `${a.uid}: rescaled ${a.savedParallelism} → ${a.parallelism}`),
    ];
    return { compatible: plan.compatible, refusals: plan.problems.map((p) => `${p.message} Fix: ${p.fix}`), notes };
  }
}
