/**
 * Helpers for tests that drive `pitlane run` as a real process (not a test file):
 * spawn it, wait until it announces itself on the control channel, kill -9 it, and
 * run one-shot CLI commands against it. Every process started here is killed (by
 * pid) after the test if it is still alive.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import type { IncomingRecord, KafkaPort } from '../src/kafka/port.ts';
import { readEntry } from '../src/engines/embedded/control/job-directory.ts';
import { uniqueName, waitFor } from './support/kafka.ts';

export const repo = fileURLToPath(new URL('..', import.meta.url));

export interface Workspace {
  readonly root: string;
  readonly env: NodeJS.ProcessEnv;
  readonly jobsDir: string;
}

/** A temporary directory for savepoints and checkpoints, and a private jobs directory. */
export async function workspace(t: TestContext): Promise<Workspace> {
  const root = await mkdtemp(join(tmpdir(), 'pitlane-sprt-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const jobsDir = join(root, 'jobs');
  // The savepoint history of the savepoints these tests trigger goes to a directory store of their own.
  return { root, jobsDir, env: { ...process.env, PITLANE_JOBS_DIR: jobsDir, PITLANE_LOG_LEVEL: 'warn', PITLANE_STORE: `dir:${join(root, 'store')}`, PITLANE_STATE_DIR: join(root, 'state') } };
}

export function cli(ws: Workspace, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCli(args, ws.env);
}

/** Runs `pitlane ARGS` from the repository with `env` (default: this process's) and collects its output. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [join(repo, 'bin', 'pitlane.mjs'), ...args], { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

export interface RunProcess {
  readonly child: ChildProcess;
  readonly name: string;
  output(): { stdout: string; stderr: string };
  /** Resolves with the exit code (or -1 after a signal). */
  readonly exited: Promise<number>;
  kill9(): Promise<void>;
}

/** Starts `pitlane run ARGS` and resolves once it is registered under `name`. */
export async function startRun(t: TestContext, ws: Workspace, name: string, args: readonly string[]): Promise<RunProcess> {
  const child = spawn(process.execPath, [join(repo, 'bin', 'pitlane.mjs'), 'run', ...args, '--name', name], { cwd: repo, env: ws.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let alive = true;
  const exited = new Promise<number>((resolve) =>
    child.on('close', (code) => {
      alive = false;
      resolve(code ?? -1);
    }),
  );
  t.after(async () => {
    if (alive && child.pid) process.kill(child.pid, 'SIGKILL');
    await exited;
    // Errors the job logged help explain a failure (kafkajs retries are logged as errors too).
    const errors = stderr.split('\n').filter((l) => /error/i.test(l) && !l.includes('CONCURRENT_TRANSACTIONS') && !l.includes('concurrent operation'));
    if (errors.length > 0) t.diagnostic(`pitlane run ${name}:\n${errors.slice(-10).join('\n')}`);
  });
  const registered = waitFor(() => !alive || readEntry(ws.jobsDir, name)?.pid === child.pid, { timeoutMs: 60000, intervalMs: 100, message: `pitlane run ${name} registered` });
  await registered;
  if (!alive) throw new Error(`pitlane run ${name} exited early:\n${stderr}`);
  return {
    child,
    name,
    exited,
    output: () => ({ stdout, stderr }),
    async kill9() {
      if (alive && child.pid) process.kill(child.pid, 'SIGKILL');
      await exited;
    },
  };
}

/** A topic's records as a reader with the given isolation sees them. */
export async function readAll(kafka: KafkaPort, topic: string, isolation: 'read_committed' | 'read_uncommitted' = 'read_committed'): Promise<IncomingRecord[]> {
  const out: IncomingRecord[] = [];
  for await (const b of kafka.read({ topics: [topic], from: 'earliest', to: 'end', isolation })) out.push(...b.records);
  return out.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

export const jsonValues = <T>(records: readonly IncomingRecord[]): T[] => records.filter((r) => r.value !== null).map((r) => JSON.parse(r.value!.toString()) as T);

/**
 * A fresh topic for the test (deleted after it), kept regardless of record age: the
 * tests stamp records in 2023, and a broker with time retention (the usual 7 days)
 * would delete them at its next retention check, from under the test.
 * Retried: right after the test broker starts, kafkajs' createTopics (waitForLeaders)
 * sometimes reports UNKNOWN_TOPIC_OR_PARTITION for a topic it just created (reported
 * to the kafka/ owner). Each attempt uses a fresh name, and every name is deleted.
 */
export async function topicOf(k: { kafka: KafkaPort; trackTopic(topic: string): string }, prefix: string, partitions = 1): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const topic = k.trackTopic(uniqueName(prefix));
    try {
      await k.kafka.createTopics([{ topic, partitions, config: { 'retention.ms': '-1' } }]);
      return topic;
    } catch (e) {
      if (attempt >= 5 || (e as { code?: string }).code !== 'KAFKA_TOPIC_NOT_FOUND') throw e;
      await new Promise((r) => setTimeout(r, 250 * attempt));
    }
  }
}
