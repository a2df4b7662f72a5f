/**
 * The dashboard's read side of the reports a deployment's shadow supervisor
 * writes in its state directory: the current `report.json` and the numbered
 * history (compare/report/history.ts). Both are written atomically; a file that
 * still does not parse (edited, damaged, another writer) is never shown torn: its
 * last whole version read by this dashboard is shown, marked stale with why, or
 * where there is none, the file is reported as unreadable. Reports live where the supervisor runs: a
 * dashboard on another machine sees the deployments (the store) without them.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { listReportHistory, type ComparisonReport } from '../compare/index.ts';
import { deploymentDir } from '../orchestrator/state-dir.ts';
import { reportMetrics, type ReportMetrics } from './metrics.ts';

export type ReportRead =
  /** `stale`: the file on disk does not parse now (damaged, or written by something that does not write whole files); this is the last whole version this dashboard read, and why. */
  | { readonly ok: true; readonly report: ComparisonReport; readonly file: string; readonly stale?: string }
  | { readonly ok: false; readonly reason: 'missing' | 'unreadable'; readonly file: string; readonly message: string };

export interface ReportListing {
  readonly seq: number;
  readonly generatedAt: string | null;
  readonly verdict: string | null;
  readonly windows: number | null;
}

/** One report file, read defensively: missing, unreadable, or a whole comparison report. */
export async function readReportFile(file: string): Promise<ReportRead> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    return { ok: false, reason: missing ? 'missing' : 'unreadable', file, message: missing ? `no report at ${file}` : `cannot read ${file}: ${(e as Error).message}` };
  }
  try {
    const report = JSON.parse(text) as ComparisonReport;
    if (typeof report !== 'object' || report === null || !Array.isArray(report.windows) || !report.assessment) throw new Error('not a comparison report');
    return { ok: true, report, file };
  } catch (e) {
    return { ok: false, reason: 'unreadable', file, message: `${file} is not a whole comparison report (${(e as Error).message})` };
  }
}

export class ReportReader {
  /** Parsed reports by file and mtime (a few: reports can be large). */
  private readonly cache = new Map<string, { mtimeMs: number; read: ReportRead }>();
  /** What the history list shows of each kept report: they never change once written. */
  private readonly listings = new Map<string, ReportListing>();
  /** What /metrics needs of each deployment's current report, by file and mtime (one small entry per deployment). */
  private readonly metrics = new Map<string, { mtimeMs: number; value: ReportMetrics | undefined }>();

  constructor(private readonly stateDir: string, private readonly cacheSize = 32) {}

  dir(name: string): string {
    return deploymentDir(this.stateDir, name);
  }

  /** The current report of a deployment. */
  latest(name: string): Promise<ReportRead> {
    return this.cached(join(this.dir(name), 'report.json'));
  }

  /**
   * What /metrics shows of a deployment's current report: parsed once per version of
   * the file, so a scrape over hundreds of deployments reads only the reports that changed.
   */
  async latestMetrics(name: string): Promise<ReportMetrics | undefined> {
    const file = join(this.dir(name), 'report.json');
    const mtimeMs = await stat(file).then((s) => s.mtimeMs, () => -1);
    if (mtimeMs < 0) {
      this.metrics.delete(file);
      return undefined;
    }
    const hit = this.metrics.get(file);
    if (hit && hit.mtimeMs === mtimeMs) return hit.value;
    const read = await readReportFile(file);
    const value = read.ok ? reportMetrics(read.report) : undefined;
    if (read.ok) this.metrics.set(file, { mtimeMs, value });
    return value;
  }

  /** Forgets what it keeps of deployments no longer in the store. */
  forget(names: readonly string[]): void {
    for (const n of names) this.metrics.delete(join(this.dir(n), 'report.json'));
  }

  /** The kept reports of a deployment, oldest first. */
  async history(name: string): Promise<ReportListing[]> {
    const out: ReportListing[] = [];
    for (const e of listReportHistory(this.dir(name))) {
      let l = this.listings.get(e.file);
      if (!l) {
        const r = await readReportFile(e.file);
        l = r.ok ? { seq: e.seq, generatedAt: r.report.generatedAt, verdict: r.report.verdict, windows: r.report.windows.length } : { seq: e.seq, generatedAt: null, verdict: null, windows: null };
        if (r.ok) this.listings.set(e.file, l);
      }
      out.push(l);
    }
    return out;
  }

  /** One kept report by its number. */
  async kept(name: string, seq: number): Promise<ReportRead> {
    const e = listReportHistory(this.dir(name)).find((x) => x.seq === seq);
    if (!e) return { ok: false, reason: 'missing', file: join(this.dir(name), 'reports'), message: `${name} has no kept report number ${seq}` };
    return this.cached(e.file);
  }

  /**
   * A report file by its mtime. One that no longer parses is never shown torn: the
   * last whole version read from it is shown instead, marked stale with the reason.
   */
  private async cached(file: string): Promise<ReportRead> {
    const mtimeMs = await stat(file).then((s) => s.mtimeMs, () => -1);
    const hit = this.cache.get(file);
    if (hit && hit.mtimeMs === mtimeMs && mtimeMs >= 0) return hit.read;
    const fresh = await readReportFile(file);
    const read: ReportRead = !fresh.ok && fresh.reason === 'unreadable' && hit?.read.ok ? { ...hit.read, stale: `${fresh.message}; showing the last whole version, read earlier` } : fresh;
    this.cache.delete(file);
    if (read.ok) this.cache.set(file, { mtimeMs, read });
    while (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
    return read;
  }
}
