/**
 * What can be checked before a Flink job is started from a savepoint, without running
 * anything: the savepoint is there (its `_metadata`, for a path on this machine's
 * file system), the jar is a jar, and Flink can build the job graph of the entry
 * class with these arguments (POST /jars/:id/plan runs the program's main() up to
 * the graph, submits nothing). Matching the savepoint's operators and state to the
 * job's, by uid, is the next step (the canary issue's preflight); until then Flink
 * itself refuses an unmappable savepoint at the start, and the adapter reports that
 * with the flag that fixes it.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PitlaneError } from '../../errors.ts';
import type { PreflightJob, PreflightReport } from '../adapter.ts';
import { programArgs } from './args.ts';
import { ensureJar } from './jars.ts';
import type { FlinkRest } from './rest.ts';

/** The local file behind a savepoint location (`file:///…` or a plain path); undefined for a remote file system. */
export function localSavepointPath(location: string): string | undefined {
  if (location.startsWith('file:')) return fileURLToPath(location);
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(location) ? undefined : location;
}

interface Plan {
  readonly plan: { readonly nodes: readonly { readonly id: string; readonly parallelism: number; readonly description?: string }[] };
}

export async function preflightFlinkJob(rest: FlinkRest, savepoint: string, job: PreflightJob, o: { readonly bootstrapServers: string }): Promise<PreflightReport> {
  const refusals: string[] = [];
  const notes: string[] = [];
  const local = localSavepointPath(savepoint);
  if (local !== undefined) {
    const meta = existsSync(local) && statSync(local).isDirectory() ? join(local, '_metadata') : local;
    if (!existsSync(meta)) refusals.push(`savepoint ${savepoint}: no ${meta} — not a Flink savepoint, or not on this machine's file system; name the directory Flink reported.`);
  } else {
    notes.push(`savepoint ${savepoint} is on a file system pitlane does not read; Flink checks it at the start.`);
  }
  if (!job.flink) {
    refusals.push(`job ${job.job}: no entry class; give the Flink job its entryClass.`);
    return { compatible: false, refusals, notes };
  }
  try {
    const { jarId } = await ensureJar(rest, job.job);
    const args = programArgs(job.flink.args, {
      bootstrapServers: o.bootstrapServers,
      inputs: job.inputs ?? [],
      sinkTopic: job.sinkTopic ?? 'pitlane-preflight',
      identity: 'pitlane-preflight',
      startingOffsets: 'earliest',
      commitIntervalMs: 1000,
    });
    const plan = await rest.post<Plan>(`/jars/${jarId}/plan`, { entryClass: job.flink.entryClass, programArgsList: args, ...(job.parallelism ? { parallelism: job.parallelism } : {}) });
    notes.push(`job graph of ${job.flink.entryClass}: ${plan.plan.nodes.length} vertices (${plan.plan.nodes.map((n) => `${(n.description ?? n.id).replace(/<[^>]+>/g, '').slice(0, 60)} ×${n.parallelism}`).join(', ')})`);
    notes.push('operator and state compatibility with the savepoint is checked by Flink at the start (allowNonRestoredState drops state without an operator).');
  } catch (e) {
    refusals.push(`job ${job.flink.entryClass} in ${job.job}: ${e instanceof PitlaneError ? `${e.message}${e.hint ? ` (${e.hint})` : ''}` : String(e)}`);
  }
  return { compatible: refusals.length === 0, refusals, notes };
}
