/**
 * The AnalysisPort of the orchestrator: the live comparison of a deployment runs
 * in its own detached process, the shadow supervisor (its entry, given by the
 * composition root, is src/orchestrator/supervisor-main.ts), so
 * that `pitlane canary start` can return while the analysis goes on, and so that
 * a killed supervisor is simply started again by `pitlane canary resume`. The
 * supervisor also applies the verdicts (and, with auto promotion, promotes or
 * aborts) through its own controller.
 *
 * Idempotent: starting a deployment whose supervisor is alive is a no-op;
 * stopping one that is gone is a no-op. When the supervisor itself performs
 * `stopAnalysis` (auto promotion), it stops its own loop instead of a process
 * (its composition root passes that loop in as `self`).
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../logger.ts';
import type { ConnectionConfig } from '../../config/connection.ts';
import { isAlive } from '../../process/index.ts';
import type { Deployment } from '../lifecycle/model.ts';
import type { AnalysisPort } from '../controller/ports.ts';
import { deploymentDir } from '../state-dir.ts';
import { sleep } from '../../clock.ts';

export interface SupervisorConfig {
  readonly name: string;
  readonly stateDir: string;
  readonly storeSpec: string;
  readonly connection: ConnectionConfig;
  /** The Flink endpoint the starting orchestrator was given (create.ts FlinkRestChoice). */
  readonly flinkRest?: { readonly explicit?: string | undefined; readonly fallback?: string | undefined } | undefined;
}

const TSX = import.meta.resolve('tsx');

export interface SupervisorAnalysisOptions {
  readonly stateDir: string;
  readonly storeSpec: string;
  readonly connection: ConnectionConfig;
  readonly logger: Logger;
  /** The supervisor process's entry module (run as `node --import tsx ENTRY CONFIG.json`). */
  readonly entry: string;
  /** Inside a supervisor process: the deployment it supervises and how to stop its loop. */
  readonly self?: { readonly name: string; readonly stop: () => void } | undefined;
  /** Passed on to the supervisor's own orchestrator, which reads the Flink jobs' status. */
  readonly flinkRest?: SupervisorConfig['flinkRest'];
}

export class SupervisorAnalysis implements AnalysisPort {
  constructor(private readonly o: SupervisorAnalysisOptions) {}

  private dir(name: string): string {
    const d = deploymentDir(this.o.stateDir, name);
    mkdirSync(d, { recursive: true });
    return d;
  }

  pidOf(name: string): number | undefined {
    const f = join(this.dir(name), 'supervisor.pid');
    if (!existsSync(f)) return undefined;
    const pid = Number(readFileSync(f, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
  }

  async start(d: Deployment): Promise<void> {
    if (this.o.self?.name === d.name) return;
    if (this.pidOf(d.name) !== undefined) return;
    const dir = this.dir(d.name);
    const cfg = join(dir, 'supervisor.json');
    const config: SupervisorConfig = { name: d.name, stateDir: this.o.stateDir, storeSpec: this.o.storeSpec, connection: this.o.connection, ...(this.o.flinkRest ? { flinkRest: this.o.flinkRest } : {}) };
    writeFileSync(cfg, JSON.stringify(config, null, 2));
    const fd = openSync(join(dir, 'supervisor.log'), 'a');
    const child = spawn(process.execPath, ['--import', TSX, this.o.entry, cfg], { detached: true, stdio: ['ignore', fd, fd], cwd: process.cwd(), env: process.env });
    closeSync(fd);
    child.unref();
    writeFileSync(join(dir, 'supervisor.pid'), String(child.pid));
    this.o.logger.info({ deployment: d.name, pid: child.pid }, 'shadow supervisor started');
  }

  async stop(d: Deployment): Promise<void> {
    if (this.o.self?.name === d.name) {
      this.o.self.stop();
      return;
    }
    const pid = this.pidOf(d.name);
    if (pid === undefined) return;
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 15_000;
    while (isAlive(pid) && Date.now() < deadline) await sleep(20);
    if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(join(this.dir(d.name), 'supervisor.pid'), { force: true });
  }
}
