/**
 * The history of a live comparison's reports: `report.json` is rewritten about
 * once a second, and this keeps a numbered copy (`reports/000001.json`, …) each
 * time the analysis moved — a window more was judged, the verdict or its reason
 * changed, or the comparison completed — so the reports of a deployment can be
 * read back and set side by side. Each copy is written atomically (a reader sees
 * it whole or not at all); the oldest are removed beyond `keep`.
 */
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../../files.ts';
import { renderJson } from './json.ts';
import type { ComparisonReport } from './model.ts';

export const REPORT_HISTORY_DIR = 'reports';
/** How many reports a deployment keeps by default (the oldest go first). */
export const REPORT_HISTORY_KEEP = 500;

const FILE = /^(\d{6,})\.json$/;

export interface ReportEntry {
  /** 1, 2, …: the order the reports were written in. */
  readonly seq: number;
  readonly file: string;
}

/** The kept reports of a report directory, oldest first. */
export function listReportHistory(reportDir: string): ReportEntry[] {
  const dir = join(reportDir, REPORT_HISTORY_DIR);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: ReportEntry[] = [];
  for (const n of names) {
    const m = FILE.exec(n);
    if (m) out.push({ seq: Number(m[1]), file: join(dir, n) });
  }
  return out.sort((x, y) => x.seq - y.seq);
}

/** What makes a report worth keeping: it differs from the last kept one in this. */
function milestone(r: ComparisonReport): string {
  return JSON.stringify([r.verdict, r.reason, r.windows.length, r.complete]);
}

export class ReportHistory {
  private last: string | undefined;
  private next: number;

  constructor(private readonly reportDir: string, private readonly keep = REPORT_HISTORY_KEEP) {
    const kept = listReportHistory(reportDir);
    this.next = (kept.at(-1)?.seq ?? 0) + 1;
    const newest = kept.at(-1);
    if (newest) {
      try {
        this.last = milestone(JSON.parse(readFileSync(newest.file, 'utf8')) as ComparisonReport);
      } catch {
        this.last = undefined;
      }
    }
  }

  /** Keeps `report` if the analysis moved since the last kept one; returns its number, or undefined. */
  record(report: ComparisonReport): number | undefined {
    const m = milestone(report);
    if (m === this.last) return undefined;
    const dir = join(this.reportDir, REPORT_HISTORY_DIR);
    mkdirSync(dir, { recursive: true });
    const seq = this.next++;
    writeFileAtomicSync(join(dir, `${String(seq).padStart(6, '0')}.json`), renderJson(report));
    this.last = m;
    const kept = listReportHistory(this.reportDir);
    for (const old of kept.slice(0, Math.max(0, kept.length - this.keep))) rmSync(old.file, { force: true });
    return seq;
  }
}
