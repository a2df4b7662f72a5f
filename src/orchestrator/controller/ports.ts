/**
 * The narrow ports the controller performs effects through, besides the engine
 * adapter and the store. Like the engine, each is idempotent by requestId.
 */
import type { Deployment, GroupCutover } from '../lifecycle/model.ts';

/** Starts and stops the live comparison of a deployment (the comparator's driver). */
export interface AnalysisPort {
  start(deployment: Deployment, requestId: string): Promise<void>;
  stop(deployment: Deployment, requestId: string): Promise<void>;
}

export interface CutoverRequest {
  readonly requestId: string;
  readonly groups: readonly string[];
  readonly from: string;
  readonly to: string;
  readonly force: boolean;
  readonly timeoutMs: number;
}

/** Moves consumer groups from one topic to another at the matching record (src/orchestrator/cutover). */
export interface CutoverPort {
  cutover(request: CutoverRequest): Promise<readonly GroupCutover[]>;
}
