/**
 * The cold handoff's two steps as the controller performs them: restoring the
 * standby ahead of the stop, and the handoff itself (stop → start → rollback
 * savepoint). Every engine call carries its own requestId derived from the
 * effect id, so a resumed step repeats no action.
 */
import { PromotionError, describeUnknown, isPitlaneError } from '../../errors.ts';
import { DEFAULT_DELIVERY, type Delivery, type EngineAdapter, type SavepointResult, type StartJobResult } from '../../engines/adapter.ts';
import type { TopicPartitionOffset } from '../../kafka/port.ts';
import type { DeploymentSpec } from '../spec/schema.ts';
import type { Deployment, Effect, EffectResult } from '../lifecycle/model.ts';
import { sleep, type Clock } from '../../clock.ts';

type ColdHandoff = Extract<Effect, { type: 'coldHandoff' }>;
type RestoreStandby = Extract<Effect, { type: 'restoreStandby' }>;

/** The output guarantee of the deployment's jobs (records stored before the key existed default). */
export function deliveryOf(d: Deployment): Delivery {
  const s = d.spec.delivery as DeploymentSpec['delivery'] | undefined;
  return s ? { mode: s.mode, commitIntervalMs: s.commitInterval } : DEFAULT_DELIVERY;
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
 * A tracked savepoint of the old job (it keeps running and records the keys it
 * touches from here on), restored into the waiting standby. No base (an empty
 * result) when the engine cannot do this or the standby is gone: the handoff then
 * restores the full savepoint, as it always could. A standby that dies after this
 * step is found out at the handoff, which then falls back the same way.
 */
export async function restoreStandby(engine: EngineAdapter, id: string, effect: RestoreStandby): Promise<EffectResult> {
  const s = effect.standby;
  if (!engine.restoreStandby || !engine.stopWithDelta) return {};
  const base = await engine.savepoint(effect.from, { requestId: `${id}/base`, trackChanges: true });
  try {
    await engine.restoreStandby(s.jobId, { requestId: `${id}/restore`, savepoint: base.location, allowNonRestoredState: s.allowNonRestoredState });
  } catch (e) {
    if (isPitlaneError(e) && e.code === 'ENGINE_JOB_NOT_RUNNING') return {};
    throw e;
  }
  return { savepoint: base, jobId: s.jobId };
}

const offsetsText = (o: readonly TopicPartitionOffset[] | undefined) => (o ?? []).map((x) => `${x.topic}/${x.partition}@${x.offset}`).join(', ');

/**
 * Stop the old job, then start the new one (its standby, if one waits). With a
 * base restored ahead: the old job stops with the delta since the base, the
 * standby applies it and starts, and only then is the full savepoint (kept for
 * rollback) written. Without one, or when the delta cannot be used (no delta, the
 * standby lost its base, the file is gone): the full savepoint first, and the new
 * job restores it — the plain cold handoff. The new job starts only after the old
 * one answered its stop, so there is never a second writer.
 */
export async function coldHandoff(engine: EngineAdapter, clock: Clock, id: string, effect: ColdHandoff, d: Deployment): Promise<EffectResult> {
  const t = effect.start;
  const start = (from: Parameters<EngineAdapter['start']>[0]['from']): Promise<StartJobResult> =>
    engine.start({ requestId: `${id}/start`, jobId: t.jobId, job: t.job, ...(t.parallelism ? { parallelism: t.parallelism } : {}), inputs: d.spec.inputs, from, sinkTopic: t.sinkTopic, identity: t.identity, delivery: deliveryOf(d) });
  // The old job has stopped: say so, and what brings a writer back.
  const startFailed = (location: string, offsets: readonly TopicPartitionOffset[] | undefined, e: unknown) =>
    new PromotionError('PROMOTION_COLD_START_FAILED', `${effect.from} stopped with savepoint ${location} (input offsets ${offsetsText(offsets)}), but ${t.jobId} did not start from it, so no job writes ${t.sinkTopic} now: ${describeUnknown(e)}`, {
      retriable: isPitlaneError(e) ? e.retriable : true,
      cause: e,
      hint: `Nothing is lost: the savepoint holds the state and the input position. Fix the cause, then \`pitlane canary resume ${d.name}\` starts ${t.jobId} from that savepoint (the stop is not repeated).`,
    });

  if (effect.base === undefined || !engine.stopWithDelta) {
    const savepoint = await engine.stopWithSavepoint(effect.from, { requestId: `${id}/stop` });
    let started: StartJobResult;
    try {
      started = await start({ savepoint: savepoint.location, allowNonRestoredState: t.allowNonRestoredState });
    } catch (e) {
      throw startFailed(savepoint.location, savepoint.sourceOffsets, e);
    }
    // Asked only now: the old job is busy exiting, and nothing may delay the start.
    const lastOutputAt = (await engine.metrics(effect.from).catch(() => undefined))?.lastOutputAt;
    const firstOutputAt = await firstOutputOf(engine, t.jobId, clock);
    return { savepoint, jobId: t.jobId, standby: started.standby === true, ...(lastOutputAt !== undefined ? { lastOutputAt } : {}), ...(firstOutputAt !== undefined ? { firstOutputAt } : {}) };
  }

  const stop = await engine.stopWithDelta(effect.from, { requestId: `${id}/stop`, base: effect.base });
  const full = { requestId: `${id}/stop/full`, targetDir: stop.savepointLocation };
  let savepoint: SavepointResult | undefined;
  let started: StartJobResult | undefined;
  let reason = stop.reason;
  let applied = false;
  try {
    if (stop.delta) {
      try {
        started = await start({ savepoint: stop.savepointLocation, allowNonRestoredState: t.allowNonRestoredState, delta: { location: stop.delta.location, base: stop.delta.base } });
        applied = true;
      } catch (e) {
        if (!(isPitlaneError(e) && e.code === 'ENGINE_DELTA_UNUSABLE')) throw e;
        reason = e.message;
      }
    }
    if (!started) {
      savepoint = await engine.stopWithSavepoint(effect.from, full);
      started = await start({ savepoint: savepoint.location, allowNonRestoredState: t.allowNonRestoredState });
    }
  } catch (e) {
    throw startFailed(stop.savepointLocation, stop.sourceOffsets, e);
  }
  const firstOutputAt = await firstOutputOf(engine, t.jobId, clock);
  // The rollback savepoint: the old job's frozen state, written once the new job writes.
  savepoint ??= await engine.stopWithSavepoint(effect.from, full);
  return {
    savepoint,
    jobId: t.jobId,
    standby: started.standby === true,
    stoppedAt: stop.stoppedAt,
    delta: { applied, keys: stop.delta?.keys ?? 0, ...(stop.delta ? { location: stop.delta.location, base: stop.delta.base } : {}), ...(reason !== undefined ? { reason } : {}) },
    ...(stop.lastOutputAt !== undefined ? { lastOutputAt: stop.lastOutputAt } : {}),
    ...(firstOutputAt !== undefined ? { firstOutputAt } : {}),
  };
}
