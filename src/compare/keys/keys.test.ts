import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CompareRecord, Side } from '../../../comparators/types.ts';
import { viewOf } from '../../../comparators/shared/fields.ts';
import { keyHash53 } from '../../../comparators/shared/hash.ts';
import { WindowKeys, keyHashOf } from './buckets.ts';
import { BUCKETS, ValueDigester, bucketOf } from './digest.ts';
import { KeyCollector } from './divergence.ts';

const WINDOW = { start: 0, end: 1000 };
const rec = (key: string | null, value: unknown, eventTime = 1): CompareRecord => ({ key, value, eventTime, timestamp: eventTime, lineage: undefined, schemaId: undefined, fields: viewOf(value), keyHash: key === null ? undefined : keyHash53(key) });

/** A seeded generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Both levels of the search over the same records: bucket checksums, then per-key digests in the differing buckets. */
function search(a: readonly CompareRecord[], b: readonly CompareRecord[], o: { sample?: number; budget?: number; ignore?: string[] } = {}) {
  const digester = new ValueDigester(o.ignore ?? []);
  const w = new WindowKeys(WINDOW, digester);
  for (const r of a) w.add('a', r, undefined);
  for (const r of b) w.add('b', r, undefined);
  const d = w.divergence();
  if (!d) return { buckets: [] as readonly number[], keys: undefined, collector: undefined };
  const collector = new KeyCollector(d.buckets, o.budget ?? 1_000_000, digester);
  let maxHeld = 0;
  for (const [side, rs] of [['a', a], ['b', b]] as const) {
    for (const r of rs) {
      collector.add(side, r);
      maxHeld = Math.max(maxHeld, collector.heldKeys);
    }
  }
  return { buckets: d.buckets, keys: collector.diff(o.sample ?? Number.MAX_SAFE_INTEGER), collector, maxHeld };
}

/** The answer without any of it: per key, the sorted multiset of canonical values. */
function bruteForce(a: readonly CompareRecord[], b: readonly CompareRecord[]) {
  const canon = (v: unknown): string => (v !== null && typeof v === 'object' && !Array.isArray(v) ? JSON.stringify(Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : 1)))) : JSON.stringify(v));
  const group = (rs: readonly CompareRecord[]) => {
    const m = new Map<string | null, string[]>();
    for (const r of rs) m.set(r.key, [...(m.get(r.key) ?? []), canon(r.value)]);
    for (const [k, vs] of m) m.set(k, vs.sort());
    return m;
  };
  const x = group(a);
  const y = group(b);
  const onlyA = [...x.keys()].filter((k) => !y.has(k));
  const onlyB = [...y.keys()].filter((k) => !x.has(k));
  const different = [...x.keys()].filter((k) => y.has(k) && JSON.stringify(x.get(k)) !== JSON.stringify(y.get(k)));
  return { onlyA: onlyA.sort(), onlyB: onlyB.sort(), different: different.sort() };
}

test('diverging keys: on random windows, the bucket search finds exactly what a brute-force diff finds', () => {
  for (let seed = 1; seed <= 12; seed++) {
    const rnd = random(seed);
    const keys = 200 + Math.floor(rnd() * 3000);
    const a: CompareRecord[] = [];
    const b: CompareRecord[] = [];
    for (let k = 0; k < keys; k++) {
      const key = `user-${k}`;
      const records = 1 + Math.floor(rnd() * 3);
      for (let i = 0; i < records; i++) {
        const value = { amount: Math.floor(rnd() * 1000) / 10, region: ['eu', 'us'][k % 2], nested: { n: i, tags: ['x', k % 5] } };
        const r = rnd();
        a.push(rec(key, value));
        if (r < 0.01) continue; // dropped by the candidate
        if (r < 0.02) b.push(rec(key, { ...value, amount: value.amount + 1 })); // a wrong value
        else if (r < 0.025) b.push(rec(key, value), rec(key, value)); // a duplicate
        else if (r < 0.03) b.push(rec(key, { region: value.region, nested: value.nested, amount: value.amount })); // fields in another order: the same value
        else b.push(rec(key, value));
      }
      if (rnd() < 0.01) b.push(rec(`extra-${k}`, { amount: 1 }));
    }
    // The candidate writes its records in another order.
    b.sort(() => rnd() - 0.5);
    const truth = bruteForce(a, b);
    const found = search(a, b);
    const keysOf = (l: readonly { key: string | null }[] | undefined) => (l ?? []).map((e) => e.key);
    assert.deepEqual(keysOf(found.keys?.onlyAuthoritative), truth.onlyA, `seed ${seed}: only in a`);
    assert.deepEqual(keysOf(found.keys?.onlyCandidate), truth.onlyB, `seed ${seed}: only in b`);
    assert.deepEqual(keysOf(found.keys?.different), truth.different, `seed ${seed}: different`);
    assert.equal(found.keys?.truncated ?? 0, 0);
    // Every diverging key lies in a differing bucket, and the search looked at no other bucket.
    const diverging = [...truth.onlyA, ...truth.onlyB, ...truth.different];
    const buckets = new Set(diverging.map((k) => bucketOf(keyHash53(k!))));
    assert.deepEqual([...found.buckets], [...buckets].sort((x, y) => x - y), `seed ${seed}: buckets`);
    assert.ok(found.maxHeld! <= 2 * (keys + 100), 'held at most the keys of the differing buckets');
  }
});

