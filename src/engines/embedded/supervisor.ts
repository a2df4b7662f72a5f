/**
 * The embedded adapter's process supervisor: it spawns one detached keeper per
 * job (keeper/keeper-main.ts), which spawns the job-host process (host/host-main.ts)
 * and restarts it after a crash; it finds a job's host by its id in the job
 * directory, calls it over its control channel, and stops it by its pid when it
 * does not answer. Why processes and not jobs inside the orchestrator: the
 * orchestrator is a short-lived CLI or a supervisor that may be `kill -9`ed; the
 * jobs it manages must keep running through that, or "resume" would mean
 * nothing. A restarted orchestrator finds them by job id in the job directory.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EngineError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import type { ConnectionConfig } from '../../config/connection.ts';
import { isAlive, isOurProcess, stopPid, tailFile } from '../../process/index.ts';
import type { StandbyRequest } from '../adapter.ts';
import { hostsOf, type CallArgs } from './control/client.ts';
import { readEntry } from './control/job-directory.ts';
import type { AnswerOf, CommandOf, RequestOf } from './control/protocol.ts';
import type { HostConfig } from './host/config.ts';
import { safeName, type StateDir } from '../state-dir.ts';
import { readKeeperRecord, type KeeperRecord } from './keeper/record.ts';
import { sleep } from '../../clock.ts';

/** A log line as a person reads it: a JSON log line as its message and error, any other line as it is. */
function readableLogLine(line: string): string {
  try {
    const j = JSON.parse(line) as { msg?: unknown; err?: unknown };
    if (typeof j.msg === 'string') return typeof j.err === 'string' ? `${j.msg}: ${j.err}` : j.msg;
  } catch {
    // not a log line (what node printed): as it is
  }
  return line;
}

export interface SupervisorOptions {
  readonly connection: ConnectionConfig;
  readonly logger: Logger;
  /** Log level of job hosts. */
  readonly hostLogLevel?: string | undefined;
  /** How long a job may take to come up. */
  readonly startTimeoutMs?: number | undefined;
}

