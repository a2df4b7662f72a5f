/**
 * The embedded adapter's process supervisor: it spawns one detached job-host
 * process per job (host/host-main.ts), finds a job's host by its id in the job
 * directory, calls it over its control channel, and stops it by its pid when it
 * does not answer. Why processes and not jobs inside the orchestrator: the
 * orchestrator is a short-lived CLI or a supervisor that may be `kill -9`ed; the
 * jobs it manages must keep running through that, or "resume" would mean
 * nothing. A restarted orchestrator finds them by job id in the job directory.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, writeFileSync } from 'node:fs';
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
import type { StateDir } from '../state-dir.ts';
import { sleep } from '../../clock.ts';

export interface SupervisorOptions {
  readonly connection: ConnectionConfig;
  readonly logger: Logger;
  /** Log level of job hosts. */
  readonly hostLogLevel?: string | undefined;
  /** How long a job may take to come up. */
  readonly startTimeoutMs?: number | undefined;
}

const HOST_MAIN = fileURLToPath(new URL('./host/host-main.ts', import.meta.url));
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
  async spawn(config: HostConfig): Promise<void> {
    const cfgFile = this.state.file('hosts', config.jobId, '.json');
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
        throw new EngineError('ENGINE_JOB_START_FAILED', `Job ${config.jobId} (${config.job}) exited while starting (code ${String(exited)}):\n${tailFile(log, 15).join('\n')}`, {
          hint: `The job crashed at start; its log is ${log}.`,
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
