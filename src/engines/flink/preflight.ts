/**
 * What can be checked before a Flink job is started from a savepoint, without running
 * anything and while the job that wrote it still runs.
 *
 * With the savepoint tool (savepoint-tool.ts) and a savepoint on this machine's file
 * system: the savepoint's operators and state against the candidate's stream graph,
 * built from its jar, entry class and arguments — state with no operator, a changed
 * max parallelism, a parallelism above it, a key or state type Flink cannot migrate
 * (savepoint-plan.ts). What is not visible statically is noted and left to the
 * candidate's own restore in the shadow.
 *
 * Without the tool (an adapter made without one) or for a savepoint on a remote file
 * system: the savepoint's `_metadata` is there (local paths), the jar is a jar, and
 * Flink can build the job graph (POST /jars/:id/plan runs main() up to the graph,
 * submits nothing); Flink itself then refuses an unmappable savepoint at the start,
 * and the adapter reports that with the flag that fixes it.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PitlaneError } from '../../errors.ts';
import type { PreflightJob, PreflightReport } from '../adapter.ts';
import { programArgs } from './args.ts';
import { ensureJar } from './jars.ts';
import type { FlinkRest } from './rest.ts';
import { planFlinkRestore, refusalLines, type FlinkRestorePlan } from './savepoint-plan.ts';
import { runSavepointTool, type SavepointFacts, type SavepointTool } from './savepoint-tool.ts';

/** The local file behind a savepoint location (`file:///…` or a plain path); undefined for a remote file system. */
export function localSavepointPath(location: string): string | undefined {
  if (location.startsWith('file:')) return fileURLToPath(location);
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(location) ? undefined : location;
}

/** The `_metadata` file of a local savepoint (its directory or the file itself). */
export function savepointMetadataFile(local: string): string {
  return existsSync(local) && statSync(local).isDirectory() ? join(local, '_metadata') : local;
}

/** The first four bytes of every Flink checkpoint or savepoint `_metadata` (Flink's Checkpoints.HEADER_MAGIC_NUMBER). */
const FLINK_METADATA_MAGIC = 0x4960672d;

/**
 * A Flink savepoint on this machine: a directory whose `_metadata` (or that file)
 * starts with Flink's magic number. pitlane's own savepoints have a `_metadata` too,
 * with another magic number.
 */
export function isFlinkSavepoint(path: string): boolean {
  const local = localSavepointPath(path);
  if (local === undefined) return false;
  const meta = savepointMetadataFile(local);
  if (!existsSync(meta) || !statSync(meta).isFile()) return false;
  const head = Buffer.alloc(4);
  const fd = openSync(meta, 'r');
  try {
    return readSync(fd, head, 0, 4, 0) === 4 && head.readUInt32BE(0) === FLINK_METADATA_MAGIC;
  } finally {
    closeSync(fd);
  }
}

interface Plan {
  readonly plan: { readonly nodes: readonly { readonly id: string; readonly parallelism: number; readonly description?: string }[] };
}

export interface FlinkCheckRequest {
  readonly savepoint: string;
  readonly jar: string;
  readonly entryClass: string;
  /** Filled program arguments. */
  readonly args: readonly string[];
  readonly parallelism?: number;
  readonly allowNonRestoredState?: boolean;
}

/** The tool's facts about a local savepoint and a candidate, and the plan judged from them. */
export async function checkFlinkSavepoint(tool: SavepointTool, r: FlinkCheckRequest): Promise<{ readonly facts: SavepointFacts; readonly plan: FlinkRestorePlan }> {
  const facts = await runSavepointTool(await tool(), { savepoint: r.savepoint, jar: resolve(r.jar), entryClass: r.entryClass, args: r.args, parallelism: r.parallelism ?? 1 });
  return { facts, plan: planFlinkRestore(facts, { allowNonRestoredState: r.allowNonRestoredState === true }) };
}

function failure(e: unknown): string {
  return e instanceof PitlaneError ? `${e.message}${e.hint ? ` (${e.hint})` : ''}` : String(e);
}

export async function preflightFlinkJob(rest: FlinkRest, savepoint: string, job: PreflightJob, o: { readonly bootstrapServers: string; readonly tool?: SavepointTool | undefined }): Promise<PreflightReport> {
  const refusals: string[] = [];
  const notes: string[] = [];
  const local = localSavepointPath(savepoint);
  if (local !== undefined) {
    const meta = savepointMetadataFile(local);
    if (!existsSync(meta)) refusals.push(`savepoint ${savepoint}: no ${meta} — not a Flink savepoint, or not on this machine's file system; name the directory Flink reported.`);
  } else {
    notes.push(`savepoint ${savepoint} is on a file system pitlane does not read; Flink checks it at the start.`);
  }
  if (!job.flink) {
    refusals.push(`job ${job.job}: no entry class; give the Flink job its entryClass.`);
    return { compatible: false, refusals, notes };
  }
  const args = programArgs(job.flink.args, {
    bootstrapServers: o.bootstrapServers,
    inputs: job.inputs ?? [],
    sinkTopic: job.sinkTopic ?? 'pitlane-preflight',
    identity: 'pitlane-preflight',
    startingOffsets: 'earliest',
    commitIntervalMs: 1000,
  });
  if (o.tool && local !== undefined && refusals.length === 0) {
    try {
      const { plan } = await checkFlinkSavepoint(o.tool, { savepoint: local, jar: job.job, entryClass: job.flink.entryClass, args, ...(job.parallelism ? { parallelism: job.parallelism } : {}), allowNonRestoredState: job.allowNonRestoredState === true });
      return { compatible: plan.compatible, refusals: refusalLines(plan), notes: [...notes, ...plan.notes, 'the candidate\'s own restore in the shadow, while the authoritative job still runs, is the final proof'] };
    } catch (e) {
      // A savepoint or candidate the tool cannot read is a refusal; a tool that cannot run is an error.
      if (e instanceof PitlaneError && e.code === 'FLINK_PREFLIGHT_UNREADABLE') return { compatible: false, refusals: [failure(e)], notes };
      throw e;
    }
  }
  try {
    const { jarId } = await ensureJar(rest, job.job);
    const plan = await rest.post<Plan>(`/jars/${jarId}/plan`, { entryClass: job.flink.entryClass, programArgsList: args, ...(job.parallelism ? { parallelism: job.parallelism } : {}) });
    notes.push(`job graph of ${job.flink.entryClass}: ${plan.plan.nodes.length} vertices (${plan.plan.nodes.map((n) => `${(n.description ?? n.id).replace(/<[^>]+>/g, '').slice(0, 60)} ×${n.parallelism}`).join(', ')})`);
    notes.push('operator and state compatibility with the savepoint is checked by Flink at the start (allowNonRestoredState drops state without an operator).');
  } catch (e) {
    refusals.push(`job ${job.flink.entryClass} in ${job.job}: ${failure(e)}`);
  }
  return { compatible: refusals.length === 0, refusals, notes };
}
