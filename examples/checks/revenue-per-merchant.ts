/**
 * revenue-per-merchant: a business check. Per event-time window, the sum of the amount
 * per merchant on each side; the window passes when every merchant's revenue on the
 * candidate's side is within the spec's tolerance of the authoritative side's.
 *
 * A candidate can keep every record count, key, field and type — every built-in
 * check passes — and still book revenue to the wrong merchant or change amounts; this
 * check sees it. Memory per window: one number per merchant and side.
 *
 *   checks:
 *     - { type: custom, module: examples/checks/revenue-per-merchant.ts, relative: 0.01,
 *         options: { merchant: merchant, amount: amount } }
 */
import { defineCheck } from '../../src/check-authoring.ts'; // in your own project: from 'pitlane'

interface Options {
  /** Field of the value naming the merchant (a dotted path). */
  readonly merchant: string;
  /** Numeric field of the value to sum (a dotted path). */
  readonly amount: string;
  /** Merchants named in the report when revenue differs. */
  readonly examples: number;
}

const KNOWN = ['merchant', 'amount', 'examples'];

function field(value: unknown, path: readonly string[]): unknown {
  let v = value;
  for (const p of path) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[p] : undefined;
  return v;
}

export default defineCheck({
  name: 'revenue-per-merchant',
  description: 'sum of the amount per merchant, within the tolerance on both sides',
  options(raw): Options {
    const o = (raw ?? {}) as Record<string, unknown>;
    if (typeof o !== 'object' || Array.isArray(o)) throw new Error('options must be a mapping: { merchant, amount, examples }');
    const unknown = Object.keys(o).filter((k) => !KNOWN.includes(k));
    if (unknown.length > 0) throw new Error(`unknown option ${unknown.join(', ')} (known: ${KNOWN.join(', ')})`);
    const text = (k: string, d: string) => {
      const v = o[k] ?? d;
      if (typeof v !== 'string' || v === '') throw new Error(`${k} must be a field name, not ${JSON.stringify(v)}`);
      return v;
    };
    const examples = o.examples ?? 3;
    if (typeof examples !== 'number' || !Number.isInteger(examples) || examples < 0) throw new Error(`examples must be a whole number, not ${JSON.stringify(examples)}`);
    return { merchant: text('merchant', 'merchant'), amount: text('amount', 'amount'), examples };
  },
  // One accumulator per side and window: revenue by merchant.
  init: () => new Map<string, number>(),
  add(revenue, record, { options }) {
    const amount = field(record.value, options.amount.split('.'));
    if (typeof amount !== 'number' || !Number.isFinite(amount)) return;
    const merchant = String(field(record.value, options.merchant.split('.')) ?? '(none)');
    revenue.set(merchant, (revenue.get(merchant) ?? 0) + amount);
  },
  measure(a, b, { options, tolerance, within, relativeChange }) {
    const merchants = new Set([...a.keys(), ...b.keys()]);
    if (merchants.size === 0) return { metric: 'revenue', status: 'inconclusive', reason: 'no amounts on either side' };
    const off: { merchant: string; a: number; b: number; change: number }[] = [];
    let worst = { merchant: '', a: 0, b: 0, change: 0 };
    for (const merchant of merchants) {
      const x = a.get(merchant) ?? 0;
      const y = b.get(merchant) ?? 0;
      const change = relativeChange(x, y);
      if (!within(x, y)) off.push({ merchant, a: x, b: y, change });
      if (Math.abs(change) > Math.abs(worst.change) || worst.merchant === '') worst = { merchant, a: x, b: y, change };
    }
    off.sort((p, q) => Math.abs(q.change) - Math.abs(p.change));
    const num = (x: number) => Number(x.toFixed(2));
    const pct = (c: number) => (Number.isFinite(c) ? `${c > 0 ? '+' : ''}${(c * 100).toFixed(1)}%` : 'only on one side');
    return {
      metric: 'revenue',
      status: off.length === 0 ? 'pass' : 'fail',
      // The worst merchant's revenue on each side, and its relative change.
      a: worst.a,
      b: worst.b,
      observed: Number.isFinite(worst.change) ? worst.change : null,
      threshold: tolerance.relative,
      reason:
        off.length === 0
          ? `${merchants.size} merchants within ±${tolerance.relative * 100}%`
          : `${off.length} of ${merchants.size} merchants off: ${off.slice(0, options.examples).map((m) => `${m.merchant} ${num(m.a)} → ${num(m.b)} (${pct(m.change)})`).join(', ')}`,
      // (not `examples`: the dashboard shows a check's `detail.examples` as key-coverage samples)
      detail: { merchants: merchants.size, off: off.length, worst: off.slice(0, options.examples) },
    };
  },
});
