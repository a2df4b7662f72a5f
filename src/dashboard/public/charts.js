// Charts per check and metric with uPlot (served from node_modules by pitlane itself).
import { h, fmt } from './dom.js';

const COLORS = { a: '#58a6ff', b: '#f0883e', observed: '#c297ff', threshold: '#8b949e', noise: '#3fb950' };

function width(el) {
  return Math.max(280, Math.min(el.clientWidth || 600, 1600) - 24);
}

/**
 * One chart of a metric over event-time windows: both sides' values where the
 * check measures two, else the measured difference with its limit.
 */
export function metricChart(container, series) {
  const pts = series.points;
  if (pts.length === 0) return h('p', { class: 'dim' }, 'no windows judged yet');
  const x = pts.map((p) => p.start / 1000);
  const twoSided = pts.some((p) => p.a !== null || p.b !== null);
  const lines = twoSided
    ? [
        { label: 'authoritative (a)', stroke: COLORS.a, values: pts.map((p) => p.a) },
        { label: 'candidate (b)', stroke: COLORS.b, values: pts.map((p) => p.b) },
      ]
    : [
        { label: 'measured', stroke: COLORS.observed, values: pts.map((p) => p.observed) },
        { label: 'limit', stroke: COLORS.threshold, dash: [6, 4], values: pts.map((p) => p.threshold) },
      ];
  if (pts.some((p) => p.noiseFloor !== null)) lines.push({ label: 'noise floor', stroke: COLORS.noise, dash: [2, 3], values: pts.map((p) => p.noiseFloor) });
  const box = h('div', { class: 'chart', role: 'img', 'aria-label': `${series.metric}: ${lines.map((l) => `${l.label} ${fmt(l.values.at(-1))}`).join(', ')} in the latest window` });
  container.append(box);
  if (typeof window.uPlot !== 'function') {
    box.append(h('p', { class: 'dim' }, 'charts unavailable (uPlot did not load)'));
    return box;
  }
  const opts = {
    width: width(container),
    height: Math.round(Math.max(160, Math.min(window.innerHeight * 0.22, 420))),
    scales: { x: { time: true } },
    axes: [{ stroke: '#9aa7b4', grid: { stroke: '#2b3642' } }, { stroke: '#9aa7b4', grid: { stroke: '#2b3642' }, values: (_u, ticks) => ticks.map(fmt) }],
    series: [{}, ...lines.map((l) => ({ label: l.label, stroke: l.stroke, width: 2, dash: l.dash, spanGaps: true, points: { show: pts.length < 60 } }))],
  };
  new window.uPlot(opts, [x, ...lines.map((l) => l.values)], box);
  return box;
}

/** The status of each window as a row of marks, newest last (a quick read of where a check failed). */
export function statusStrip(series) {
  return h('div', { class: 'mono', 'aria-label': 'window statuses, oldest first' }, series.points.slice(-80).map((p) => h('span', { class: `s-${p.status}`, title: `${new Date(p.start).toISOString()} ${p.status} measured ${fmt(p.observed)}` }, p.status === 'Successful' ? '▮' : p.status === 'Failed' ? '✗' : '▯')));
}
