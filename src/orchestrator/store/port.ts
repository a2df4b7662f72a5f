/**
 * The durable store of deployments (design.md §6): an append-only log of
 * transitions per deployment, whose latest entry is the deployment's state.
 * Every pitlane process reading the same store sees the same deployments, so
 * the orchestrator holds no state of its own and a restart resumes from here.
 *
 * Optimistic concurrency: `append` succeeds only if the entry's revision is the
 * stored revision + 1 (1 for a name never seen). Of two writers that loaded the
 * same revision, exactly one wins; the other gets STORE_STALE_REVISION and must
 * reload and decide again — which is how two orchestrators are kept from both
 * promoting: the loser reloads, finds Promoting/Promoted, and the pure transition
 * refuses a second promote.
 */
import { StoreError } from '../../errors.ts';
import type { Deployment, TransitionEntry } from '../lifecycle/model.ts';
import type { SavepointRecord } from '../savepoints/record.ts';
import type { NotificationRecord } from '../notify/record.ts';

export interface DeploymentStore {
  /** Where the store lives, for messages (`kafka:pitlane.deployments`, `dir:/path`). */
  readonly description: string;
  load(name: string): Promise<Deployment | undefined>;
  list(): Promise<Deployment[]>;
  /** All transitions of a deployment, oldest first (across generations of the name). */
  history(name: string): Promise<TransitionEntry[]>;
  /**
   * Appends one transition; refuses (STORE_STALE_REVISION) unless entry.revision is
   * current + 1. `savepoints` (the savepoints the step took) are put into the history
   * with it: in the same transaction (Kafka), or just before its commit point (a
   * directory; a crash in between leaves entries a resumed step writes again).
   */
  append(entry: TransitionEntry, savepoints?: readonly SavepointRecord[]): Promise<void>;
  /**
   * The savepoint history (savepoints/record.ts), in no particular order. An entry is
   * keyed by its id: putting one twice keeps the last; removing one that is gone is a no-op.
   */
  savepoints(): Promise<SavepointRecord[]>;
  putSavepoint(record: SavepointRecord): Promise<void>;
  removeSavepoint(id: string): Promise<void>;
  /**
   * The notify log of a deployment (notify/record.ts): one entry per (event, webhook),
   * keyed by its id; putting one again keeps the last. Written alone, outside any
   * append: a delivery's outcome never holds up a transition.
   */
  notifications(name: string): Promise<NotificationRecord[]>;
  putNotification(record: NotificationRecord): Promise<void>;
  close(): Promise<void>;
}

export function staleRevision(name: string, wanted: number, current: number, where: string): StoreError {
  return new StoreError('STORE_STALE_REVISION', `Deployment ${name} is at revision ${current} in ${where}, so revision ${wanted} cannot be appended: another orchestrator changed it first.`, {
    retriable: true,
    hint: 'Reload the deployment and decide again (`pitlane canary status` shows what changed).',
    data: { name, wanted, current },
  });
}

export function checkEntry(entry: TransitionEntry): void {
  if (entry.record.name !== entry.name || entry.record.revision !== entry.revision) {
    throw new StoreError('STORE_BAD_ENTRY', `A transition entry for ${entry.name}@${entry.revision} carries the record of ${entry.record.name}@${entry.record.revision}.`, {
      hint: 'This is a bug in the controller; please report it.',
    });
  }
}

/** Keeps everything in memory: for unit tests of the controller and for library callers. */
export class MemoryDeploymentStore implements DeploymentStore {
  readonly description = 'memory';
  private readonly log = new Map<string, TransitionEntry[]>();
  private readonly saved = new Map<string, SavepointRecord>();
  private readonly notified = new Map<string, NotificationRecord>();

  async load(name: string): Promise<Deployment | undefined> {
    return structuredClone(this.log.get(name)?.at(-1)?.record);
  }
  async list(): Promise<Deployment[]> {
    return [...this.log.values()].map((l) => structuredClone(l.at(-1)!.record));
  }
  async history(name: string): Promise<TransitionEntry[]> {
    return structuredClone(this.log.get(name) ?? []);
  }
  async append(entry: TransitionEntry, savepoints: readonly SavepointRecord[] = []): Promise<void> {
    checkEntry(entry);
    const list = this.log.get(entry.name) ?? [];
    const current = list.at(-1)?.revision ?? 0;
    if (entry.revision !== current + 1) throw staleRevision(entry.name, entry.revision, current, this.description);
    for (const r of savepoints) this.saved.set(r.id, structuredClone(r));
    list.push(structuredClone(entry));
    this.log.set(entry.name, list);
  }
  async savepoints(): Promise<SavepointRecord[]> {
    return structuredClone([...this.saved.values()]);
  }
  async putSavepoint(record: SavepointRecord): Promise<void> {
    this.saved.set(record.id, structuredClone(record));
  }
  async removeSavepoint(id: string): Promise<void> {
    this.saved.delete(id);
  }
  async notifications(name: string): Promise<NotificationRecord[]> {
    return structuredClone([...this.notified.values()].filter((r) => r.deployment === name));
  }
  async putNotification(record: NotificationRecord): Promise<void> {
    this.notified.set(record.id, structuredClone(record));
  }
  async close(): Promise<void> {}
}
