import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingRecord, PartitionWatermarks } from '../../kafka/port.ts';
import { BoundedTranslator, type CutoverReads } from './bounded.ts';
import { translatePartition, type PartitionOutcome } from './translate.ts';

/** A log entry: a data record, or (record undefined) a transaction marker or an aborted record, which only the time index sees. */
interface Entry {
  readonly offset: number;
  readonly timestamp: number;
  readonly record?: IncomingRecord;
}

/** The narrow port over in-memory one-partition topics, with Kafka's time-index semantics; it counts what it hands out. */
class FakeReads implements CutoverReads {
  read = 0;
  constructor(private readonly topics: Record<string, { low: number; entries: Entry[] }>) {}
  private log(topic: string) {
    return this.topics[topic]!;
  }
  high(topic: string): number {
    const t = this.log(topic);
    return t.entries.length ? t.entries.at(-1)!.offset + 1 : t.low;
  }
  async watermarks(topic: string): Promise<PartitionWatermarks[]> {
    return [{ partition: 0, low: this.log(topic).low, high: this.high(topic) }];
  }
  async offsetsForTimestamp(topic: string, ts: number) {
    const e = this.log(topic).entries.find((x) => x.offset >= this.log(topic).low && x.timestamp >= ts);
    return [{ topic, partition: 0, offset: e ? e.offset : this.high(topic) }];
  }
  async readRange(topic: string, _p: number, from: number, to: number) {
    const { entries, low } = this.log(topic);
    let lo = 0;
    for (let hi = entries.length; lo < hi; ) {
      const mid = (lo + hi) >> 1;
      if (entries[mid]!.offset < Math.max(from, low)) lo = mid + 1;
      else hi = mid;
    }
    const out: IncomingRecord[] = [];
    for (let i = lo; i < entries.length && entries[i]!.offset < to; i++) if (entries[i]!.record) out.push(entries[i]!.record!);
    this.read += out.length;
    return out;
  }
}

/** A record at `offset` caused by input `in:<inPart>@src` with event time src*10 (timestamp too), or with event time only ("t=5"). */
function rec(topic: string, offset: number, src: number | `t=${number}`, inPart = 0): IncomingRecord {
  const headers: Record<string, Buffer> =
    typeof src === 'number'
      ? { 'pitlane.src.topic': Buffer.from('in'), 'pitlane.src.partition': Buffer.from(String(inPart)), 'pitlane.src.offset': Buffer.from(String(src)), 'pitlane.event-time': Buffer.from(String(src * 10)) }
      : { 'pitlane.event-time': Buffer.from(src.slice(2)) };
  const timestamp = typeof src === 'number' ? src * 10 : Number(src.slice(2));
  return { topic, partition: 0, offset, key: null, value: null, headers, timestamp };
}

const entries = (records: readonly IncomingRecord[]): Entry[] => records.map((r) => ({ offset: r.offset, timestamp: r.timestamp, record: r }));

async function bounded(src: Entry[], tgt: Entry[], committed: number, opts = { window: 2, widenings: 8 }, lows = { src: 0, tgt: 0 }) {
  const reads = new FakeReads({ src: { low: lows.src, entries: src }, tgt: { low: lows.tgt, entries: tgt } });
  const [s] = await reads.watermarks('src');
  const [t] = await reads.watermarks('tgt');
  const r = await new BoundedTranslator(reads, opts).translate('src', 'tgt', 0, committed, s!, t!);
  return { ...r, read: reads.read };
}

/** What the full translation (both partitions read whole) says. */
function full(src: Entry[], tgt: Entry[], committed: number, lows = { src: 0, tgt: 0 }): PartitionOutcome {
  const target = tgt.filter((e) => e.record && e.offset >= lows.tgt).map((e) => e.record!);
  const high = tgt.length ? tgt.at(-1)!.offset + 1 : lows.tgt;
  return translatePartition({ partition: 0, committed, source: src.filter((e) => e.record && e.offset >= lows.src).map((e) => e.record!), target, targetLow: lows.tgt, targetHigh: high });
}

const show = (o: PartitionOutcome) => (o.kind === 'matched' ? `matched@${o.offset} ${o.by}` : o.kind);

