/**
 * A base restored ahead of time (cold handoff): the job is built from the base
 * savepoint and waits, paused, for the delta that brings it to the old job's stop.
 * Dropping it is free: it started nothing, and the output channel stays the host's.
 */
import { resolve } from 'node:path';
import { EngineError, describeUnknown } from '../../../errors.ts';
import { type RunningJob, type JobDelta, readDelta } from '../../../engine/index.ts';
import type { DeltaRef } from '../control/protocol.ts';

export interface RestoredBase {
  /** The base savepoint's directory (resolved). */
  readonly base: string;
  /** The job built from it, paused; rejects when the restore failed. */
  readonly job: Promise<RunningJob>;
}

/** A delta checked against the base restored ahead: the paused job and the delta to begin it with. */
export interface UsableDelta {
  readonly job: RunningJob;
  readonly delta: JobDelta;
  /** Time spent reading the delta file (ms). */
  readonly readMs: number;
}

const unusable = (jobId: string, ref: DeltaRef, why: string) =>
  new EngineError('ENGINE_DELTA_UNUSABLE', `Job ${jobId} cannot start from the delta ${ref.location}: ${why}.`, { hint: 'Start it from the full savepoint written at the same stop (a cold handoff falls back to it by itself).' });

/** The restored base and the delta for it, or ENGINE_DELTA_UNUSABLE (the standby stays a standby). */
export async function usableDelta(jobId: string, prepared: RestoredBase | undefined, ref: DeltaRef, now: () => number): Promise<UsableDelta> {
  if (!prepared) throw unusable(jobId, ref, 'this standby restored no base');
  if (prepared.base !== resolve(ref.base)) throw unusable(jobId, ref, `this standby restored ${prepared.base}, the delta applies to ${ref.base}`);
  const job = await prepared.job.catch((e: unknown) => {
    throw unusable(jobId, ref, `restoring its base failed (${describeUnknown(e)})`);
  });
  const t0 = now();
  const delta = await readDelta(ref.location).catch((e: unknown) => {
    throw unusable(jobId, ref, describeUnknown(e));
  });
  if (resolve(delta.base) !== prepared.base) throw unusable(jobId, ref, `the file was taken against ${delta.base}`);
  return { job, delta, readMs: now() - t0 };
}
