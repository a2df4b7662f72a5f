/**
 * Runs the savepoint tool (flink/savepoint-tool, a Java program over Flink's own
 * classes) in a JVM of its own: it reads a savepoint's `_metadata` and the head of
 * its keyed state (operator ids, uids where Flink keeps them, parallelism, max
 * parallelism, state names, serializer snapshots), builds the candidate's stream
 * graph from its jar, entry class and arguments (nothing is submitted), and asks
 * Flink's serializer snapshots whether each saved state can be read by the
 * candidate. It writes facts as JSON; savepoint-plan.ts judges them.
 *
 * Where the tool and Flink's jars are is the caller's to say (a `SavepointTool`):
 * the CLI gets them from the dev launcher's cache (src/dev/flink-savepoint-tool.ts).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { EngineError } from '../../errors.ts';
import { parseWith } from '../../config/validate.ts';

/** How to run the tool: the classpath (its jar and Flink's) and the JVM's flags. */
export interface SavepointToolCommand {
  readonly classpath: readonly string[];
  readonly jvmArgs: readonly string[];
}

/** Finds (or builds) the tool when a preflight first needs it. */
export type SavepointTool = () => Promise<SavepointToolCommand>;

export const TOOL_MAIN_CLASS = 'dev.pitlane.flink.tool.Tool';

const savedOperator = z.object({
  operatorId: z.string(),
  uid: z.string().nullable(),
  name: z.string().nullable(),
  parallelism: z.number().int(),
  maxParallelism: z.number().int(),
  hasState: z.boolean(),
  bytes: z.number(),
  operatorStates: z.array(z.string()),
  keyType: z.string().nullable(),
  keyedStates: z.array(z.object({ name: z.string(), kind: z.string(), type: z.string().nullable() })),
  readError: z.string().nullable(),
});

const candidateOperator = z.object({
  operatorIds: z.array(z.string()),
  uid: z.string().nullable(),
  name: z.string(),
  parallelism: z.number().int(),
  maxParallelism: z.number().int(),
  keyType: z.string().nullable(),
  states: z.array(z.object({ name: z.string(), type: z.string() })),
});

const verdict = z.object({
  operatorId: z.string(),
  state: z.string().nullable(),
  kind: z.string(),
  saved: z.string(),
  candidate: z.string().nullable(),
  via: z.enum(['descriptor', 'class', 'key', 'none']),
  result: z.enum(['COMPATIBLE_AS_IS', 'COMPATIBLE_AFTER_MIGRATION', 'COMPATIBLE_WITH_RECONFIGURED_SERIALIZER', 'INCOMPATIBLE', 'UNKNOWN']),
  detail: z.string().optional(),
});

const factsSchema = z.object({
  savepoint: z.array(savedOperator),
  candidate: z.object({ jobName: z.string().nullable(), operators: z.array(candidateOperator) }),
  compatibility: z.array(verdict),
});

export type SavedOperator = z.output<typeof savedOperator>;
export type CandidateOperator = z.output<typeof candidateOperator>;
export type Verdict = z.output<typeof verdict>;
export type SavepointFacts = z.output<typeof factsSchema>;

export interface ToolRequest {
  /** The savepoint directory (or its `_metadata`) on this machine. */
  readonly savepoint: string;
  readonly jar: string;
  readonly entryClass: string;
  readonly args: readonly string[];
  /** The parallelism the candidate would be started with (operators that set none get it). */
  readonly parallelism: number;
  readonly timeoutMs?: number;
}

/** The tool's facts, or an EngineError saying what it could not read and what to do. */
export async function runSavepointTool(command: SavepointToolCommand, r: ToolRequest): Promise<SavepointFacts> {
  const dir = mkdtempSync(join(tmpdir(), 'pitlane-sp-tool-'));
  const out = join(dir, 'facts.json');
  const argv = [...command.jvmArgs, '-cp', command.classpath.join(':'), TOOL_MAIN_CLASS, '--savepoint', r.savepoint, '--out', out, '--jar', r.jar, '--entry-class', r.entryClass, '--parallelism', String(r.parallelism), '--', ...r.args];
  try {
    const run = await new Promise<{ code: number | null; stderr: string; error?: Error }>((resolve) => {
      execFile('java', argv, { timeout: r.timeoutMs ?? 180_000, maxBuffer: 16 * 1024 * 1024 }, (error, _stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stderr, ...(error ? { error } : {}) });
      });
    });
    let written: unknown;
    try {
      written = JSON.parse(readFileSync(out, 'utf8'));
    } catch {
      written = undefined;
    }
    if (written && typeof written === 'object' && 'error' in written) {
      throw new EngineError('FLINK_PREFLIGHT_UNREADABLE', `The Flink preflight could not read ${r.savepoint} against ${r.entryClass} in ${r.jar}: ${String(written.error)}`, {
        hint: 'Check that the savepoint is a Flink savepoint on this machine (a directory with _metadata), and that the jar, entry class and arguments build the job (`pitlane flink run` with the same ones).',
        data: { savepoint: r.savepoint, jar: r.jar, entryClass: r.entryClass },
      });
    }
    if (run.code !== 0 || written === undefined) {
      const tail = run.stderr.split('\n').filter((l) => l.trim()).slice(-8).join('\n');
      throw new EngineError('FLINK_PREFLIGHT_FAILED', `The Flink savepoint tool failed (${run.error?.message.split('\n')[0] ?? `exit ${run.code}`})${tail ? `:\n${tail}` : ''}`, {
        hint: 'Check that Java 17+ is on PATH and that the Flink jars and the tool are built (`pitlane flink jars`); a timeout on a busy machine passes when run again.',
        retriable: true,
      });
    }
    return parseWith(factsSchema, written, 'the Flink savepoint tool\'s answer');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
