import { test } from 'node:test';
import assert from 'node:assert/strict';
import { translatePartition, translateGroup, type PartitionInput } from './translate.ts';
import type { IncomingRecord } from '../../kafka/port.ts';

/** A record at `offset` caused by input `in:0@src` (or with event time only when src is a string like "t=5"). */
function rec(offset: number, src: number | `t=${number}`, inPart = 0): IncomingRecord {
  const headers: Record<string, Buffer> =
    typeof src === 'number'
      ? { 'pitlane.src.topic': Buffer.from('in'), 'pitlane.src.partition': Buffer.from(String(inPart)), 'pitlane.src.offset': Buffer.from(String(src)), 'pitlane.event-time': Buffer.from(String(src * 10)) }
      : { 'pitlane.event-time': Buffer.from(src.slice(2)) };
  return { topic: 'x', partition: 0, offset, key: null, value: null, headers, timestamp: 0 };
}

const P = (committed: number, source: IncomingRecord[], target: IncomingRecord[], low = 0, high = target.length ? target.at(-1)!.offset + 1 : low): PartitionInput => ({ partition: 0, committed, source, target, targetLow: low, targetHigh: high });

test('translation table', async (t) => {
  // Source outputs for inputs 0..5; the target (a forked candidate) starts at input 2 and emits two outputs for input 3.
  const src = [rec(0, 0), rec(1, 1), rec(2, 2), rec(3, 3), rec(4, 4), rec(5, 5)];
  const tgt = [rec(100, 2), rec(101, 3), rec(102, 3), rec(103, 4), rec(104, 5)];
  const cases: [string, PartitionInput, string][] = [
    ['group at 0 → target start', P(0, src, tgt, 100, 105), 'matched@100 nothing-seen'],
    ['group mid-stream → after the twin of the last seen', P(3, src, tgt, 100, 105), 'matched@101 lineage'],
    ['the group saw one output of input 3: the second output of it on the target is next', P(4, src, tgt, 100, 105), 'matched@102 lineage'],
    ['group at end of topic → target end', P(6, src, tgt, 100, 105), 'matched@105 lineage'],
    ['several outputs per input, group between them', P(3, [rec(0, 1), rec(1, 1), rec(2, 1), rec(3, 2)], [rec(10, 1), rec(11, 1), rec(12, 1), rec(13, 2)]), 'matched@13 lineage'],
    ['target behind what the group saw', P(6, src, tgt.slice(0, 2), 100, 102), 'behind'],
    ['target with fewer outputs (v2 dropped one) still matches by lineage order', P(4, src, [rec(100, 2), rec(101, 4), rec(102, 5)], 100, 103), 'matched@101 lineage'],
    ['no lineage → event time', P(2, [rec(0, 't=5'), rec(1, 't=7'), rec(2, 't=9')], [rec(50, 't=5'), rec(51, 't=7'), rec(52, 't=9')], 50, 53), 'matched@52 event-time'],
    ['event-time ties counted', P(2, [rec(0, 't=5'), rec(1, 't=5'), rec(2, 't=5')], [rec(50, 't=5'), rec(51, 't=5'), rec(52, 't=5'), rec(53, 't=6')], 50, 54), 'matched@52 event-time'],
    ['input partitions interleaved differently → refused', P(2, [rec(0, 1, 0), rec(1, 1, 1)], [rec(10, 1, 1), rec(11, 2, 1), rec(12, 1, 0), rec(13, 3, 0)]), 'refused'],
  ];
  for (const [label, input, want] of cases) {
    await t.test(label, () => {
      const o = translatePartition(input);
      const got = o.kind === 'matched' ? `matched@${o.offset} ${o.by}` : o.kind;
      assert.equal(got, want);
      if (o.kind !== 'matched') assert.ok(o.reason.length > 20, 'a refusal or wait says why');
    });
  }
});

test('translateGroup is complete only when every partition matched', () => {
  const ok = { partition: 0, committed: 0, source: [], target: [], targetLow: 7, targetHigh: 7 };
  const behind = { partition: 1, committed: 1, source: [rec(0, 5)], target: [rec(0, 1)], targetLow: 0, targetHigh: 1 };
  const g = translateGroup('canary', [ok, behind]);
  assert.equal(g.complete, false);
  assert.deepEqual(g.offsets, [{ topic: 'canary', partition: 0, offset: 7 }]);
  assert.equal(translateGroup('canary', [ok]).complete, true);
});
