import type { DifferentKey, DivergingKeys, OneSidedKey } from '../keys/divergence.ts';
import { ignoredBy } from '../keys/digest.ts';
import type { ComparisonReport, ReportWindow } from './model.ts';

/** One field whose value differs between the sides (`path` '' for the whole value when it is not an object). */
export interface FieldChange {
  readonly path: string;
  readonly authoritative: unknown;
  readonly candidate: unknown;
}

const MAX_DEPTH = 6;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);

/** The fields that differ between two JSON values, by dotted path, ignored ones left out; a missing field is `undefined`. */
export function fieldChanges(a: unknown, b: unknown, ignoreFields: readonly string[] = []): FieldChange[] {
  const ignored = ignoredBy(ignoreFields);
  const out: FieldChange[] = [];
  const walk = (x: unknown, y: unknown, path: string, depth: number) => {
    if (path !== '' && ignored(path)) return;
    if (isObject(x) && isObject(y) && depth < MAX_DEPTH) {
      const names = [...new Set([...Object.keys(x), ...Object.keys(y)])];
      for (const n of names) walk(x[n], y[n], path ? `${path}.${n}` : n, depth + 1);
      return;
    }
    if (stable(x) !== stable(y)) out.push({ path, authoritative: x, candidate: y });
  };
  walk(a, b, '', 0);
  return out;
}

function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (isObject(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stable(v[k])}`).join(',')}}`;
  return v === undefined ? 'undefined' : (JSON.stringify(v) ?? String(v));
}

/** A value on one line, cut at `max` characters. */
export function shortValue(v: unknown, max = 80): string {
  const s = v === undefined ? '(absent)' : typeof v === 'bigint' ? v.toString() : (JSON.stringify(v) ?? String(v));
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

export const keyText = (k: string | null): string => (k === null ? '(no key)' : k);

/** What changed in one key, field by field: `amount: 52 → 65; region: "eu" → "us"`. */
export function changeText(d: DifferentKey, ignoreFields: readonly string[] = []): string {
  const changes = fieldChanges(d.authoritative, d.candidate, ignoreFields);
  const parts = changes.map((c) => `${c.path === '' ? 'value' : c.path}: ${shortValue(c.authoritative, 40)} → ${shortValue(c.candidate, 40)}`);
  const counts = d.records && d.records.authoritative !== d.records.candidate ? [`records: ${d.records.authoritative} → ${d.records.candidate}`] : [];
  const all = [...counts, ...parts];
  return all.length > 0 ? all.join('; ') : 'an earlier record of the window differs (last values equal)';
}

export function summaryText(k: DivergingKeys): string {
  if (k.error) return `could not be named: ${k.error}`;
  const n = k.onlyAuthoritative.length + k.onlyCandidate.length + k.different.length;
  if (n === 0 && k.truncated === 0) return 'no key differs (same keys and values on both sides)';
  const more = k.truncated > 0 ? `, ${k.exact ? '' : 'at least '}${k.truncated} more not listed` : '';
  return `${k.different.length} with other values, ${k.onlyAuthoritative.length} only in a (missing from the candidate), ${k.onlyCandidate.length} only in b (extra)${more}`;
}

/** Failed windows that carry diverging keys, oldest first. */
export function windowsWithKeys(r: ComparisonReport): (ReportWindow & { divergingKeys: DivergingKeys })[] {
  return r.windows.filter((w): w is ReportWindow & { divergingKeys: DivergingKeys } => w.divergingKeys !== undefined);
}

const one = (e: OneSidedKey) => `${keyText(e.key)} = ${shortValue(e.value)}${e.records ? ` (${e.records} records)` : ''}`;

/** The terminal's diverging-keys section: up to `maxWindows` failed windows. */
export function divergenceLines(r: ComparisonReport, maxWindows = 5): string[] {
  const ws = windowsWithKeys(r);
  if (ws.length === 0) return [];
  const ignore = r.settings.ignoreFields ?? [];
  const lines = ['', 'diverging keys in failed windows (a = authoritative, b = candidate):'];
  for (const w of ws.slice(0, maxWindows)) {
    const k = w.divergingKeys;
    lines.push(`  window ${new Date(w.start).toISOString()} … ${new Date(w.end).toISOString()}: ${summaryText(k)}`);
    for (const d of k.different) lines.push(`    differs    ${keyText(d.key)}: ${changeText(d, ignore)}`);
    for (const e of k.onlyAuthoritative) lines.push(`    only in a  ${one(e)}`);
    for (const e of k.onlyCandidate) lines.push(`    only in b  ${one(e)}`);
  }
  if (ws.length > maxWindows) lines.push(`  … ${ws.length - maxWindows} more failed window(s) with their keys in report.json`);
  return lines;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The HTML report's diverging-keys section: per failed window, a table of keys, each changed field on its own line. */
export function divergenceHtml(r: ComparisonReport, maxWindows = 20): string {
  const ws = windowsWithKeys(r);
  if (ws.length === 0) return '';
  const ignore = r.settings.ignoreFields ?? [];
  const cell = (v: unknown) => `<td class="mono">${esc(shortValue(v, 120))}</td>`;
  const rows = (k: DivergingKeys) => [
    ...k.different.map((d) => {
      const changes = fieldChanges(d.authoritative, d.candidate, ignore);
      const fields = changes.map((c) => `<div><b>${esc(c.path === '' ? 'value' : c.path)}</b>: ${esc(shortValue(c.authoritative, 60))} → ${esc(shortValue(c.candidate, 60))}</div>`).join('');
      const counts = d.records && d.records.authoritative !== d.records.candidate ? `<div>records: ${d.records.authoritative} → ${d.records.candidate}</div>` : '';
      return `<tr class="different"><td>differs</td><td class="mono">${esc(keyText(d.key))}</td><td>${counts}${fields || esc(changeText(d, ignore))}</td>${cell(d.authoritative)}${cell(d.candidate)}</tr>`;
    }),
    ...k.onlyAuthoritative.map((e) => `<tr class="only-a"><td>only in a</td><td class="mono">${esc(keyText(e.key))}</td><td>missing from the candidate</td>${cell(e.value)}<td></td></tr>`),
    ...k.onlyCandidate.map((e) => `<tr class="only-b"><td>only in b</td><td class="mono">${esc(keyText(e.key))}</td><td>extra in the candidate</td><td></td>${cell(e.value)}</tr>`),
  ];
  const sections = ws.slice(0, maxWindows).map((w) => {
    const k = w.divergingKeys;
    const body = rows(k);
    return `<h3>${esc(new Date(w.start).toISOString())} … ${esc(new Date(w.end).toISOString())}</h3>
<p>${esc(summaryText(k))}</p>
${body.length ? `<table class="diverging"><tr><th>kind</th><th>key</th><th>what differs</th><th>a (authoritative)</th><th>b (candidate)</th></tr>\n${body.join('\n')}</table>` : ''}`;
  });
  const more = ws.length > maxWindows ? `<p>${ws.length - maxWindows} more failed window(s): see report.json.</p>` : '';
  return `<section class="diverging-keys"><h2>Diverging keys in failed windows</h2>
${ignore.length ? `<p><small>ignored fields: ${esc(ignore.join(', '))}</small></p>` : ''}
${sections.join('\n')}${more}</section>`;
}