const KEEPER_MAIN = fileURLToPath(new URL('./keeper/keeper-main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

export class HostSupervisor {
  /** Where the hosts announce themselves (control/job-directory.ts). */
  readonly jobsDir: string;
  private readonly send: ReturnType<typeof hostsOf<'managed'>>;

  constructor(
    private readonly state: StateDir,
    private readonly o: SupervisorOptions,
  ) {
    this.jobsDir = state.sub('jobs');
    this.send = hostsOf<'managed'>(this.jobsDir);
  }

  logFile(jobId: string): string {
    return this.state.file('hosts', jobId, '.log');
  }

  isRunning(jobId: string): boolean {
    const e = readEntry(this.jobsDir, jobId);
    return e !== undefined && isAlive(e.pid);
  }

  /** Calls `command` on the host of `jobId` (all hosts here are managed ones). */
  call<C extends CommandOf<'managed'>>(jobId: string, command: C, request: RequestOf<C>, timeoutMs?: number): Promise<AnswerOf<C, 'managed'>> {
    return this.send(jobId, command, ...([request, timeoutMs ?? 180_000] as CallArgs<C>));
  }

  /** The start config of a host for `r` (its state: `from`, or `standby`, is the caller's to add). */
  hostConfig(r: StandbyRequest): HostConfig {
    // Checkpoints hold exactly-once output in a transaction until the next one: their interval is the commit interval.
    const checkpoints = r.recovery?.checkpoints;
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
      ...(checkpoints ? { checkpoints: { dir: resolve(this.state.sub('checkpoints'), safeName(r.jobId)), ...checkpoints }, restart: r.recovery?.restart } : {}),
      files: { log: this.logFile(r.jobId), run: this.runFile(r.jobId), keeper: this.keeperFile(r.jobId), stop: this.stopFile(r.jobId) },
    };
  }

  /** What a host of `jobId` keeps across its restarts (host/run-record.ts). */
  runFile(jobId: string): string {
    return this.state.file('hosts', jobId, '.run.json');
  }

  /** Written when a stop is asked for: the keeper restarts nothing once it is there. */
  stopFile(jobId: string): string {
    return this.state.file('hosts', jobId, '.stop');
  }

  keeperFile(jobId: string): string {
    return this.state.file('hosts', jobId, '.keeper.json');
  }

  /** The record of the job's keeper: its pid, restarts, last failure (keeper/record.ts). */
  keeper(jobId: string): (KeeperRecord & { readonly alive: boolean }) | undefined {
    const r = readKeeperRecord(this.keeperFile(jobId));
    return r && { ...r, alive: isOurProcess(r.pid, 'keeper-main') };
  }

  /**
   * Stops the job's keeper, so that nothing restarts the host a stop is about to end:
   * the stop marker first (a keeper checks it before any restart), then SIGTERM by its
   * pid — waited for unless `wait` is false (a handoff's stop keeps it off its critical path).
   */
  async stopKeeper(jobId: string, wait = true): Promise<void> {
    writeFileSync(this.stopFile(jobId), String(Date.now()));
    const k = this.keeper(jobId);
    if (!k?.alive) return;
    if (wait) await stopPid(k.pid, 5000);
    else process.kill(k.pid, 'SIGTERM');
  }

  /** Spawns a detached keeper, which spawns the job host, and waits until the host answers (running, holding, or a waiting standby). */
  async spawn(config: HostConfig): Promise<void> {
    const cfgFile = this.state.file('hosts', config.jobId, '.json');
    writeFileSync(cfgFile, JSON.stringify(config, null, 2));
    // A new run: not the restart of an earlier one (its lineage, its keeper's count).
    rmSync(this.runFile(config.jobId), { force: true });
    rmSync(this.keeperFile(config.jobId), { force: true });
    rmSync(this.stopFile(config.jobId), { force: true });
    const log = this.logFile(config.jobId);
    const fd = openSync(log, 'a');
    // Detached, own process group, no pipes to us: the keeper and its job outlive the orchestrator.
    const child = spawn(process.execPath, ['--import', TSX, KEEPER_MAIN, cfgFile], { detached: true, stdio: ['ignore', fd, fd], cwd: process.cwd(), env: process.env });
    closeSync(fd);
    child.unref();
    let exited: number | null | undefined;
    child.once('exit', (code) => (exited = code));
    const timeoutMs = this.o.startTimeoutMs ?? 60_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (exited !== undefined || (child.pid !== undefined && !isAlive(child.pid))) {
        // The keeper (gone now) recorded why: the job's own error first, then the end of its log.
        const failure = readKeeperRecord(this.keeperFile(config.jobId))?.lastFailure;
        const why = failure?.error ?? failure?.reason.split('\n')[0] ?? `its keeper exited with code ${String(exited)}`;
        const tail = tailFile(log, 8).map(readableLogLine);
        throw new EngineError('ENGINE_JOB_START_FAILED', `Job ${config.jobId} (${config.job}) failed to start: ${why}${tail.length > 0 ? `\nThe end of its log:\n  ${tail.join('\n  ')}` : ''}`, {
          hint: `Fix what the job says above and start it again; its whole log is ${log}.`,
          data: { jobId: config.jobId, error: why, log },
        });
      }
      if (this.isRunning(config.jobId)) {
        const s = await this.call(config.jobId, 'status', {}).catch(() => undefined);
        if (s && s.state !== 'starting') break;
      }
      if (Date.now() > deadline) throw new EngineError('ENGINE_JOB_START_TIMEOUT', `Job ${config.jobId} did not come up within ${timeoutMs} ms.`, { retriable: true, hint: `See its log: ${log}.` });
      await sleep(20);
    }
    this.o.logger.info({ jobId: config.jobId, job: config.job, pid: child.pid, sink: config.sinkTopic, standby: config.standby === true }, config.standby ? 'standby started' : 'job started');
  }

  /** Waits (bounded) until the host of `jobId` has exited. */
  async waitGone(jobId: string, timeoutMs = 15_000): Promise<void> {
    const e = readEntry(this.jobsDir, jobId);
    const deadline = Date.now() + timeoutMs;
    while (e && isAlive(e.pid) && Date.now() < deadline) await sleep(20);
  }

  /** Stops the host of `jobId` by its pid (SIGTERM, then SIGKILL) if it is still there, and only if it is a job host. */
  async stopByPid(jobId: string): Promise<void> {
    const left = readEntry(this.jobsDir, jobId);
    if (left && isOurProcess(left.pid, 'host-main')) {
      this.o.logger.warn({ jobId, pid: left.pid }, 'the job host is still running after its stop; stopping it by its pid');
      await stopPid(left.pid, 5000);
    }
  }
}
