/**
 * The dashboard's view of the store, kept current by polling: every interval
 * it lists the deployments (one read of the store) and stats each one's report
 * file, and tells its subscribers — the server-sent-event streams of open
 * pages — what changed: a new revision, a deployment gone, a new report, the
 * store lost or back. Pages then fetch what they show. The list page and
 * /metrics are served from the last good read, so hundreds of deployments cost
 * one store read per interval, not one per page view.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describeUnknown } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Deployment } from '../orchestrator/lifecycle/model.ts';

export type LiveEvent =
  | { readonly type: 'store'; readonly up: boolean; readonly message: string | null }
  | {
      readonly type: 'change';
      readonly changed: readonly { readonly name: string; readonly revision: number; readonly phase: string; readonly verdict: string | null }[];
      readonly removed: readonly string[];
      /** Deployments whose current report was rewritten. */
      readonly reports: readonly string[];
    };

export interface StoreSnapshot {
  readonly deployments: readonly Deployment[];
  readonly up: boolean;
  readonly message: string | null;
  /** When the last good read was made (epoch ms), and how long it took. */
  readonly readAt: number | null;
  readonly readMs: number | null;
}

export interface WatcherDeps {
  readonly list: () => Promise<Deployment[]>;
  /** The report file of a deployment (its mtime is what is watched). */
  readonly reportFile: (name: string) => string;
  readonly intervalMs: number;
  /**
   * A read that has not answered after this long marks the store down while it goes
   * on (a Kafka client retries an unreachable broker for a long time before it
   * fails); default: five intervals, at least 5 s.
   */
  readonly slowMs?: number;
  readonly logger: Logger;
  readonly now: () => number;
}

export class StoreWatcher {
  private snap: StoreSnapshot = { deployments: [], up: false, message: 'not read yet', readAt: null, readMs: null };
  private readonly revisions = new Map<string, number>();
  private readonly reportTimes = new Map<string, number>();
  private readonly subscribers = new Set<(e: LiveEvent) => void>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly deps: WatcherDeps) {}

  snapshot(): StoreSnapshot {
    return this.snap;
  }

  subscribe(fn: (e: LiveEvent) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** Reads once now (the first snapshot), then every interval until stop(). */
  async start(): Promise<void> {
    await this.poll();
    const loop = () => {
      if (this.stopped) return;
      this.timer = setTimeout(() => {
        this.running = this.poll().finally(loop);
      }, this.deps.intervalMs);
    };
    loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    this.subscribers.clear();
  }

  private emit(e: LiveEvent): void {
    for (const fn of this.subscribers) {
      try {
        fn(e);
      } catch (err) {
        this.deps.logger.warn({ err: describeUnknown(err) }, 'a live-update subscriber failed');
      }
    }
  }

  /** The store cannot be read (or does not answer): said once, the last read kept. */
  private down(message: string): void {
    if (this.snap.up || this.snap.readAt === null) {
      this.emit({ type: 'store', up: false, message });
      this.deps.logger.warn({ err: message }, 'cannot read the deployment store; showing the last read');
    }
    this.snap = { ...this.snap, up: false, message };
  }

  /** One round: read the store, compare with the last read, tell the subscribers. */
  async poll(): Promise<void> {
    const t0 = this.deps.now();
    let list: Deployment[];
    const slowMs = this.deps.slowMs ?? Math.max(5000, 5 * this.deps.intervalMs);
    const slow = setTimeout(() => this.down(`the store has not answered for ${slowMs / 1000} s (still trying)`), slowMs);
    try {
      list = await this.deps.list();
    } catch (e) {
      this.down(describeUnknown(e));
      return;
    } finally {
      clearTimeout(slow);
    }
    const readMs = this.deps.now() - t0;
    const wasDown = !this.snap.up;
    this.snap = { deployments: list, up: true, message: null, readAt: this.deps.now(), readMs };
    if (wasDown) this.emit({ type: 'store', up: true, message: null });
    const changed: { name: string; revision: number; phase: string; verdict: string | null }[] = [];
    const seen = new Set<string>();
    for (const d of list) {
      seen.add(d.name);
      if (this.revisions.get(d.name) !== d.revision) changed.push({ name: d.name, revision: d.revision, phase: d.phase, verdict: d.verdict?.status ?? null });
      this.revisions.set(d.name, d.revision);
    }
    const removed = [...this.revisions.keys()].filter((n) => !seen.has(n));
    for (const n of removed) {
      this.revisions.delete(n);
      this.reportTimes.delete(n);
    }
    const reports: string[] = [];
    await Promise.all(
      list.map(async (d) => {
        const mtime = await stat(this.deps.reportFile(d.name)).then((s) => s.mtimeMs, () => 0);
        if ((this.reportTimes.get(d.name) ?? 0) !== mtime) reports.push(d.name);
        this.reportTimes.set(d.name, mtime);
      }),
    );
    if (changed.length + removed.length + reports.length > 0) this.emit({ type: 'change', changed, removed, reports: reports.sort() });
  }
}

/** The current report file of a deployment's report directory. */
export const reportFileIn = (dir: string) => join(dir, 'report.json');
