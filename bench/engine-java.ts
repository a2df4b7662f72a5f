/**
 * bench:engine's plain-Java Kafka tools (flink/kafka-pipe, kafka-clients only, no Flink),
 * each run as `java -cp pitlane-flink-kafka-pipe.jar CLASS --name value …`, a child
 * process the bench tracks by pid and stops (also on SIGINT/SIGTERM: `onInterrupt`, broker.ts).
 * Each tool prints one JSON object per line on stdout.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { onInterrupt } from './broker.ts';

export const JAVA_TOOLS = {
  /** consume → produce, read_committed in, idempotent out: the I/O limit. */
  pipe: 'dev.pitlane.kafka.bench.Pipe',
  /** writes the bench's input records (the same as (b)'s kafkajs producer writes). */
  generate: 'dev.pitlane.kafka.bench.Generate',
  /** counts committed records (read_committed), and says when the count reached N. */
  count: 'dev.pitlane.kafka.bench.Count',
} as const;

export interface JavaTool {
  readonly pid: number;
  /** The next JSON line that has `key`; rejects if the tool exits first or `timeoutMs` passes. */
  next(key: string, timeoutMs: number): Promise<Record<string, unknown>>;
  /** Writes a line to the tool's stdin. */
  send(line: string): void;
  readonly exited: Promise<number>;
  stop(): void;
}

export function startJavaTool(jar: string, cls: string, args: Record<string, string | number>, jvm: readonly string[] = ['-Xmx1g']): JavaTool {
  const argv = [...jvm, '-cp', jar, cls, ...Object.entries(args).flatMap(([k, v]) => [`--${k}`, String(v)])];
  const child = spawn('java', argv, { stdio: ['pipe', 'pipe', 'pipe'] });
  const stop = () => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGTERM');
  };
  // Stopped by its pid if the bench is interrupted while it runs.
  const forget = onInterrupt(async () => {
    stop();
    await exited;
  });
  const lines: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  let wake: (() => void) | undefined;
  let exitCode: number | undefined;
  createInterface({ input: child.stdout! }).on('line', (l) => {
    try {
      lines.push(JSON.parse(l) as Record<string, unknown>);
    } catch {
      stderr.push(l);
    }
    wake?.();
  });
  child.stderr!.on('data', (d: Buffer) => stderr.push(...d.toString().split('\n').filter((l) => l.trim())));
  const exited = new Promise<number>((resolve) => {
    child.on('error', (e) => {
      stderr.push(String(e));
      exitCode = -1;
      forget();
      wake?.();
      resolve(-1);
    });
    child.on('close', (code, signal) => {
      exitCode = code ?? (signal ? 128 : -1);
      forget();
      wake?.();
      resolve(exitCode);
    });
  });
  const name = cls.split('.').pop();
  return {
    pid: child.pid ?? -1,
    exited,
    send: (line) => void child.stdin!.write(`${line}\n`),
    stop,
    async next(key, timeoutMs) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const i = lines.findIndex((l) => key in l);
        if (i >= 0) return lines.splice(0, i + 1).pop()!;
        if (exitCode !== undefined) throw new Error(`${name} exited (${exitCode}) before printing "${key}":\n${stderr.slice(-15).join('\n')}`);
        const left = end - Date.now();
        if (left <= 0) throw new Error(`${name} did not print "${key}" within ${Math.round(timeoutMs / 1000)} s`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, Math.min(left, 1000));
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        wake = undefined;
      }
    },
  };
}

/** Runs a tool to its end and returns its last JSON line; an exit code other than 0 is an error. */
export async function runJavaTool(jar: string, cls: string, args: Record<string, string | number>, key: string, timeoutMs: number): Promise<Record<string, unknown>> {
  const tool = startJavaTool(jar, cls, args);
  try {
    const out = await tool.next(key, timeoutMs);
    if ((await tool.exited) !== 0) throw new Error(`${cls} failed after printing ${JSON.stringify(out)}`);
    return out;
  } finally {
    tool.stop();
  }
}

/**
 * A read_committed counter on `topic`, positioned at its beginning before it returns:
 * `reachedAt()` is the wall clock (epoch ms) when the count first reached `n`
 * (committed records, transaction markers not counted); `total()`, called once the
 * writer has stopped, reads to the end and returns every committed record.
 */
export async function startCounter(jar: string, brokers: string, topic: string, n: number) {
  const tool = startJavaTool(jar, JAVA_TOOLS.count, { 'bootstrap-servers': brokers, topic, records: n }, ['-Xmx256m', '-XX:+UseSerialGC']);
  try {
    await tool.next('ready', 60_000);
  } catch (e) {
    tool.stop();
    throw e;
  }
  return {
    reachedAt: async (timeoutMs: number) => Number((await tool.next('reached', timeoutMs)).at),
    total: async () => {
      tool.send('end');
      const t = Number((await tool.next('total', 120_000)).total);
      await tool.exited;
      return t;
    },
    stop: () => tool.stop(),
  };
}
