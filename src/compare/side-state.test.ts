import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SideState } from './side-state.ts';
import type { CompareRecord } from '../../comparators/types.ts';
import type { RecordBatch } from '../kafka/port.ts';
import { packBatch } from './packed.ts';

const W = 1000;
const side = (live: boolean, lateness = 0) =>
  new SideState({ label: 'b', topic: 't', settings: { format: 'json', eventTime: 'auto', key: 'record', subject: undefined }, allowedLateness: lateness, maxUndecodable: 0, idleTimeout: 60_000, windowSize: W, live });

const rec = (eventTime: number, timestamp = eventTime): CompareRecord => ({ key: 'k', value: {}, eventTime, timestamp, lineage: undefined, schemaId: undefined });

/** One batch: partition, records as [eventTime, timestamp?], read at `now`. */
type Step = { p: number; rs: ([number] | [number, number])[]; now?: number; type?: RecordBatch['timestampType'] };

const cases: {
  name: string;
  live?: boolean;
  partitions: number[];
  steps: Step[];
  emitTime: string | null;
  passed: [end: number, at: number | undefined][];
  late?: number;
}[] = [
  {
    name: 'bounded, timestamps equal to event times: no emit time, no passage',
    partitions: [0],
    steps: [{ p: 0, rs: [[100], [1500], [2500]] }],
    emitTime: null,
    passed: [[1000, undefined], [2000, undefined]],
  },
  {
    name: 'bounded, producer timestamps: an end is passed at the first record beyond it',
    partitions: [0],
    steps: [{ p: 0, rs: [[100, 300], [900, 1100], [1500, 1700], [1200, 1900], [2100, 2600]] }],
    emitTime: 'record-timestamp',
    passed: [[1000, 1700], [2000, 2600], [3000, undefined]],
  },
  {
    name: 'the side passes an end when its last partition does, whatever order the partitions were read in',
    partitions: [0, 1],
    steps: [
      { p: 1, rs: [[500, 600], [1200, 4000]] },
      { p: 0, rs: [[400, 450], [1100, 1150], [2200, 2300]] },
      { p: 1, rs: [[2500, 5000]] },
    ],
    emitTime: 'record-timestamp',
    passed: [[1000, 4000], [2000, 5000]],
  },
  {
    name: 'bounded: a partition that never passed an end leaves it unknown',
    partitions: [0, 1],
    steps: [{ p: 0, rs: [[100, 200], [1100, 1200]] }, { p: 1, rs: [[300, 400]] }],
    emitTime: 'record-timestamp',
    passed: [[1000, undefined]],
  },
  {
    name: 'LogAppendTime batches: the broker clock, even when timestamps look like event times',
    partitions: [0],
    steps: [{ p: 0, rs: [[100], [1200]], type: 'LogAppendTime' }],
    emitTime: 'log-append-time',
    passed: [[1000, 1200]],
  },
  {
    name: 'live, timestamps equal to event times: the time the record was read',
    live: true,
    partitions: [0],
    steps: [{ p: 0, rs: [[100], [900]], now: 50_000 }, { p: 0, rs: [[1300]], now: 57_000 }],
    emitTime: 'read-time',
    passed: [[1000, 57_000], [2000, undefined]],
  },
  {
    name: 'late records: behind their partition watermark past their window, not reordered inside one',
    partitions: [0],
    steps: [{ p: 0, rs: [[1500, 1600], [1100, 1700], [200, 1800], [2500, 2600], [1900, 2700]] }],
    emitTime: 'record-timestamp',
    passed: [[1000, 1600]],
    late: 2,
  },
];

