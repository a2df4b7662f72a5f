/**
 * `canary gate --junit FILE`: the gate's answer and the analysis' checks as
 * JUnit XML, the format CI systems show as test results (the Jenkins/Ant
 * schema, as JUnit 5 and most CI readers take it). One testsuite for the
 * deployment's analysis; one testcase `gate` (the exit code's answer) and one
 * per check of the current report:
 * - Successful: passes (the reason as system-out);
 * - Failed: a failure element, its message the check's reason, its body the
 *   failed windows' measured values beside their thresholds;
 * - Error: an error element; Inconclusive (too little data): skipped, with why.
 * The deployment, its versions, engines, phase, verdict and exit code are
 * properties. Pure: the caller reads the store and the report and writes the file.
 *
 * The document is flat and fixed, so it is written here rather than with an
 * XML library: every text and attribute goes through `xmlText`/`xmlAttr`, which
 * escape markup and drop the characters XML 1.0 forbids (control characters,
 * lone surrogates) — the test validates hostile strings against the schema.
 */
import type { ComparisonReport } from '../../compare/index.ts';
import type { Deployment } from '../../orchestrator/lifecycle/model.ts';

/** Characters XML 1.0 allows (§2.2); anything else cannot appear, not even as a character reference. */
const FORBIDDEN = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export function xmlText(s: string): string {
  return s.replace(FORBIDDEN, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function xmlAttr(s: string): string {
  // Tabs and line breaks in an attribute are normalised to spaces by readers unless written as references.
  return xmlText(s).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');
}

function el(name: string, attrs: Record<string, string | number | undefined>, body?: string): string {
  const a = Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${xmlAttr(String(v))}"`)
    .join('');
  return body === undefined ? `<${name}${a}/>` : `<${name}${a}>${body}</${name}>`;
}

export type ReportState = { readonly ok: true; readonly report: ComparisonReport } | { readonly ok: false; readonly missing: boolean; readonly message: string };

export interface GateJunitInput {
  readonly deployment: Deployment;
  /** The gate's answer (pass, fail, inconclusive, pending, error, withdrawn) and its exit code. */
  readonly outcome: string;
  readonly exitCode: number;
  /** Why the gate answers what it does, in a sentence. */
  readonly because: string;
  readonly report: ReportState;
  /** When the gate ran (ISO 8601, the suite's timestamp). */
  readonly timestamp: string;
}

interface Case {
  readonly name: string;
  readonly kind: 'pass' | 'failure' | 'error' | 'skipped';
  readonly message: string;
  readonly type?: string;
  readonly body: string;
}

const fmt = (n: number | null | undefined) => (n === null || n === undefined || !Number.isFinite(n) ? '-' : String(Number(n.toPrecision(6))));
const iso = (ms: number) => new Date(ms).toISOString();

/** The failed (or erroring) windows of a check, newest last, at most `limit`: measured beside threshold. */
function windowLines(r: ComparisonReport, check: string, statuses: readonly string[], limit = 20): string[] {
  const ms = r.measurements.filter((m) => m.check === check && statuses.includes(m.status)).sort((x, y) => x.window.start - y.window.start);
  const lines = ms.slice(-limit).map((m) => {
    const reason = typeof m.detail.reason === 'string' ? ` — ${m.detail.reason}` : '';
    return `window ${iso(m.window.start)}..${iso(m.window.end)} ${m.metric}: measured ${fmt(m.observed)}, threshold ${fmt(m.threshold)}, expected ${fmt(m.expected)} (${m.status}, ${m.records} records)${reason}`;
  });
  return ms.length > limit ? [`… ${ms.length - limit} earlier window(s) left out`, ...lines] : lines;
}

function checkCases(r: ComparisonReport): Case[] {
  return r.assessment.checks.map((c) => {
    const name = c.check === c.type ? c.check : `${c.check} (${c.type})`;
    const counts = `${c.judgedWindows} judged window(s) over ${c.records} records; windows: ${Object.entries(c.windows).map(([k, v]) => `${k} ${v}`).join(', ')}`;
    if (c.status === 'Failed') {
      const latest = r.measurements.filter((m) => m.check === c.check && m.status === 'Failed').sort((x, y) => y.window.start - x.window.start)[0];
      const measured = latest ? ` (latest failed window: ${latest.metric} measured ${fmt(latest.observed)}, threshold ${fmt(latest.threshold)})` : '';
      return { name, kind: 'failure', type: 'Failed', message: `${c.reason}${measured}`, body: [c.reason, `failed metrics: ${c.failedMetrics.join(', ') || '-'}`, counts, ...windowLines(r, c.check, ['Failed'])].join('\n') };
    }
    if (c.status === 'Error') return { name, kind: 'error', type: 'Error', message: c.reason, body: [c.reason, counts, ...windowLines(r, c.check, ['Error'])].join('\n') };
    if (c.status === 'Inconclusive') return { name, kind: 'skipped', message: c.reason, body: `Inconclusive: ${c.reason} (${counts})` };
    return { name, kind: 'pass', message: c.reason, body: `${c.reason}\n${counts}` };
  });
}

function gateCase(i: GateJunitInput): Case {
  const message = `${i.outcome} (exit ${i.exitCode}): ${i.because}`;
  switch (i.outcome) {
    case 'pass':
      return { name: 'gate', kind: 'pass', message, body: message };
    case 'pending':
    case 'inconclusive':
      return { name: 'gate', kind: 'skipped', message, body: message };
    case 'error':
      return { name: 'gate', kind: 'error', type: i.outcome, message, body: message };
    default:
      return { name: 'gate', kind: 'failure', type: i.outcome, message, body: message };
  }
}

function testcase(classname: string, c: Case): string {
  const inner =
    c.kind === 'skipped' ? el('skipped', {}, xmlText(c.body))
    : c.kind === 'failure' ? el('failure', { type: c.type, message: c.message }, xmlText(c.body))
    : c.kind === 'error' ? el('error', { type: c.type, message: c.message }, xmlText(c.body))
    : el('system-out', {}, xmlText(c.body));
  return `    ${el('testcase', { classname, name: c.name, time: '0' }, `\n      ${inner}\n    `)}`;
}

/** The JUnit XML document of one gate run. */
export function gateJunit(i: GateJunitInput): string {
  const d = i.deployment;
  const classname = `pitlane.${d.name}`;
  const cases: Case[] = [gateCase(i)];
  if (i.report.ok) cases.push(...checkCases(i.report.report));
  else if (!i.report.missing) cases.push({ name: 'report', kind: 'error', type: 'unreadable', message: i.report.message, body: i.report.message });
  const r = i.report.ok ? i.report.report : undefined;
  const props: [string, string | number | undefined][] = [
    ['deployment', d.name],
    ['phase', d.phase],
    ['revision', d.revision],
    ['verdict', d.verdict?.status ?? 'none'],
    ['verdict.reason', d.verdict?.reason],
    ['gate.outcome', i.outcome],
    ['gate.exitCode', i.exitCode],
    ['authoritative.job', d.spec.authoritative.job],
    ['authoritative.version', d.spec.authoritative.version],
    ['authoritative.engine', d.spec.authoritative.engine],
    ['candidate.job', d.spec.candidate.job],
    ['candidate.version', d.spec.candidate.version ?? undefined],
    ['candidate.engine', d.spec.candidate.engine ?? d.spec.authoritative.engine],
    ['abort', d.abort ? `${d.abort.by}: ${d.abort.reason}` : undefined],
    ['rollback', d.rollback ? (d.rollback.reason ?? 'rolled back') : undefined],
    ['promotion.override', d.promotion?.override?.reason],
    ['report', r ? r.generatedAt : i.report.ok ? undefined : i.report.message],
    ['report.windows', r?.windows.length],
    ['report.records.a', r?.sides.a.records],
    ['report.records.b', r?.sides.b.records],
  ];
  const count = (k: Case['kind']) => cases.filter((c) => c.kind === k).length;
  const properties = props.filter(([, v]) => v !== undefined).map(([name, value]) => `      ${el('property', { name, value: String(value) })}`).join('\n');
  const suite = el(
    'testsuite',
    { name: classname, tests: cases.length, failures: count('failure'), errors: count('error'), skipped: count('skipped'), time: '0', timestamp: i.timestamp, package: 'pitlane' },
    `\n    <properties>\n${properties}\n    </properties>\n${cases.map((c) => testcase(classname, c)).join('\n')}\n  `,
  );
  const root = el('testsuites', { name: `pitlane canary gate ${d.name}`, tests: cases.length, failures: count('failure'), errors: count('error') }, `\n  ${suite}\n`);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${root}\n`;
}
