/**
 * The cold handoff (the Flink way): the old job stops with a savepoint and the new
 * one starts from it, so it restores the authoritative state rather than keeping
 * its shadow state. With the fast cold handoff capability (both engines), the new
 * job is prepared as a standby and restores a tracked savepoint of the old one
 * ahead of the stop; at the stop only the changes since (a delta) move. Every
 * engine call carries its own requestId derived from the step's id, so a resumed
 * step repeats no action.
 */
import { PromotionError, describeUnknown, isPitlaneError } from '../../errors.ts';
import { hasFastColdHandoff, hasPreparedStart, type SavepointResult, type StartJobRequest, type StartJobResult } from '../../engines/adapter.ts';
import type { TopicPartitionOffset } from '../../kafka/port.ts';
import type { Deployment, Effect, EffectResult } from '../lifecycle/model.ts';
import { fastColdHandoffOf, firstOutputOf, standbyRequest, startRequest } from './job-calls.ts';
import { notOwnStep, type PromotionStrategy, type StrategyPorts } from './strategy.ts';

export function coldHandoff(ports: StrategyPorts): PromotionStrategy {
  return {
    steps: ['prepareStandby', 'restoreStandby', 'coldHandoff'],
    async perform(id, effect, d): Promise<EffectResult> {
      switch (effect.type) {
        case 'prepareStandby':
          await fastColdHandoffOf(ports.engineFor(d, effect.jobId), effect.type).prepareStandby(standbyRequest(id, effect, d));
          return { jobId: effect.jobId };
        case 'restoreStandby':
          return restoreStandby(ports, id, effect, d);
        case 'coldHandoff':
          return handoff(ports, id, effect, d);
        default:
          throw notOwnStep('cold handoff', effect);
      }
    },
    recorded: async (effect, result, d) => {
      if (effect.type === 'coldHandoff') await discardArtefacts(ports, d, effect.from, result);
    },
  };
}

/**
 * A tracked savepoint of the old job (it keeps running and records the keys it
 * touches from here on), restored into the waiting standby. No base (an empty
 * result) when the engine cannot do this or the standby is gone: the handoff then
 * restores the full savepoint, as it always could. A standby that dies after this
 * step is found out at the handoff, which then falls back the same way.
 */
async function restoreStandby({ engineFor }: StrategyPorts, id: string, effect: Extract<Effect, { type: 'restoreStandby' }>, d: Deployment): Promise<EffectResult> {
  const s = effect.standby;
  // The plan asks for a standby only when one engine runs both jobs and can do this.
  const engine = engineFor(d, effect.from);
  if (!hasFastColdHandoff(engine) || engineFor(d, s.jobId) !== engine) return {};
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
async function handoff({ engineFor, clock }: StrategyPorts, id: string, effect: Extract<Effect, { type: 'coldHandoff' }>, d: Deployment): Promise<EffectResult> {
  const t = effect.start;
  // The old job stops on its engine, the new one starts on its own: one engine
  // (a savepoint does not cross engines; the spec refuses a handoff between two).
  const engine = engineFor(d, effect.from);
  const next = engineFor(d, t.jobId);
  const start = (from: StartJobRequest['from']): Promise<StartJobResult> => next.start(startRequest(`${id}/start`, t, from, d));
  // The old job has stopped: say so, and what brings a writer back.
  const startFailed = (location: string, offsets: readonly TopicPartitionOffset[] | undefined, e: unknown) =>
    new PromotionError('PROMOTION_COLD_START_FAILED', `${effect.from} stopped with savepoint ${location} (input offsets ${offsetsText(offsets)}), but ${t.jobId} did not start from it, so no job writes ${t.sinkTopic} now: ${describeUnknown(e)}`, {
      retriable: isPitlaneError(e) ? e.retriable : true,
      cause: e,
      hint: `Nothing is lost: the savepoint holds the state and the input position. Fix the cause, then \`pitlane canary resume ${d.name}\` starts ${t.jobId} from that savepoint (the stop is not repeated).`,
    });

  if (effect.base === undefined || !hasFastColdHandoff(engine) || next !== engine) {
    // What the start can do ahead (Flink: its jar on the cluster) is done while the old job stops, not after.
    if (hasPreparedStart(next)) void next.prepareStart({ job: t.job, ...(t.flink ? { flink: t.flink } : {}) }).catch(() => undefined);
    const savepoint = await engine.stopWithSavepoint(effect.from, { requestId: `${id}/stop` });
    let started: StartJobResult;
    try {
      started = await start({ savepoint: savepoint.location, allowNonRestoredState: t.allowNonRestoredState });
    } catch (e) {
      throw startFailed(savepoint.location, savepoint.sourceOffsets, e);
    }
    // Asked only now: the old job is busy exiting, and nothing may delay the start.
    const lastOutputAt = savepoint.lastOutputAt ?? (await engine.metrics(effect.from).catch(() => undefined))?.lastOutputAt;
    const firstOutputAt = await firstOutputOf(next, t.jobId, clock);
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
  const firstOutputAt = await firstOutputOf(next, t.jobId, clock);
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

/**
 * Once a cold handoff is recorded done it never runs again, so its base savepoint
 * and delta (tens of MB at a million keys) can go; the full savepoint stays for
 * rollback. Best effort: a failure only leaves files behind, and says where.
 */
async function discardArtefacts({ engineFor, logger }: StrategyPorts, d: Deployment, from: string, result: EffectResult): Promise<void> {
  const engine = engineFor(d, from);
  const name = d.name;
  const delta = result.delta;
  const paths = [delta?.location, delta?.base].filter((p): p is string => p !== undefined && p !== result.savepoint?.location);
  if (paths.length === 0 || !hasFastColdHandoff(engine)) return;
  await engine.discard(paths).catch((e: unknown) => logger.warn({ deployment: name, paths, err: describeUnknown(e) }, 'could not delete the cold handoff base savepoint and delta; `pitlane savepoint dispose` removes them'));
}