for (const c of cases) {
  test(`side state: ${c.name}`, () => {
    const s = side(c.live ?? false);
    s.expect(c.partitions, 0);
    for (const step of c.steps) {
      const records = step.rs.map(([et, ts]) => rec(et, ts));
      s.observeBatch({ partition: step.p, timestampType: step.type ?? 'CreateTime' }, records, step.now ?? 0);
      s.advance(step.now ?? 0);
    }
    assert.equal(s.stats.emitTime, c.emitTime);
    assert.deepEqual(c.passed.map(([end]) => [end, s.passedAt(end)]), c.passed);
    if (c.late !== undefined) assert.equal(s.stats.late, c.late);
  });
}

test('side state: the watermark is the slowest partition minus the allowed lateness', () => {
  const s = side(false, 100);
  s.expect([0, 1], 0);
  s.observeBatch({ partition: 0 }, [rec(5000)], 0);
  s.advance(0);
  assert.equal(s.effectiveWatermark(), -Infinity, 'waits for every partition that has records');
  s.observeBatch({ partition: 1 }, [rec(3000)], 0);
  s.advance(0);
  assert.equal(s.effectiveWatermark(), 2900);
  s.done = true;
  assert.equal(s.effectiveWatermark(), Infinity);
});

test('an event-time floor skips earlier records, whether the batch is records or packed, and they are not counted', async () => {
  const floorSide = new SideState({ label: 'b', topic: 't', settings: { format: 'json', eventTime: 'auto', key: 'record', subject: undefined }, allowedLateness: 0, maxUndecodable: 0, idleTimeout: 60_000, windowSize: W, live: false, eventTimeFloor: 2000 });
  const incoming = [500, 1999, 2000, 3500].map((t, i) => ({ topic: 't', partition: 0, offset: i, key: Buffer.from('k'), value: Buffer.from('{"a":1}'), headers: {}, timestamp: t }));
  const batch: RecordBatch = { topic: 't', partition: 0, records: incoming, highWatermark: 4, timestampType: 'CreateTime' };
  const fromRecords = await floorSide.decode(batch, undefined);
  const fromPacked = floorSide.decodePacked(packBatch(batch, floorSide.headers));
  for (const got of [fromRecords, fromPacked]) assert.deepEqual(got.map((r) => r.eventTime), [2000, 3500]);
});

test('an input floor skips the output of input before the fork by its lineage, records or packed; a record without lineage is kept', async () => {
  const lineage = (partition: number, offset: number) => ({ 'pitlane.src.topic': Buffer.from('in'), 'pitlane.src.partition': Buffer.from(String(partition)), 'pitlane.src.offset': Buffer.from(String(offset)) });
  const incoming = [
    { headers: lineage(0, 9), timestamp: 100 }, // before the fork on input partition 0
    { headers: lineage(0, 10), timestamp: 101 }, // the first after it
    { headers: lineage(1, 3), timestamp: 102 }, // before the fork on partition 1
    { headers: lineage(1, 4), timestamp: 103 },
    { headers: lineage(2, 0), timestamp: 104 }, // a partition the savepoint does not name: kept
    { headers: {}, timestamp: 99 }, // no lineage: kept
    { headers: {}, timestamp: 105 },
  ].map((r, i) => ({ topic: 't', partition: 0, offset: i, key: Buffer.from('k'), value: Buffer.from('{"a":1}'), ...r }));
  const batch: RecordBatch = { topic: 't', partition: 0, records: incoming, highWatermark: incoming.length, timestampType: 'CreateTime' };
  const offsets = [{ topic: 'in', partition: 0, offset: 10 }, { topic: 'in', partition: 1, offset: 4 }];
  const s = new SideState({ label: 'a', topic: 't', settings: { format: 'json', eventTime: 'auto', key: 'record', subject: undefined }, allowedLateness: 0, maxUndecodable: 0, idleTimeout: 60_000, windowSize: W, live: false, inputFloor: { offsets } });
  const want = [101, 103, 104, 99, 105];
  assert.deepEqual((await s.decode(batch, undefined)).map((r) => r.timestamp), want);
  assert.deepEqual(s.decodePacked(packBatch(batch, s.headers)).map((r) => r.timestamp), want);
});
