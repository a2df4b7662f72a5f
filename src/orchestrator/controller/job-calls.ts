/**
 * What the controller's generic steps and its promotion strategies share: the
 * start request of a deployment's job, its output guarantee, its first output, and
 * the capability an engine call needs. Every call still carries its requestId.
 */
import { PromotionError } from '../../errors.ts';
import { DEFAULT_DELIVERY, hasFastColdHandoff, hasWarmHandoff, type Delivery, type EngineAdapter, type FastColdHandoff, type FlinkJobRef, type JobRecovery, type StandbyRequest, type StartJobRequest, type WarmHandoff } from '../../engines/adapter.ts';
import type { Deployment } from '../lifecycle/model.ts';
import { sleep, type Clock } from '../../clock.ts';

/**
 * The output guarantee of the deployment's jobs. A record stored before the key
 * existed gets the default; one stored while the spec named it `commitInterval`
 * keeps its interval.
 */
export function deliveryOf(d: Deployment): Delivery {
  const s = d.spec.delivery as (Delivery & { readonly commitInterval?: number }) | undefined;
  return s ? { mode: s.mode, commitIntervalMs: s.commitIntervalMs ?? s.commitInterval } : DEFAULT_DELIVERY;
}

/**
 * Checkpoints and restarts of the deployment's jobs. A record stored before the
 * keys existed gets none: its jobs run as they did when it was started.
 */
export function recoveryOf(d: Deployment): JobRecovery | undefined {
  return (d.spec as { readonly recovery?: JobRecovery }).recovery;
}

/** A job the orchestrator starts for a deployment: its module, parallelism, sink and identity. */
export interface JobTarget {
  readonly jobId: string;
  readonly job: string;
  readonly flink?: FlinkJobRef;
  readonly parallelism?: number;
  readonly sinkTopic: string;
  readonly identity: string;
}

/** A standby of one of the deployment's jobs (inputs and delivery from its spec). */
export function standbyRequest(requestId: string, t: JobTarget, d: Deployment): StandbyRequest {
  return { requestId, jobId: t.jobId, job: t.job, ...(t.flink ? { flink: t.flink } : {}), ...(t.parallelism ? { parallelism: t.parallelism } : {}), inputs: d.spec.inputs, sinkTopic: t.sinkTopic, identity: t.identity, delivery: deliveryOf(d), ...(recoveryOf(d) ? { recovery: recoveryOf(d) } : {}) };
}

/** The start request of one of the deployment's jobs. */
export function startRequest(requestId: string, t: JobTarget, from: StartJobRequest['from'], d: Deployment): StartJobRequest {
  return { ...standbyRequest(requestId, t, d), from };
}

/**
 * Polls a job's metrics for its first output visible to read_committed readers
 * (bounded: absent if none within the wait). The time itself is the job's own
 * record, so the polling interval does not change it; it only keeps the polls
 * from taking CPU from a job that has just started.
 */
export async function firstOutputOf(engine: EngineAdapter, jobId: string, clock: Clock, waitMs = 10_000): Promise<number | undefined> {
  const deadline = clock.now() + waitMs;
  for (;;) {
    const m = await engine.metrics(jobId).catch(() => undefined);
    if (m?.firstOutputAt !== undefined) return m.firstOutputAt;
    if (clock.now() > deadline) return undefined;
    await sleep(10);
  }
}

/**
 * Plans are chosen from what the engines can do (lifecycle/plans.ts), so a step
 * never asks an engine for what it lacks; if one does (a record written by another
 * orchestrator), it fails here, naming the capability, and stays pending.
 */
function missing(engine: EngineAdapter, capability: string, step: string): PromotionError {
  return new PromotionError('ENGINE_CAPABILITY_MISSING', `${step} needs an engine that can ${capability}; the ${engine.engine} engine adapter cannot.`, {
    hint: 'Run this deployment with the orchestrator (and engine) that started it, or abort it and start it again: `canary start` chooses a plan the engines can carry out.',
  });
}

export function warmHandoffOf(engine: EngineAdapter, step: string): EngineAdapter & WarmHandoff {
  if (!hasWarmHandoff(engine)) throw missing(engine, 'hold, run to offsets and switch its sink', step);
  return engine;
}

export function fastColdHandoffOf(engine: EngineAdapter, step: string): EngineAdapter & FastColdHandoff {
  if (!hasFastColdHandoff(engine)) throw missing(engine, 'prepare a standby and hand over a delta', step);
  return engine;
}