test('diverging keys: equal windows have equal checksums whatever the order of records and fields', () => {
  const a = [rec('k1', { x: 1, y: 'a' }), rec('k2', { x: 2, y: 'b' }), rec('k1', { x: 3, y: 'c' }), rec(null, 5)];
  const b = [rec(null, 5), rec('k1', { y: 'c', x: 3 }), rec('k2', { y: 'b', x: 2 }), rec('k1', { y: 'a', x: 1 })];
  assert.equal(search(a, b).keys, undefined);
});

test('diverging keys: a value differs by type and by nesting, not by number spelling; ignored fields never differ', () => {
  const one = (x: unknown, y: unknown, ignore?: string[]) => search([rec('k', x)], [rec('k', y)], { ignore }).keys?.different.length ?? 0;
  assert.equal(one({ n: 1 }, { n: '1' }), 1);
  assert.equal(one({ n: 1 }, { n: 1.0 }), 0);
  assert.equal(one({ o: { p: { q: { r: 1 } } } }, { o: { p: { q: { r: 2 } } } }), 1, 'deeper than the flattened paths');
  assert.equal(one({ o: { p: { q: { r: 1, s: 2 } } } }, { o: { p: { q: { s: 2, r: 1 } } } }), 0);
  assert.equal(one({ a: [1, 2] }, { a: [2, 1] }), 1);
  assert.equal(one({ n: 1 }, { n: 1, maxTs: 99 }), 1);
  assert.equal(one({ n: 1 }, { n: 1, maxTs: 99 }, ['maxTs']), 0);
  assert.equal(one({ n: 1, meta: { at: 1 } }, { n: 1, meta: { at: 2 } }, ['meta']), 0, 'a parent path ignores its children');
  assert.equal(one(null, {}), 1, 'a tombstone is not an empty object');
});

test('diverging keys: each side shows its last value; record counts when they differ', () => {
  const a = [rec('k', { v: 1 }, 10), rec('k', { v: 2 }, 20), rec('gone', { v: 7 }, 5)];
  const b = [rec('k', { v: 3 }, 20), rec('new', { v: 8 }, 5), rec('new', { v: 9 }, 6)];
  const k = search(a, b).keys!;
  assert.deepEqual(k.different, [{ key: 'k', authoritative: { v: 2 }, candidate: { v: 3 }, records: { authoritative: 2, candidate: 1 } }]);
  assert.deepEqual(k.onlyAuthoritative, [{ key: 'gone', value: { v: 7 } }]);
  assert.deepEqual(k.onlyCandidate, [{ key: 'new', value: { v: 9 }, records: 2 }]);
  assert.equal(k.exact, true);
});

test('diverging keys: thousands of diverging keys are listed up to the sample, the rest counted', () => {
  const a = Array.from({ length: 5000 }, (_, i) => rec(`k${i}`, { v: i }));
  const b = a.map((r, i) => (i < 3000 ? rec(r.key, { v: -i - 1 }) : r)).concat(Array.from({ length: 40 }, (_, i) => rec(`x${i}`, { v: i })));
  const k = search(a, b, { sample: 10 }).keys!;
  assert.equal(k.different.length, 10);
  assert.equal(k.onlyCandidate.length, 10);
  assert.equal(k.onlyAuthoritative.length, 0);
  assert.equal(k.truncated, 3000 - 10 + 40 - 10);
  assert.deepEqual(k.different.map((d) => d.key), ['k0', 'k1', 'k10', 'k100', 'k1000', 'k1001', 'k1002', 'k1003', 'k1004', 'k1005']);
});

test('diverging keys: the keys held stay within the budget; dropped key ranges make the count a lower bound', () => {
  const a = Array.from({ length: 20_000 }, (_, i) => rec(`k${i}`, { v: i }));
  const b = a.map((r, i) => (i % 2 === 0 ? rec(r.key, { v: -i }) : r));
  const budget = 500;
  const found = search(a, b, { sample: 5, budget });
  assert.ok(found.maxHeld! <= budget, `held ${found.maxHeld}`);
  const k = found.keys!;
  assert.equal(k.exact, false);
  assert.equal(k.different.length, 5);
  const examined = BUCKETS - found.collector!.unexamined;
  assert.ok(examined > 0 && found.collector!.unexamined > 0);
  // Every listed key lies in an examined (low) key range; the count never claims more than there are.
  for (const d of k.different) assert.ok(bucketOf(keyHashOf(rec(d.key, null))) < BUCKETS);
  assert.ok(k.truncated + k.different.length <= 10_000, String(k.truncated));
  assert.ok(k.truncated >= found.collector!.unexamined);
});

test('diverging keys: a window keeps fixed-size checksums per side whatever its keys', () => {
  const digester = new ValueDigester();
  const sizeAfter = (n: number) => {
    const w = new WindowKeys(WINDOW, digester);
    for (let i = 0; i < n; i++) w.add('a' as Side, rec(`k${i}`, { v: i }), { partition: 0, first: i, last: i });
    const sides = (w as unknown as { sides: Record<Side, { sums: Uint32Array; counts: Uint32Array; spans: Map<number, unknown> }> }).sides;
    return sides.a.sums.byteLength + sides.a.counts.byteLength + sides.a.spans.size;
  };
  assert.equal(sizeAfter(10), sizeAfter(100_000));
  const w = new WindowKeys(WINDOW, digester);
  w.add('a', rec('k', 1), { partition: 2, first: 10, last: 20 });
  w.add('a', rec('k', 1), { partition: 2, first: 30, last: 40 });
  w.add('a', rec('k', 1), { partition: 0, first: 5, last: 6 });
  assert.deepEqual(w.divergence()?.spans.a, [{ partition: 0, first: 5, last: 6 }, { partition: 2, first: 10, last: 40 }]);
});
