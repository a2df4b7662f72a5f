// The dashboard page: a hash router over three views, kept live by server-sent events.
import { h, ago, ms, getJSON, errorBox, verdictBadge } from './dom.js';
import { renderDeployment } from './detail.js';
import { renderReports } from './reports.js';

const main = document.getElementById('main');
const banner = document.getElementById('banner');
const live = document.getElementById('live');
const PAGE = 50;

/** The view on screen: its route and how to refresh it when the store changes. */
let current = { route: null, refresh: async () => {}, wants: () => false };

function parseRoute() {
  const [path, query = ''] = location.hash.replace(/^#/, '').split('?');
  const params = new URLSearchParams(query);
  const parts = (path || '/').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'd' && parts[1] && parts[2] === 'reports') return { view: 'reports', name: parts[1], params };
  if (parts[0] === 'd' && parts[1]) return { view: 'deployment', name: parts[1], params };
  return { view: 'list', params };
}

function showStore(store) {
  if (store && store.up === false) {
    banner.hidden = false;
    banner.textContent = `The deployment store cannot be read: ${store.message ?? 'unreachable'}. Showing the last read; this page recovers by itself when the store is back.`;
  } else {
    banner.hidden = true;
  }
}

let typing = null;
async function renderList(params) {
  const phase = params.get('phase') ?? '';
  const q = params.get('q') ?? '';
  const offset = Number(params.get('offset') ?? 0) || 0;
  // Filtered and paged by the server: the page never holds every deployment.
  const data = await getJSON(`/api/deployments?${new URLSearchParams({ ...(phase ? { phase } : {}), ...(q ? { q } : {}), offset: String(offset), limit: String(PAGE) })}`);
  showStore(data.store);
  const go = (over) => {
    const next = { phase, q, ...over };
    location.hash = `#/?${new URLSearchParams(Object.fromEntries(Object.entries(next).filter(([, v]) => v !== '' && v !== 0)))}`;
  };
  const search = h('input', { id: 'name-filter', type: 'search', value: q, placeholder: 'part of a name', autocomplete: 'off', oninput: (e) => {
    clearTimeout(typing);
    typing = setTimeout(() => go({ q: e.target.value.trim(), offset: 0 }), 250);
  } });
  const filter = h('select', { id: 'phase', onchange: (e) => go({ phase: e.target.value, offset: 0 }) },
    h('option', { value: '' }, `all phases (${Object.values(data.phases).reduce((a, b) => a + b, 0)})`),
    Object.entries(data.phases).map(([p, n]) => h('option', { value: p, selected: p === phase }, `${p} (${n})`)));
  const rows = data.rows.map((r) =>
    h('tr', { 'data-name': r.name },
      h('td', {}, h('a', { href: `#/d/${encodeURIComponent(r.name)}` }, r.name)),
      h('td', {}, r.phase, r.lastError ? h('div', { class: 'v-fail', title: r.lastError }, 'step failed') : null),
      h('td', {}, verdictBadge(r.verdict)),
      h('td', {}, `${r.authoritative.version} (${r.authoritative.engine})`, h('span', { class: 'dim' }, ' → '), `${r.candidate.version ?? r.candidate.job} (${r.candidate.engine})`),
      h('td', { title: new Date(r.since).toISOString() }, ago(r.since)),
      h('td', {}, r.pitStop ? `${ms(r.pitStop.outputGapMs)} gap` : h('span', { class: 'dim' }, '-'))));
  const pager = h('div', { class: 'pager' },
    h('button', { id: 'newer', disabled: offset === 0, onclick: () => go({ offset: Math.max(0, offset - PAGE) }) }, '← newer'),
    h('span', { class: 'dim', id: 'page-of' }, data.total === 0 ? 'none' : `${offset + 1}–${Math.min(offset + PAGE, data.total)} of ${data.total}`),
    h('button', { id: 'older', disabled: offset + PAGE >= data.total, onclick: () => go({ offset: offset + PAGE }) }, 'older →'));
  main.replaceChildren(
    h('h1', {}, 'Deployments'),
    h('div', { class: 'toolbar' }, h('label', { for: 'name-filter' }, 'Name '), search, h('label', { for: 'phase' }, 'Phase '), filter,
      h('span', { class: 'dim' }, `store ${data.store.description}${data.store.readMs !== null ? `, read in ${data.store.readMs} ms` : ''}${data.readOnly ? ' · read-only' : ''}`)),
    data.total === 0 ? h('p', { class: 'dim' }, phase || q ? `No deployment${q ? ` named *${q}*` : ''}${phase ? ` is ${phase}` : ''}.` : 'No deployments in this store yet (`pitlane canary start SPEC`).') :
      h('table', { id: 'deployments' },
        h('thead', {}, h('tr', {}, ['Name', 'Phase', 'Verdict', 'Versions (engines)', 'Since', 'Pit stop'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, rows)),
    pager);
}

/** The route last drawn whole: a refresh of it that fails on the server keeps it on screen. */
let drawn = null;

async function route() {
  const r = parseRoute();
  const key = JSON.stringify([r.view, r.name ?? null, r.params.toString()]);
  const render = async () => {
    try {
      if (r.view === 'list') await renderList(r.params);
      else if (r.view === 'deployment') await renderDeployment(main, r.name, { onStore: showStore });
      else await renderReports(main, r.name, r.params);
      drawn = key;
    } catch (e) {
      // The store (or the dashboard) cannot answer now: keep what is shown, say why; the store's return redraws it.
      if ((e.status === undefined || e.status >= 500) && drawn === key) return showStore({ up: false, message: e.message });
      drawn = null;
      main.replaceChildren(errorBox(e), h('p', {}, h('a', { href: '#/' }, '← all deployments')));
    }
  };
  const fresh = current.route !== key;
  current = {
    route: key,
    refresh: render,
    // Which live changes this view shows.
    wants: (ev) => (r.view === 'list' ? true : ev.changed?.some((c) => c.name === r.name) || ev.removed?.includes(r.name) || (ev.reports?.includes(r.name) ?? false)),
  };
  // Typing in the name filter changes the route: the caret stays in the box.
  const filtering = document.activeElement?.id === 'name-filter';
  await render();
  const box = filtering ? document.getElementById('name-filter') : null;
  if (box) {
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
  } else if (fresh) main.focus({ preventScroll: true });
}

// Live updates: one EventSource; a change the current view shows re-renders it (at most every 250 ms).
let pending = null;
function scheduleRefresh() {
  if (pending) return;
  pending = setTimeout(async () => {
    pending = null;
    // Never wipe what someone is typing: refresh once they leave the form.
    if (document.activeElement?.closest('form')) return scheduleRefresh();
    // A refresh redraws the view: keep the reader's place and keyboard focus.
    const y = window.scrollY;
    const focused = document.activeElement;
    const again = focused?.id ? `#${CSS.escape(focused.id)}` : focused?.getAttribute('href') ? `a[href="${CSS.escape(focused.getAttribute('href'))}"]` : null;
    await current.refresh();
    window.scrollTo(0, y);
    if (again && !document.activeElement?.matches(again)) main.querySelector(again)?.focus({ preventScroll: true });
  }, 250);
}

function connect() {
  const es = new EventSource('/api/events');
  es.addEventListener('open', () => { live.textContent = 'live'; live.className = 'live up'; });
  es.addEventListener('error', () => { live.textContent = 'reconnecting to the dashboard…'; live.className = 'live down'; });
  // The store's state comes first on every connection; a view is redrawn only when the store comes back.
  let storeUp = true;
  es.addEventListener('store', (m) => {
    const s = JSON.parse(m.data);
    showStore(s);
    if (s.up && !storeUp) scheduleRefresh();
    storeUp = s.up;
  });
  es.addEventListener('change', (m) => {
    const ev = JSON.parse(m.data);
    if (current.wants(ev)) scheduleRefresh();
  });
}

window.addEventListener('hashchange', route);
route();
connect();
