import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReportHistory, listReportHistory } from './history.ts';
import { report } from '../../dashboard/test-support.ts';

test('ReportHistory keeps a report when the analysis moved, numbers on across restarts, prunes the oldest', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pl-hist-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const w = report().windows;
  const h = new ReportHistory(dir, 3);
  assert.equal(h.record(report({ windows: w.slice(0, 1), verdict: 'Inconclusive' })), 1);
  assert.equal(h.record(report({ windows: w.slice(0, 1), verdict: 'Inconclusive', generatedAt: 'later' })), undefined, 'same milestone: not kept');
  assert.equal(h.record(report({ windows: w.slice(0, 2), verdict: 'Inconclusive' })), 2);
  // A restarted supervisor continues the numbering and knows the last kept milestone.
  const again = new ReportHistory(dir, 3);
  assert.equal(again.record(report({ windows: w.slice(0, 2), verdict: 'Inconclusive' })), undefined);
  assert.equal(again.record(report({ windows: w.slice(0, 2), verdict: 'Failed' })), 3);
  assert.equal(again.record(report()), 4);
  assert.deepEqual(listReportHistory(dir).map((e) => e.seq), [2, 3, 4]);
  assert.equal(JSON.parse(readFileSync(listReportHistory(dir).at(-1)!.file, 'utf8')).windows.length, 3);
  // Stray files are not reports.
  writeFileSync(join(dir, 'reports', '.000005.json.tmp-abc'), '{');
  assert.deepEqual(listReportHistory(dir).map((e) => e.seq), [2, 3, 4]);
});
