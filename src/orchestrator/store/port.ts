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

export interface DeploymentStore {
  /** Where the store lives, for messages (`kafka:pitlane.deployments`, `dir:/path`). */
  readonly description: string;
  load(name: string): Promise<Deployment | undefined>;
  list(): Promise<Deployment[]>;
  /** All transitions of a deployment, oldest first (across generations of the name). */
  history(name: string): Promise<TransitionEntry[]>;
  /** Appends one transition; refuses (STORE_STALE_REVISION) unless entry.revision is current + 1. */
  append(entry: TransitionEntry): Promise<void>;
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

  async load(name: string): Promise<Deployment | undefined> {
    return structuredClone(this.log.get(name)?.at(-1)?.record);
  }
  async list(): Promise<Deployment[]> {
    return [...this.log.values()].map((l) => structuredClone(l.at(-1)!.record));
  }
  async history(name: string): Promise<TransitionEntry[]> {
    return structuredClone(this.log.get(name) ?? []);
  }
  async append(entry: TransitionEntry): Promise<void> {
    checkEntry(entry);
    const list = this.log.get(entry.name) ?? [];
    const current = list.at(-1)?.revision ?? 0;
    if (entry.revision !== current + 1) throw staleRevision(entry.name, entry.revision, current, this.description);
    list.push(structuredClone(entry));
    this.log.set(entry.name, list);
  }
  async close(): Promise<void> {}
}
