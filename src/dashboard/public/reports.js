// Report history: every kept report of a deployment, and two of them side by side.
import { h, getJSON, verdictBadge, fmt } from './dom.js';

const latest = (c) => c.series.map((m) => `${m.metric}: ${fmt(m.points.at(-1)?.observed ?? null)}`).join('  ');

/** One report of the pair; what differs from the other one is marked. */
function column(title, r, other) {
  if (!r) return h('div', { class: 'card' }, h('p', { class: 'dim' }, 'pick a report'));
  const s = r.summary;
  const peer = (c) => other?.checks.find((x) => x.check === c.check);
  const mark = (differs) => (other && differs ? 'changed' : undefined);
  return h('div', { class: 'card' },
    h('h3', {}, title, ' ', verdictBadge(s.verdict)),
    r.stale ? h('p', { class: 'stale' }, r.stale) : null,
    h('p', {}, s.reason),
    h('p', { class: 'dim' }, `${s.generatedAt} · ${s.windows} window(s) · ${s.records.a} vs ${s.records.b} records${s.complete ? ' · complete' : ''}`),
    h('table', {}, h('thead', {}, h('tr', {}, ['Check', 'Status', 'Latest measured'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, r.checks.map((c) => h('tr', {},
        h('td', {}, c.check), h('td', { class: mark(peer(c)?.status !== c.status) }, verdictBadge(c.status)),
        h('td', { class: `mono ${mark(!peer(c) || latest(peer(c)) !== latest(c)) ?? ''}` }, latest(c)))))));
}

export async function renderReports(main, name, params) {
  const { reports } = await getJSON(`/api/deployments/${encodeURIComponent(name)}/reports`);
  const left = params.get('left') ?? (reports.length > 1 ? String(reports.at(-2).seq) : null);
  const right = params.get('right') ?? (reports.length > 0 ? String(reports.at(-1).seq) : 'latest');
  const load = (seq) => (seq ? getJSON(`/api/deployments/${encodeURIComponent(name)}/reports/${encodeURIComponent(seq)}`).catch(() => null) : null);
  const [l, r] = await Promise.all([load(left), load(right)]);
  const pick = (side, value) => h('select', { 'aria-label': `${side} report`, onchange: (e) => {
    const q = new URLSearchParams({ left: left ?? '', right: right ?? '', [side]: e.target.value });
    location.hash = `#/d/${encodeURIComponent(name)}/reports?${q}`;
  } }, h('option', { value: 'latest', selected: value === 'latest' }, 'latest (current)'),
  [...reports].reverse().map((x) => h('option', { value: String(x.seq), selected: String(x.seq) === value }, `#${x.seq} · ${x.verdict ?? '?'} · ${x.windows ?? '?'} windows · ${x.generatedAt ?? 'unreadable'}`)));
  main.replaceChildren(...[
    h('p', {}, h('a', { href: '#/' }, '← all deployments'), ' · ', h('a', { href: `#/d/${encodeURIComponent(name)}` }, name)),
    h('h1', {}, `${name}: reports`),
    reports.length === 0 ? h('p', { class: 'dim' }, 'No kept reports here (reports are kept where the shadow supervisor runs).') : null,
    h('div', { class: 'toolbar' }, pick('left', left), pick('right', right)),
    h('div', { class: 'side-by-side' }, column(left ? `#${left}` : '', l, r), column(right ? `#${right}` : '', r, l)),
    h('h2', {}, 'All kept reports'),
    h('table', { id: 'reports' }, h('thead', {}, h('tr', {}, ['#', 'Written', 'Verdict', 'Windows'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, [...reports].reverse().map((x) => h('tr', {}, h('td', {}, x.seq), h('td', {}, x.generatedAt ?? 'unreadable'), h('td', {}, verdictBadge(x.verdict)), h('td', {}, x.windows ?? '-')))))].filter(Boolean));
}
