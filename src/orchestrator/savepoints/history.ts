/**
 * The savepoint history over the durable store: record what pitlane took, list it
 * with what deployments still need, dispose of one or of those past a retention
 * policy (retention.ts decides; this performs). A savepoint a deployment needs is
 * never disposed of: the pins are read from the store right before each disposal.
 *
 * Disposal order (as the Flink Kubernetes Operator learned): the files first, then
 * the entry. A crash between the two leaves an entry whose files are gone; disposing
 * of it again finds nothing to delete (a no-op for both engines) and removes the entry.
 */
import { PromotionError, describeUnknown } from '../../errors.ts';
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../logger.ts';
import type { DeploymentStore } from '../store/port.ts';
import { savepointId, type SavepointRecord } from './record.ts';
import { describePin, pinsOf, planRetention, type Pin, type RetentionPlan, type RetentionPolicy } from './retention.ts';

/** Deletes a recorded savepoint's files through the engine that wrote it. */
export type SavepointDisposer = (record: SavepointRecord) => Promise<void>;

export interface HistoryFilter {
  readonly job?: string | undefined;
  readonly deployment?: string | undefined;
}

export type ListedSavepoint = SavepointRecord & { readonly pin?: Pin };

export interface RetentionOutcome extends RetentionPlan {
  readonly disposed: readonly SavepointRecord[];
  readonly failed: readonly { readonly record: SavepointRecord; readonly error: string }[];
}

const matches = (f: HistoryFilter) => (r: SavepointRecord) => (f.job === undefined || r.job === f.job) && (f.deployment === undefined || r.deployment === f.deployment);

export class SavepointHistory {
  constructor(
    private readonly store: DeploymentStore,
    private readonly disposer: SavepointDisposer,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  get description(): string {
    return this.store.description;
  }

  record(record: SavepointRecord): Promise<void> {
    return this.store.putSavepoint(record);
  }

  /** The history, newest first, each savepoint with the pin that keeps it if a deployment needs it. */
  async list(filter: HistoryFilter = {}): Promise<ListedSavepoint[]> {
    const { records, pins } = await this.read();
    return records
      .filter(matches(filter))
      .sort((a, b) => b.takenAt - a.takenAt || a.id.localeCompare(b.id))
      .map((r) => {
        const pin = pins.get(r.id);
        return pin ? { ...r, pin } : r;
      });
  }

  /** The entry a reference names: its id, or its location (a path as given or absolute). */
  async find(ref: string, absolute?: string): Promise<SavepointRecord | undefined> {
    const ids = new Set([ref, savepointId(ref), ...(absolute ? [savepointId(absolute)] : [])]);
    return (await this.store.savepoints()).find((r) => ids.has(r.id));
  }

  /** What needs a savepoint that may not be recorded (any of its names: as given, absolute). */
  async pinOf(locations: readonly string[]): Promise<Pin | undefined> {
    const { pins } = await this.read();
    for (const l of locations) {
      const pin = pins.get(savepointId(l));
      if (pin) return pin;
    }
    return undefined;
  }

  /** Disposes of one recorded savepoint; refuses (SAVEPOINT_PINNED) one a deployment needs. */
  async dispose(record: SavepointRecord): Promise<void> {
    const pin = (await this.read()).pins.get(record.id);
    if (pin) throw pinnedError(record, pin);
    await this.disposer(record);
    await this.store.removeSavepoint(record.id);
    this.logger.info({ savepoint: record.location, job: record.job }, 'savepoint disposed of');
  }

  /**
   * Applies a policy to the history (or the part `filter` selects): disposes of what is
   * past it, never a pinned one. A disposal that fails is reported and the others go on;
   * `dryRun` only plans.
   */
  async retain(policy: RetentionPolicy, filter: HistoryFilter = {}, o: { readonly dryRun?: boolean } = {}): Promise<RetentionOutcome> {
    const { records, pins } = await this.read();
    const plan = planRetention(records.filter(matches(filter)), policy, pins, this.clock.now());
    const disposed: SavepointRecord[] = [];
    const failed: { record: SavepointRecord; error: string }[] = [];
    if (o.dryRun) return { ...plan, disposed, failed };
    for (const { record } of plan.dispose) {
      try {
        await this.disposer(record);
        await this.store.removeSavepoint(record.id);
        disposed.push(record);
      } catch (e) {
        failed.push({ record, error: describeUnknown(e) });
        this.logger.warn({ savepoint: record.location, err: describeUnknown(e) }, 'could not dispose of a savepoint past retention');
      }
    }
    return { ...plan, disposed, failed };
  }

  private async read(): Promise<{ records: SavepointRecord[]; pins: Map<string, Pin> }> {
    const [records, deployments] = await Promise.all([this.store.savepoints(), this.store.list()]);
    return { records, pins: pinsOf(deployments, records) };
  }
}

export function pinnedError(record: SavepointRecord, pin: Pin): PromotionError {
  return new PromotionError('SAVEPOINT_PINNED', `The savepoint ${record.location} of ${record.job} is not disposed of: ${describePin(pin)}.`, {
    hint:
      pin.reason === 'rollback'
        ? `It is released when deployment ${pin.deployment} is rolled back or its name is reused for a new deployment; \`pitlane canary status ${pin.deployment}\` shows it.`
        : `It is released when deployment ${pin.deployment} is promoted, aborted or rolled back (\`pitlane canary status ${pin.deployment}\`).`,
    data: { id: record.id, location: record.location, deployment: pin.deployment, reason: pin.reason },
  });
}