test('the translation table of translate.test.ts gives the same outcomes with windows of 2 records', async (t) => {
  const S = (xs: (number | `t=${number}`)[], base = 0, part: number[] = []) => xs.map((x, i) => rec('src', base + i, x, part[i] ?? 0));
  const T = (xs: (number | `t=${number}`)[], base: number, part: number[] = []) => xs.map((x, i) => rec('tgt', base + i, x, part[i] ?? 0));
  const src = S([0, 1, 2, 3, 4, 5]);
  const tgt = T([2, 3, 3, 4, 5], 100);
  const cases: [string, IncomingRecord[], IncomingRecord[], number, number, string][] = [
    ['group at 0 → target start', src, tgt, 0, 100, 'matched@100 nothing-seen'],
    ['group mid-stream', src, tgt, 3, 100, 'matched@101 lineage'],
    ['one of two outputs of an input seen', src, tgt, 4, 100, 'matched@102 lineage'],
    ['group at end of topic → target end', src, tgt, 6, 100, 'matched@105 lineage'],
    ['several outputs per input', S([1, 1, 1, 2]), T([1, 1, 1, 2], 10), 3, 10, 'matched@13 lineage'],
    ['target behind', src, tgt.slice(0, 2), 6, 100, 'behind'],
    ['target dropped one', src, T([2, 4, 5], 100), 4, 100, 'matched@101 lineage'],
    ['no lineage → event time', S(['t=5', 't=7', 't=9']), T(['t=5', 't=7', 't=9'], 50), 2, 50, 'matched@52 event-time'],
    ['event-time ties counted', S(['t=5', 't=5', 't=5']), T(['t=5', 't=5', 't=5', 't=6'], 50), 2, 50, 'matched@52 event-time'],
    ['input partitions interleaved differently → refused', S([1, 1], 0, [0, 1]), T([1, 2, 1, 3], 10, [1, 1, 0, 0]), 2, 10, 'refused'],
  ];
  for (const [label, s, tg, committed, low, want] of cases) {
    await t.test(label, async () => {
      const lows = { src: 0, tgt: low };
      assert.equal(show(full(entries(s), entries(tg), committed, lows)), want, 'the full translation agrees with translate.test.ts');
      assert.equal(show((await bounded(entries(s), entries(tg), committed, { window: 2, widenings: 8 }, lows)).outcome), want);
    });
  }
});

/**
 * Two jobs over three input partitions feeding one output partition, each writing
 * an input partition's outputs in input order but interleaving the partitions its
 * own way within a batch; the candidate forked at input 20 and drops or doubles
 * some outputs; optional transaction markers after every batch; equal timestamps.
 */
function jobs(seed: number, opts: { markers: boolean; lineage: boolean; inputs: number }) {
  let x = seed;
  const rnd = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const write = (topic: string, firstInput: number, vary: boolean): Entry[] => {
    const out: Entry[] = [];
    let offset = 0;
    for (let base = firstInput; base < opts.inputs; base += 4) {
      // A batch: inputs base..base+3 of each of the 3 input partitions, in one order per job.
      const batch: [number, number][] = [];
      for (let i = base; i < Math.min(base + 4, opts.inputs); i++) for (let p = 0; p < 3; p++) batch.push([p, i]);
      if (vary) batch.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      for (const [p, i] of batch) {
        const copies = vary && rnd() < 0.1 ? 0 : vary && rnd() < 0.1 ? 2 : 1;
        for (let c = 0; c < copies; c++) {
          const ts = 1000 + Math.floor(i / 2) * 10; // two inputs share a timestamp
          const headers: Record<string, Buffer> = { 'pitlane.event-time': Buffer.from(String(ts)) };
          if (opts.lineage) Object.assign(headers, { 'pitlane.src.topic': Buffer.from('in'), 'pitlane.src.partition': Buffer.from(String(p)), 'pitlane.src.offset': Buffer.from(String(i)) });
          out.push({ offset, timestamp: ts, record: { topic, partition: 0, offset, key: Buffer.from(`k${p}`), value: null, headers, timestamp: ts } });
          offset++;
        }
      }
      if (opts.markers) out.push({ offset: offset++, timestamp: 5000 + base }); // a commit marker, stamped later than the data
    }
    return out;
  };
  return { src: write('src', 0, false), tgt: write('tgt', 20, true) };
}

test('on generated topics the bounded translation gives the full translation’s offset at every committed position, or refuses', async () => {
  let compared = 0;
  let refusedOnly = 0;
  for (const [seed, markers, lineage] of [
    [1, false, true],
    [2, true, true],
    [3, true, false],
    [4, false, false],
  ] as const) {
    const { src, tgt } = jobs(seed, { markers, lineage, inputs: 120 });
    const high = src.at(-1)!.offset + 1;
    for (let committed = 0; committed <= high; committed++) {
      const want = full(src, tgt, committed);
      const got = (await bounded(src, tgt, committed, { window: 16, widenings: 8 })).outcome;
      if (got.kind === 'refused' && want.kind !== 'refused') {
        refusedOnly++;
        continue;
      }
      assert.equal(show(got), show(want), `seed ${seed} markers ${markers} lineage ${lineage} committed ${committed}`);
      compared++;
    }
  }
  assert.ok(compared > 1000, `compared ${compared}`);
  assert.equal(refusedOnly, 0, 'these topics are within the widest window: nothing is refused that the full translation matches');
});

