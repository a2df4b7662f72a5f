// One deployment: the live verdict and why, charts per check, expected differences, timeline, savepoints, pit stop, commands.
import { h, time, ms, fmt, getJSON, verdictBadge } from './dom.js';
import { metricChart, statusStrip } from './charts.js';
import { actionsPanel } from './actions.js';

function overview(d) {
  const r = d.row;
  const dl = (pairs) => h('dl', { class: 'kv' }, pairs.filter(Boolean).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
  return h('div', { class: 'grid' },
    h('section', { class: 'card', 'aria-labelledby': 'verdict-h' },
      h('h2', { id: 'verdict-h' }, 'Verdict'),
      h('div', { class: 'verdict', id: 'verdict', 'aria-live': 'polite' }, verdictBadge(r.verdict), ' ', r.phase),
      h('p', {}, r.verdictReason ?? ('summary' in d.report ? `so far: ${d.report.summary.verdict} — ${d.report.summary.reason}` : 'no verdict yet')),
      r.lastError ? h('p', { class: 'v-fail' }, r.lastError) : null),
    h('section', { class: 'card' },
      h('h2', {}, 'Versions'),
      dl([
        ['authoritative', `${r.authoritative.version} · ${r.authoritative.engine} · job ${r.authoritative.jobId} → ${r.authoritative.topic}`],
        ['candidate', `${r.candidate.version ?? r.candidate.job} · ${r.candidate.engine} · job ${r.candidate.jobId} → ${r.candidate.topic}`],
        d.noiseReplica && ['noise replica', `job ${d.noiseReplica.jobId} → ${d.noiseReplica.topic}`],
        ['downstream reads', r.activeTopic],
        ['promotion', r.strategy],
        ['created', time(r.createdAt)],
        ['last change', `${time(r.since)} (revision ${r.revision})`],
      ])),
    h('section', { class: 'card' },
      h('h2', {}, 'Pit stop'),
      d.promotion
        ? dl([
            ['output gap', ms(d.promotion.pitStop?.outputGapMs)],
            ['no writer', ms(d.promotion.pitStop?.noWriterMs)],
            ['started', time(d.promotion.startedAt)],
            ['completed', time(d.promotion.completedAt)],
            ['steps', d.promotion.steps.map((s) => s.type).join(' → ') || 'none yet'],
            d.promotion.override && ['override', d.promotion.override.reason],
          ])
        : h('p', { class: 'dim' }, 'not promoted'),
      d.abort ? h('p', {}, `aborted by ${d.abort.by}: ${d.abort.reason}`) : null,
      d.rollback ? h('p', {}, `rollback ${d.rollback.completedAt ? 'done' : 'in progress'}${d.rollback.reason ? `: ${d.rollback.reason}` : ''}`) : null));
}

function checksSection(report) {
  if ('unavailable' in report) return h('section', {}, h('h2', {}, 'Checks'), h('p', { class: 'dim' }, report.unavailable));
  const s = report.summary;
  const sec = h('section', { 'aria-labelledby': 'checks-h' },
    h('h2', { id: 'checks-h' }, 'Checks per event-time window'),
    report.stale ? h('p', { class: 'stale', role: 'status' }, `The current report file cannot be read whole: ${report.stale}.`) : null,
    h('p', { class: 'dim' }, `${s.windows} window(s) judged · ${s.records.a} vs ${s.records.b} records${s.records.noise !== null ? ` (noise replica ${s.records.noise})` : ''} · watermark lag p50 ${ms(s.watermarkLag?.p50Ms)}, max ${ms(s.watermarkLag?.maxMs)} · report ${s.generatedAt}`));
  const grid = h('div', { class: 'grid' });
  sec.append(grid);
  for (const c of report.checks) {
    const card = h('article', { class: 'card', id: `check-${c.check}` },
      h('h3', {}, c.check, ' ', h('span', { class: 'dim' }, `(${c.type})`), ' ', verdictBadge(c.status)),
      h('p', {}, c.reason));
    grid.append(card);
    for (const series of c.series.slice(0, 12)) {
      card.append(h('h4', {}, series.metric, series.expected ? h('span', { class: 'dim' }, ` · declared change ${fmt(series.expected.min)} … ${fmt(series.expected.max)}${series.expected.reason ? ` (${series.expected.reason})` : ''}, measured ${fmt(series.points.at(-1)?.observed)}`) : null));
      // Charts are drawn once the card is in the page (uPlot measures its width).
      const slot = h('div');
      card.append(slot, statusStrip(series));
      queueMicrotask(() => metricChart(slot, series));
      if (series.sample) card.append(sampleOf(series.sample));
    }
    if (c.series.length > 12) card.append(h('p', { class: 'dim' }, `${c.series.length - 12} more metric(s) in the report`));
    if (c.type === 'key-coverage' && s.divergingKeys) card.append(divergingKeysOf(s.divergingKeys));
  }
  // Without a key-coverage check, the keys get a card of their own.
  if (s.divergingKeys && !report.checks.some((c) => c.type === 'key-coverage')) grid.append(h('article', { class: 'card' }, divergingKeysOf(s.divergingKeys)));
  return sec;
}

const short = (v) => {
  const t = v === undefined ? '(absent)' : JSON.stringify(v) ?? String(v);
  return t.length > 60 ? `${t.slice(0, 59)}…` : t;
};

/** Field by field: the paths whose values differ (the whole value when either side is not an object). */
function changes(a, b, ignore, path = '') {
  const obj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (path && ignore.some((f) => path === f || path.startsWith(`${f}.`))) return [];
  if (obj(a) && obj(b)) return [...new Set([...Object.keys(a), ...Object.keys(b)])].flatMap((k) => changes(a[k], b[k], ignore, path ? `${path}.${k}` : k));
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [`${path || 'value'}: ${short(a)} → ${short(b)}`];
}

/** The latest failed window's diverging keys: which records the candidate got wrong. */
function divergingKeysOf(d) {
  const key = (k) => (k === null ? '(no key)' : k);
  const rows = [
    ...d.different.map((x) => ['differs', key(x.key), changes(x.authoritative, x.candidate, d.ignoreFields).join('; ') || 'an earlier record differs']),
    ...d.onlyAuthoritative.map((x) => ['only in a (missing)', key(x.key), short(x.value)]),
    ...d.onlyCandidate.map((x) => ['only in b (extra)', key(x.key), short(x.value)]),
  ];
  return h('div', { class: 'card', id: 'diverging-keys' },
    h('div', {}, `diverging keys, latest failed window (${time(d.window.start)}; ${d.failedWindows} failed window(s) name theirs in the report)`),
    d.error ? h('p', { class: 'v-fail' }, `could not be named: ${d.error}`) : null,
    rows.length === 0 && !d.error ? h('p', { class: 'dim' }, 'no key differs: same keys and values on both sides') : null,
    rows.length ? h('table', {}, h('tbody', {}, rows.map(([kind, k, what]) => h('tr', {}, h('td', {}, kind), h('td', { class: 'mono' }, k), h('td', { class: 'mono' }, what))))) : null,
    d.truncated > 0 ? h('p', { class: 'dim' }, `${d.exact ? '' : 'at least '}${d.truncated} more diverging key(s) not listed`) : null);
}

function sampleOf(sample) {
  const ex = sample.examples ?? {};
  const list = (label, keys) => (Array.isArray(keys) && keys.length ? h('div', {}, h('span', { class: 'dim' }, label), ' ', h('span', { class: 'mono' }, keys.slice(0, 10).join(', '))) : null);
  return h('div', { class: 'card' },
    h('div', {}, `latest window: ${sample.onlyA ?? 0} key(s) only in a (missing from the candidate), ${sample.onlyB ?? 0} only in b (extra)`),
    list('missing:', ex.onlyA ?? ex.missing), list('extra:', ex.onlyB ?? ex.extra));
}

function expectedSection(report) {
  if ('unavailable' in report || report.summary.expected.length === 0) return null;
  const measured = (e) => {
    const c = report.checks.find((x) => x.check === e.check || x.type === e.check);
    const s = c?.series.find((x) => e.metric === undefined || x.metric === e.metric);
    return s ? fmt(s.points.at(-1)?.observed) : '-';
  };
  return h('section', {}, h('h2', {}, 'Expected differences'),
    h('table', {}, h('thead', {}, h('tr', {}, ['Check', 'Metric', 'Declared', 'Measured (latest window)', 'Why'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, report.summary.expected.map((e) => h('tr', {},
        h('td', {}, e.check), h('td', {}, e.metric ?? 'all'),
        h('td', {}, e.change ? `${fmt(e.change.min ?? null)} … ${fmt(e.change.max ?? null)}` : [e.addedFields?.length ? `+${e.addedFields.join(',')} ` : '', e.removedFields?.length ? `-${e.removedFields.join(',')} ` : '', e.retypedFields?.length ? `~${e.retypedFields.join(',')}` : '']),
        h('td', {}, measured(e)), h('td', {}, e.reason ?? ''))))));
}

function timelineSection(d) {
  return h('section', {}, h('h2', {}, 'Lifecycle'),
    h('table', { id: 'timeline' }, h('thead', {}, h('tr', {}, ['#', 'When', 'Transition', 'Event', 'Who', 'Why'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, d.timeline.map((t) => h('tr', {},
        h('td', {}, t.revision), h('td', {}, time(t.at)), h('td', {}, t.from === t.to ? t.to : `${t.from ?? '∅'} → ${t.to}`),
        h('td', {}, t.event), h('td', {}, t.by), h('td', {}, t.why ?? ''))))),
    h('h2', {}, 'Savepoints kept'),
    d.savepoints.length === 0 ? h('p', { class: 'dim' }, 'none') :
      h('table', {}, h('tbody', {}, d.savepoints.map((s) => h('tr', {}, h('td', {}, s.role), h('td', { class: 'mono' }, s.location), h('td', {}, time(s.completedAt)))))));
}

export async function renderDeployment(main, name, { onStore }) {
  let d;
  try {
    d = await getJSON(`/api/deployments/${encodeURIComponent(name)}`);
  } catch (e) {
    if (e.status === 404) {
      main.replaceChildren(h('h1', {}, name), h('p', { role: 'alert' }, `${name} is not in the store (any more): it was removed, or never existed.`), h('a', { href: '#/' }, '← all deployments'));
      return;
    }
    throw e;
  }
  onStore?.({ up: true });
  main.replaceChildren(...[
    h('p', {}, h('a', { href: '#/' }, '← all deployments'), ' · ', h('a', { href: `#/d/${encodeURIComponent(name)}/reports` }, 'report history')),
    h('h1', {}, name),
    overview(d),
    actionsPanel(d),
    checksSection(d.report),
    expectedSection(d.report),
    timelineSection(d)].filter(Boolean));
}
