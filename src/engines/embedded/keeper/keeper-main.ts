/**
 * Process entry of a job's keeper: `node --import tsx keeper-main.ts CONFIG.json`.
 * The embedded adapter (supervisor.ts) spawns one, detached, per managed job; the
 * keeper spawns the job host (host-main.ts, same config) and waits for it. A host
 * that exits 0 was stopped (or its input ended): the keeper ends too. A host that
 * dies otherwise — killed, crashed, its job failed — is respawned after the delay
 * of the restart strategy (restart-strategy.ts), and the new host resumes the run
 * from its latest committed checkpoint (host/run-record.ts, managed.ts); when the
 * strategy gives up, the record says `failed` with the last failure.
 *
 * It never restarts a host that a stop was asked of: before it stops, cancels or
 * savepoints-and-stops the job, the adapter writes the stop marker (checked before
 * every restart) and stops the keeper (SIGTERM, by its pid). Nor a host that never
 * started its job (a standby: the adapter starts a new one when it needs it).
 * On SIGTERM the keeper leaves a running host alone, kills one still starting
 * (no one has been told it runs), and exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readEntry } from '../control/job-directory.ts';
import type { HostConfig } from '../host/config.ts';
import { readRunRecord } from '../host/run-record.ts';
import { decideRestart, NO_RESTARTS, type RestartCount } from './restart-strategy.ts';
import { writeKeeperRecord, type KeeperRecord } from './record.ts';

const HOST_MAIN = fileURLToPath(new URL('../host/host-main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

const cfgFile = process.argv[2];
if (!cfgFile) {
  process.stderr.write('usage: keeper-main.ts CONFIG.json\n');
  process.exit(64);
}
const config = JSON.parse(readFileSync(cfgFile, 'utf8')) as HostConfig;
const files = config.files!;
const say = (msg: string, data: Record<string, unknown> = {}) => process.stdout.write(`${JSON.stringify({ time: Date.now(), keeper: config.jobId, msg, ...data })}\n`);

let record: KeeperRecord = { pid: process.pid, state: 'starting', restarts: 0 };
const save = (r: Partial<KeeperRecord>) => writeKeeperRecord(files.keeper, (record = { ...record, ...r }));

let child: ChildProcess | undefined;
let childUp = false;
process.once('SIGTERM', () => {
  // Asked to stop by the adapter: what follows is its stop of the job, not ours to undo.
  if (child && !childUp && child.exitCode === null) child.kill('SIGKILL');
  say('keeper stopped', { hostRunning: childUp });
  process.exit(0);
});

interface HostExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** It answered on its control channel (announced itself in the job directory). */
  readonly up: boolean;
}

/** What the host logged since `from` (bytes): its last lines, and its last error (pino level ≥ 50), if any. */
function loggedSince(from: number): { readonly tail: string[]; readonly error?: string } {
  let text = '';
  try {
    text = readFileSync(files.log).subarray(from).toString('utf8');
  } catch {
    // no log: nothing to add
  }
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  let error: string | undefined;
  let printed: string | undefined;
  for (const l of lines) {
    try {
      const j = JSON.parse(l) as { level?: unknown; err?: unknown; msg?: unknown; component?: unknown };
      // The Kafka client logs the errors it retries (a CONCURRENT_TRANSACTIONS right after a
      // restart, say) at error level; they are not why the host died — the job's own
      // 'job failed' line is, when there is one.
      if (typeof j.level === 'number' && j.level >= 50 && j.component !== 'kafka') error = typeof j.err === 'string' ? j.err : String(j.msg);
    } catch {
      if (/error/i.test(l)) printed ??= l; // not a log line: what node printed as it died
    }
  }
  error ??= printed;
  return { tail: lines.slice(-8), ...(error !== undefined ? { error } : {}) };
}

const logSize = (): number => {
  try {
    return statSync(files.log).size;
  } catch {
    return 0;
  }
};

function runHost(): Promise<HostExit> {
  childUp = false;
  const fd = openSync(files.log, 'a');
  // Detached: a keeper killed by anyone leaves its host running, as the host always did.
  // A larger young generation: snapshots and restores of a large state allocate
  // millions of short-lived buffers, and the default one makes them GC-bound.
  const c = spawn(process.execPath, ['--max-semi-space-size=64', '--import', TSX, HOST_MAIN, cfgFile!], { detached: true, stdio: ['ignore', fd, fd], env: process.env });
  closeSync(fd);
  child = c;
  const poll = setInterval(() => {
    if (childUp || c.pid === undefined || readEntry(config.jobsDir, config.jobId)?.pid !== c.pid) return;
    childUp = true;
    save({ state: 'running' });
  }, 50);
  return new Promise((done) =>
    c.once('exit', (code, signal) => {
      clearInterval(poll);
      done({ code, signal, up: childUp });
    }),
  );
}

const describeExit = (e: HostExit) => (e.signal ? `the job host was killed by ${e.signal}` : `the job host exited with code ${e.code}`);

let count: RestartCount = NO_RESTARTS;
save({});
for (let first = true; ; first = false) {
  const startedAt = Date.now();
  const logFrom = logSize();
  const exit = await runHost();
  if (exit.code === 0 || existsSync(files.stop)) {
    say('job host ended');
    save({ state: 'ended' });
    process.exit(0);
  }
  // One line first (the exit, and the job's error if it logged one), then the end of its log.
  const logged = loggedSince(logFrom);
  const reason = [`${describeExit(exit)}${logged.error !== undefined ? `: ${logged.error}` : ''}`, ...logged.tail].join('\n');
  const failure = { at: Date.now(), reason, ...(logged.error !== undefined ? { error: logged.error } : {}) };
  const giveUp = (why: string, code: number): never => {
    say('not restarting the job host', { why, exit: describeExit(exit) });
    save({ state: 'failed', lastFailure: failure, gaveUp: why });
    process.exit(code);
  };
  // The first start failed: the adapter's start (waiting for it) reports it to its caller.
  if (first && !exit.up) giveUp('it failed to start', 1);
  const run = readRunRecord(files.run);
  if (!run?.from) giveUp('it had not started its job (a standby)', 1);
  if (run?.handoff) giveUp(`it died during a handoff (${run.handoff})`, 1);
  if (!config.checkpoints) giveUp('the job takes no checkpoints to restart from', 1);
  const d = decideRestart(config.restart ?? { type: 'none' }, count, failure.at - startedAt);
  if (!d.restart) giveUp(d.reason, 1);
  else {
    count = d.next;
    say('restarting the job host', { exit: describeExit(exit), delayMs: d.delayMs, attempt: d.next.attempts });
    save({ state: 'restarting', restarts: record.restarts + 1, lastFailure: failure, nextAt: Date.now() + d.delayMs });
    await new Promise((r) => setTimeout(r, d.delayMs));
    if (existsSync(files.stop)) {
      say('a stop was asked for: not restarting');
      save({ state: 'ended' });
      process.exit(0);
    }
  }
}