test('a long topic is translated from a few windows: the same offset, records read bounded', async () => {
  const n = 60_000;
  const src = entries(Array.from({ length: n }, (_, i) => rec('src', i, i)));
  const tgt = entries(Array.from({ length: n - 5000 }, (_, j) => rec('tgt', j, j + 5000)));
  for (const committed of [0, 1, 5000, 5001, 23_456, n - 1, n]) {
    const r = await bounded(src, tgt, committed, { window: 1000, widenings: 6 });
    assert.equal(show(r.outcome), show(full(src, tgt, committed)), `committed ${committed}`);
    assert.ok(r.read <= 3000, `committed ${committed}: read ${r.read} records, a full scan reads ${2 * n - 5000}`);
    assert.equal(r.recordsRead, r.read, 'the translator counts what it read');
  }
  const at = await bounded(src, tgt, 23_456, { window: 1000, widenings: 6 });
  assert.equal(at.lastSeen?.offset, 23_455);
  assert.equal(at.matched?.offset, 23_455 - 5000, 'the twin of the last record seen');
  assert.equal(at.lookups, 1);
});

test('a transactional target whose commit markers are stamped later than its event times: found by searching on lineage', async () => {
  // Every 100 records a commit marker with the broker's (later) clock: the time index answers the first marker for any event time.
  const n = 60_000;
  const withMarkers = (topic: string, first: number): Entry[] => {
    const out: Entry[] = [];
    let offset = 0;
    for (let i = first; i < n; i++) {
      const r = rec(topic, offset++, i);
      out.push({ offset: r.offset, timestamp: r.timestamp, record: r });
      if (i % 100 === 99) out.push({ offset: offset++, timestamp: 10 ** 13 });
    }
    return out;
  };
  const src = withMarkers('src', 0);
  const tgt = withMarkers('tgt', 5000);
  for (const committed of [30_000, src.length]) {
    const r = await bounded(src, tgt, committed, { window: 1000, widenings: 6 });
    assert.equal(show(r.outcome), show(full(src, tgt, committed)), `committed ${committed}`);
    assert.ok(r.read <= 4000, `committed ${committed}: read ${r.read} records of ${2 * n}`);
  }
});

test('no match within the widest window: refused, naming the partition and the committed offset', async () => {
  // The target's records have unrelated timestamps (the index points far from the twin) and lineage from another input partition first.
  const n = 50_000;
  const src = entries(Array.from({ length: n }, (_, i) => rec('src', i, i)));
  const tgt = entries(Array.from({ length: n }, (_, j) => ({ ...rec('tgt', j, j, j < 40_000 ? 1 : 0), timestamp: 7 })));
  const r = await bounded(src, tgt, 45_000, { window: 100, widenings: 3 });
  assert.equal(r.outcome.kind, 'refused');
  assert.match((r.outcome as { reason: string }).reason, /partition 0 at committed offset 45000/);
  assert.ok(r.read < 5000, `bounded even when refusing: read ${r.read}`);
});

test('event time with a header that differs from the record timestamp cannot use the time index: refused past the window', async () => {
  const src = Array.from({ length: 500 }, (_, i) => ({ ...rec('src', i, `t=${i}`), timestamp: 0 }));
  const tgt = Array.from({ length: 500 }, (_, i) => ({ ...rec('tgt', i, `t=${i}`), timestamp: 0 }));
  const r = await bounded(entries(src), entries(tgt), 300, { window: 10, widenings: 2 });
  assert.equal(r.outcome.kind, 'refused');
  assert.match((r.outcome as { reason: string }).reason, /event-time header/);
  // A topic within the widest window still gets the full translation's answer.
  const small = await bounded(entries(src.slice(0, 30)), entries(tgt.slice(0, 30)), 20, { window: 10, widenings: 2 });
  assert.equal(show(small.outcome), show(full(entries(src.slice(0, 30)), entries(tgt.slice(0, 30)), 20)));
});

test('edges: empty partitions, retention past the commit, committed beyond what is committed to the log', async () => {
  const src = entries(Array.from({ length: 50 }, (_, i) => rec('src', i, i)));
  const tgt = entries(Array.from({ length: 50 }, (_, i) => rec('tgt', i, i)));
  assert.equal(show((await bounded([], tgt, 0)).outcome), 'matched@0 nothing-seen', 'empty source');
  assert.equal(show((await bounded(src, [], 10)).outcome), 'behind', 'empty target');
  assert.equal(show((await bounded(src, tgt, 10, undefined, { src: 20, tgt: 0 })).outcome), 'matched@0 nothing-seen', 'the records the group read were deleted');
  assert.equal(show((await bounded(src, tgt, 10, undefined, { src: 0, tgt: 5 })).outcome), show(full(src, tgt, 10, { src: 0, tgt: 5 })));
  // Only markers before the commit: nothing was seen.
  const markers: Entry[] = [{ offset: 0, timestamp: 1 }, { offset: 1, timestamp: 2 }, ...src.slice(2)];
  assert.equal(show((await bounded(markers, tgt, 2)).outcome), 'matched@0 nothing-seen');
});
