import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import parse from 'parse-prometheus-text-format';
import { renderMetrics, reportMetrics } from './metrics.ts';
import { deployment, report } from './test-support.ts';

interface Panel {
  readonly type: string;
  readonly title: string;
  readonly gridPos: { x: number; y: number; w: number; h: number };
  readonly targets?: readonly { readonly expr: string }[];
}

const grafana = JSON.parse(readFileSync(new URL('../../deploy/grafana/pitlane-deployments.json', import.meta.url), 'utf8')) as { panels: Panel[]; templating: { list: { name: string; definition?: string }[] } };

test('the Grafana dashboard queries only series that /metrics exports', async () => {
  const d = deployment('a', 'Promoted', { promotion: { strategy: 'cutover', auto: false, startedAt: 1, steps: [], pitStop: { outputGapMs: 1, noWriterMs: 1 } } });
  const text = (await renderMetrics({ store: { description: 's', up: true, readSeconds: 0.1 }, deployments: [{ deployment: d, report: reportMetrics(report()), jobs: [{ jobId: 'a', role: 'live', engine: 'embedded', metrics: { recordsIn: 1, recordsOut: 1, inputLag: 0, inRate: 1, stateBytes: 1 } }] }] })).text;
  const exported = new Set(parse(text).map((f) => f.name));
  const queries = [...grafana.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr), ...grafana.templating.list.map((v) => v.definition ?? '')];
  const used = new Set(queries.flatMap((q) => q.match(/pitlane_[a-z_]+/g) ?? []));
  assert.ok(used.size >= 12, `the dashboard uses ${used.size} series`);
  for (const name of used) assert.ok(exported.has(name), `${name} is queried by the Grafana dashboard but not exported`);
  for (const name of exported) assert.ok(used.has(name) || ['pitlane_deployment_revision', 'pitlane_deployment_updated_timestamp_seconds', 'pitlane_report_generated_timestamp_seconds', 'pitlane_job_records_in', 'pitlane_job_records_out'].includes(name), `${name} is exported but on no panel`);
});

test('the Grafana dashboard\'s panels do not overlap and fit the 24-column grid', () => {
  const cells = new Set<string>();
  for (const p of grafana.panels) {
    assert.ok(p.gridPos.x + p.gridPos.w <= 24, p.title);
    for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
      for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
        assert.ok(!cells.has(`${x},${y}`), `${p.title} overlaps another panel at ${x},${y}`);
        cells.add(`${x},${y}`);
      }
    }
  }
});
