// Promote / abort / rollback: the controller's own commands, sent with the dashboard's token.
import { h } from './dom.js';

const TOKEN = 'pitlane.dashboard.token';
const WHO = 'pitlane.dashboard.by';

async function send(name, action, body) {
  const token = sessionStorage.getItem(TOKEN) ?? '';
  const r = await fetch(`/api/deployments/${encodeURIComponent(name)}/${action}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const answer = await r.json().catch(() => ({}));
  return { ok: r.ok, status: r.status, answer };
}

function field(label, input) {
  return h('label', {}, label, input);
}

export function actionsPanel(d) {
  if (d.readOnly) return h('section', { class: 'card' }, h('h2', {}, 'Commands'), h('p', { class: 'dim' }, 'This dashboard is read-only (started without --token). Use `pitlane canary promote|abort|rollback`.'));
  const name = d.row.name;
  const a = d.actions;
  const result = h('div', { class: 'result', role: 'status', 'aria-live': 'polite' });
  const token = h('input', { type: 'password', autocomplete: 'off', value: sessionStorage.getItem(TOKEN) ?? '', 'aria-describedby': 'token-help' });
  const by = h('input', { type: 'text', required: true, maxlength: 100, value: localStorage.getItem(WHO) ?? '' });
  const reason = h('textarea', { rows: 2, maxlength: 1000 });
  const act = (action) => async (ev) => {
    ev.preventDefault();
    sessionStorage.setItem(TOKEN, token.value.trim());
    localStorage.setItem(WHO, by.value.trim());
    const why = reason.value.trim();
    if (!by.value.trim()) return say('Say who you are: it is recorded with the command.', true);
    if (action === 'abort' && !why) return say('An abort needs a reason: it is recorded with the command.', true);
    if (action === 'promote' && a.overrideNeeded && !why) return say(`The verdict is not a pass: promoting anyway needs an override reason (recorded).`, true);
    if (!confirm(`${action} ${name}?`)) return;
    say(`${action}…`);
    const body = { by: by.value.trim(), ...(action === 'promote' ? (a.overrideNeeded ? { override: why } : {}) : why ? { reason: why } : {}) };
    const r = await send(name, action, body).catch((e) => ({ ok: false, status: 0, answer: { message: e.message } }));
    if (r.ok) say(`${action}: ${name} is now ${r.answer.phase} (revision ${r.answer.revision})`);
    else say(`${r.status ? `${r.status} ` : ''}${r.answer.code ?? ''}: ${r.answer.message ?? 'failed'}${r.answer.hint ? ` — ${r.answer.hint}` : ''}`, true);
  };
  function say(text, err = false) {
    result.textContent = text;
    result.className = `result${err ? ' err' : ''}`;
  }
  return h('section', { class: 'card', 'aria-labelledby': 'cmd-h' },
    h('h2', { id: 'cmd-h' }, 'Commands'),
    h('form', { class: 'action', onsubmit: (e) => e.preventDefault() },
      field('Token', token),
      h('small', { id: 'token-help', class: 'dim' }, 'The token the dashboard was started with; kept in this tab only.'),
      field('Who you are', by),
      field(a.overrideNeeded && a.promote ? 'Why (an abort needs it; promoting without a pass verdict needs it as the override)' : 'Why', reason),
      h('div', { class: 'toolbar' },
        h('button', { type: 'button', disabled: !a.promote, onclick: act('promote') }, a.overrideNeeded ? 'Promote (override)' : 'Promote'),
        h('button', { type: 'button', class: 'danger', disabled: !a.abort, onclick: act('abort') }, 'Abort'),
        h('button', { type: 'button', class: 'danger', disabled: !a.rollback, onclick: act('rollback') }, 'Roll back')),
      result));
}
