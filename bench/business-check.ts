/**
 * bench:business-check — what a business check costs, and why it folds. One event-time
 * window of N decoded order records ({ orderId, merchant, amount }, M merchants) per side
 * goes through, in the same run, interleaved over BENCH_BIZ_ROUNDS rounds:
 *
 * - fold: the example check (examples/checks/revenue-per-merchant.ts) as the comparator
 *   runs it (init/add per side, measure at the close);
 * - aggregate: the built-in aggregate check on the same records, `fields: [amount]` — the
 *   strongest peer: the built-in that sums a numeric field per window;
 * - list: the same check written against a window's records handed over as two arrays —
 *   the design a fold replaces: the comparator would hold every record of an open window.
 *
 * Printed: records/s of each (median over rounds), and the heap the window holds when
 * it closes (after a full GC) for fold and list. Pure CPU and memory: no Kafka.
 *   node --expose-gc --import tsx bench/business-check.ts
 *   BENCH_BIZ_RECORDS (default 500000 per side), BENCH_BIZ_MERCHANTS (1000), BENCH_BIZ_ROUNDS (3)
 */
import { loadavg, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { loadCompareConfig } from '../src/compare/config.ts';
import type { Check, CompareRecord, Measurement } from '../comparators/types.ts';
import { fieldsOf } from '../comparators/shared/fields.ts';

const N = Number(process.env.BENCH_BIZ_RECORDS ?? 500_000);
const M = Number(process.env.BENCH_BIZ_MERCHANTS ?? 1000);
const ROUNDS = Number(process.env.BENCH_BIZ_ROUNDS ?? 3);
const WINDOW = { start: 0, end: 60_000 };
const EXAMPLE = fileURLToPath(new URL('../examples/checks/revenue-per-merchant.ts', import.meta.url));
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

/** The i-th record of a side, decoded as the comparator hands it over (fields flattened once). */
function record(i: number, side: 'a' | 'b'): CompareRecord {
  const value = { orderId: `o-${i}`, merchant: `m-${i % M}`, amount: (1 + ((i * 37) % 500)) * (side === 'b' && i % M === 7 ? 1.5 : 1) };
  const r = { key: `o-${i}`, value, eventTime: (i * 7) % WINDOW.end, timestamp: 0, lineage: undefined, schemaId: undefined };
  return { ...r, fields: fieldsOf(r) };
}

const heapMb = () => {
  gc!();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

/** Streams both sides through a check's window, as the comparator does; the heap is read before the close. */
function viaCheck(check: Check): { ms: number; heldMb: number; out: Measurement[] } {
  const base = heapMb();
  const t0 = performance.now();
  const acc = check.open(WINDOW);
  for (let i = 0; i < N; i++) {
    acc.add('a', record(i, 'a'));
    acc.add('b', record(i, 'b'));
  }
  const t1 = performance.now();
  const heldMb = heapMb() - base;
  const t2 = performance.now();
  const out = acc.finish({ window: WINDOW, a: { watermark: Infinity, lateRecords: 0, schemaFields: undefined }, b: { watermark: Infinity, lateRecords: 0, schemaFields: undefined }, compatibility: undefined });
  return { ms: t1 - t0 + (performance.now() - t2), heldMb, out };
}

/** The same judgment over a window handed over as lists: every record held until the close. */
function viaList(): { ms: number; heldMb: number; off: number } {
  const base = heapMb();
  const t0 = performance.now();
  const a: CompareRecord[] = [];
  const b: CompareRecord[] = [];
  for (let i = 0; i < N; i++) {
    a.push(record(i, 'a'));
    b.push(record(i, 'b'));
  }
  const t1 = performance.now();
  const heldMb = heapMb() - base;
  const t2 = performance.now();
  const sum = (rs: readonly CompareRecord[]) => {
    const m = new Map<string, number>();
    for (const r of rs) {
      const v = r.value as { merchant: string; amount: number };
      m.set(v.merchant, (m.get(v.merchant) ?? 0) + v.amount);
    }
    return m;
  };
  const [sa, sb] = [sum(a), sum(b)];
  let off = 0;
  for (const [k, x] of sa) if (Math.abs((sb.get(k) ?? 0) - x) > 0.01 * Math.abs(x)) off++;
  return { ms: t1 - t0 + (performance.now() - t2), heldMb, off };
}

const config = await loadCompareConfig({ checks: [{ type: 'custom', module: EXAMPLE, relative: 0.01 }, { type: 'aggregate', fields: ['amount'], stats: ['sum'], recordLevel: { enabled: false } }] });
const [fold, aggregate] = config.checks as [Check, Check];
const rate = (ms: number) => (2 * N) / (ms / 1000);
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const runs = { fold: [] as number[], aggregate: [] as number[], list: [] as number[], foldMb: [] as number[], listMb: [] as number[] };
for (let r = 0; r < ROUNDS; r++) {
  const f = viaCheck(fold);
  const g = viaCheck(aggregate);
  const l = viaList();
  if (f.out[0]!.status !== 'Failed' || l.off !== 1) throw new Error(`the check should fail merchant m-7 only: ${JSON.stringify(f.out[0]!.detail)} / list ${l.off}`);
  runs.fold.push(rate(f.ms));
  runs.aggregate.push(rate(g.ms));
  runs.list.push(rate(l.ms));
  runs.foldMb.push(f.heldMb);
  runs.listMb.push(l.heldMb);
  console.log(`round ${r + 1}: fold ${Math.round(rate(f.ms))}/s (${f.heldMb.toFixed(1)} MiB held), aggregate ${Math.round(rate(g.ms))}/s, list ${Math.round(rate(l.ms))}/s (${l.heldMb.toFixed(1)} MiB held), load ${loadavg()[0]!.toFixed(1)}`);
}
const figures = { records: 2 * N, merchants: M, foldRecordsPerSec: Math.round(median(runs.fold)), foldHeldMiB: Number(median(runs.foldMb).toFixed(1)), listRecordsPerSec: Math.round(median(runs.list)), listHeldMiB: Number(median(runs.listMb).toFixed(1)) };
const peer = { aggregateRecordsPerSec: Math.round(median(runs.aggregate)) };
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
console.log(JSON.stringify({ bench: 'business-check', figures, peer, ratio: { foldVsAggregate: Number((figures.foldRecordsPerSec / peer.aggregateRecordsPerSec).toFixed(2)), listHeldVsFold: Number((figures.listHeldMiB / Math.max(0.1, figures.foldHeldMiB)).toFixed(0)) } }));
