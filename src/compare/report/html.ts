import type { Measurement, Status } from '../../../comparators/types.ts';
import type { ComparisonReport } from './model.ts';
import { divergenceHtml } from './divergence.ts';

const STATUS_COLOR: Readonly<Record<Status, string>> = { Successful: '#2e7d32', Failed: '#c62828', Inconclusive: '#9e9e9e', Error: '#ef6c00' };
const LINE_COLORS = ['#1565c0', '#6a1b9a', '#00838f', '#ad1457', '#4e342e', '#558b2f'];
const MAX_SERIES = 6;
const W = 760;
const H = 220;
const PAD = { l: 60, r: 20, t: 16, b: 28 };

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * A self-contained HTML report: no script, no external asset, one inline SVG
 * chart per check of the observed difference per window (one line per metric,
 * up to six), each point colored by its status. Opens offline in any browser.
 */
export function renderHtml(r: ComparisonReport): string {
  const charts = r.assessment.checks.map((c) => {
    const ms = r.measurements.filter((m) => m.check === c.check);
    return `<section class="check" data-check="${esc(c.check)}">
<h2><span class="badge" style="background:${STATUS_COLOR[c.status]}">${c.status}</span> ${esc(c.check)} <small>(${esc(c.type)})</small></h2>
<p>${esc(c.reason)}</p>
${chart(c.check, ms, r.windows)}
</section>`;
  });
  const side = (name: string, s: ComparisonReport['sides']['a']) =>
    `<tr><td>${name}</td><td>${esc(s.topic)}</td><td>${s.format}</td><td>${s.records}</td><td>${s.undecodable}</td><td>${s.late}</td><td>${s.droppedLate}</td></tr>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>pitlane compare — ${r.verdict}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#212121;max-width:820px}
h1{font-size:20px}h2{font-size:16px;margin:18px 0 4px}small{color:#757575;font-weight:normal}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #e0e0e0;padding:3px 8px;text-align:left}
.badge{color:#fff;border-radius:4px;padding:1px 8px;font-size:13px}
svg{background:#fafafa;border:1px solid #e0e0e0}.legend span{margin-right:12px}
.mono{font-family:ui-monospace,monospace;font-size:12px}table.diverging td{vertical-align:top}
</style></head><body>
<h1><span class="badge" style="background:${STATUS_COLOR[r.verdict]}">${r.verdict}</span> pitlane compare</h1>
<p>${esc(r.reason)} · ${r.windows.length} windows of ${r.settings.window} ms · generated ${esc(r.generatedAt)}${r.complete ? '' : ' · still running'} · report schema ${esc(r.schema)}</p>
<table><tr><th>side</th><th>topic</th><th>format</th><th>records</th><th>undecodable</th><th>late</th><th>after window closed</th></tr>
${side('a', r.sides.a)}${side('b', r.sides.b)}${r.sides.noise ? side('noise', r.sides.noise) : ''}</table>
${charts.join('\n')}
${divergenceHtml(r)}
</body></html>
`;
}

function chart(check: string, ms: readonly Measurement[], windows: ComparisonReport['windows']): string {
  // Failing metrics first, so the chart shows what went wrong when there are more than six.
  const failing = new Set(ms.filter((m) => m.status === 'Failed').map((m) => m.metric));
  const all = [...new Set(ms.map((m) => m.metric))];
  const metrics = [...all.filter((m) => failing.has(m)), ...all.filter((m) => !failing.has(m))].slice(0, MAX_SERIES);
  const index = new Map(windows.map((w, i) => [w.start, i]));
  const values = ms.filter((m) => m.observed !== null && metrics.includes(m.metric)).map((m) => m.observed!);
  let lo = Math.min(0, ...values);
  let hi = Math.max(0, ...values);
  if (hi === lo) hi = lo + 1;
  const pad = (hi - lo) * 0.08;
  lo -= pad;
  hi += pad;
  const n = Math.max(1, windows.length - 1);
  const x = (i: number) => PAD.l + ((W - PAD.l - PAD.r) * i) / n;
  const y = (v: number) => PAD.t + (H - PAD.t - PAD.b) * (1 - (v - lo) / (hi - lo));
  const parts: string[] = [];
  parts.push(`<line x1="${PAD.l}" y1="${y(0)}" x2="${W - PAD.r}" y2="${y(0)}" stroke="#bdbdbd" stroke-dasharray="4 3"/>`);
  parts.push(`<text x="${PAD.l - 6}" y="${y(hi - pad) + 4}" text-anchor="end" font-size="11">${fmt(hi - pad)}</text>`);
  parts.push(`<text x="${PAD.l - 6}" y="${y(lo + pad) + 4}" text-anchor="end" font-size="11">${fmt(lo + pad)}</text>`);
  parts.push(`<text x="${PAD.l}" y="${H - 8}" font-size="11">${windows[0] ? esc(new Date(windows[0].start).toISOString()) : ''}</text>`);
  parts.push(`<text x="${W - PAD.r}" y="${H - 8}" text-anchor="end" font-size="11">${windows.length} windows</text>`);
  metrics.forEach((metric, k) => {
    const color = LINE_COLORS[k % LINE_COLORS.length]!;
    const pts = ms.filter((m) => m.metric === metric).map((m) => ({ i: index.get(m.window.start) ?? 0, m })).sort((p, q) => p.i - q.i);
    const line = pts.filter((p) => p.m.observed !== null).map((p) => `${x(p.i).toFixed(1)},${y(p.m.observed!).toFixed(1)}`);
    if (line.length > 1) parts.push(`<polyline class="series" fill="none" stroke="${color}" stroke-width="1.5" points="${line.join(' ')}"/>`);
    for (const p of pts) {
      const v = p.m.observed ?? 0;
      parts.push(`<circle class="point" cx="${x(p.i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3.5" fill="${STATUS_COLOR[p.m.status]}"><title>${esc(`${metric} @ ${new Date(p.m.window.start).toISOString()}: ${p.m.status}, observed ${p.m.observed ?? 'n/a'}`)}</title></circle>`);
    }
  });
  const legend = metrics.map((m, k) => `<span style="color:${LINE_COLORS[k % LINE_COLORS.length]}">━ ${esc(m)}</span>`).join('');
  return `<svg class="chart" data-check="${esc(check)}" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${esc(check)} per window">${parts.join('')}</svg>
<div class="legend">${legend}${ms.length > 0 && metrics.length < new Set(ms.map((m) => m.metric)).size ? ' <span>(first six metrics)</span>' : ''}</div>`;
}

function fmt(v: number): string {
  return Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(2) : v.toFixed(3);
}
