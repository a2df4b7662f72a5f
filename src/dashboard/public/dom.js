// Small DOM helpers: every value from the server goes in as text, never as HTML.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export const time = (ms) => (ms ? new Date(ms).toLocaleString() : '-');
export function ago(ms) {
  if (!ms) return '-';
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 90) return `${s}s ago`;
  if (s < 5400) return `${Math.round(s / 60)}m ago`;
  if (s < 129600) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}
export const ms = (n) => (n === undefined || n === null ? '-' : `${n} ms`);
export const fmt = (n) => (n === null || n === undefined ? '-' : Math.abs(n) >= 1000 || Number.isInteger(n) ? String(n) : n.toPrecision(3));

export function verdictBadge(v) {
  const cls = { pass: 'v-pass', fail: 'v-fail', inconclusive: 'v-inconclusive', Successful: 's-Successful', Failed: 's-Failed', Inconclusive: 's-Inconclusive', Error: 's-Error' }[v] ?? 'v-none';
  return h('span', { class: `badge ${cls}` }, v ?? 'no verdict');
}

export class HttpError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

export async function getJSON(url) {
  const r = await fetch(url, { headers: { accept: 'application/json' } });
  const body = await r.json().catch(() => null);
  if (!r.ok) throw new HttpError(r.status, body);
  return body;
}

/** An error as the page shows it: what happened and what to do. */
export function errorBox(e) {
  return h('div', { class: 'card', role: 'alert' }, h('strong', {}, e.body?.code ?? 'error'), ': ', e.message, e.body?.hint ? h('div', { class: 'dim' }, e.body.hint) : null);
}
