/**
 * Which savepoints a deployment's step took (pure): the savepoint history records
 * each, with the job it is of and why it was taken. The base a fast cold handoff
 * restores ahead is not one: the handoff deletes it itself once it is used.
 */
import type { SavepointResult } from '../../engines/adapter.ts';
import { noiseReplicaOf, type Deployment, type Effect, type EffectResult } from '../lifecycle/model.ts';
import type { SavepointTrigger } from './record.ts';
import { rollingBack } from './retention.ts';

export interface TakenSavepoint {
  readonly jobId: string;
  readonly trigger: SavepointTrigger;
  readonly savepoint: SavepointResult;
}

export function savepointsTaken(effect: Effect, result: EffectResult): TakenSavepoint[] {
  const s = result.savepoint;
  if (!s?.location) return [];
  switch (effect.type) {
    case 'triggerSavepoint':
      return [{ jobId: effect.jobId, trigger: 'fork', savepoint: s }];
    case 'stopWithSavepoint':
      return [{ jobId: effect.jobId, trigger: effect.keep === 'rollback' ? 'handoff' : 'debug', savepoint: s }];
    case 'warmHandoff':
    case 'coldHandoff':
      return [{ jobId: effect.from, trigger: 'handoff', savepoint: s }];
    default:
      return [];
  }
}

const inHandoff = (d: Deployment) => d.phase === 'Promoting' || rollingBack(d);

/**
 * The jobs whose savepoints the spec's retention is applied to after a step that moved
 * the deployment from `before` to `after`: none in the middle of a promotion or
 * rollback (disposing of files must not lengthen a pit stop); every job of the
 * deployment once one completes (its fork and older savepoints are released then);
 * else the jobs whose savepoint the step took.
 */
export function retentionJobsAfter(effect: Effect, result: EffectResult, before: Deployment, after: Deployment): string[] {
  if (inHandoff(after)) return [];
  if (inHandoff(before)) return [...new Set([after.jobs.authoritative, after.jobs.candidate, after.jobs.live, `${after.name}.promoted`, ...(noiseReplicaOf(after) ? [noiseReplicaOf(after)!.jobId] : [])])];
  return [...new Set(savepointsTaken(effect, result).map((t) => t.jobId))];
}
