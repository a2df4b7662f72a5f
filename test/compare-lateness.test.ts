import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kafkaForTest, uniqueName, waitFor } from './support/kafka.ts';
import { silentLogger } from '../src/logger.ts';
import { createComparison, resolveCompareConfig, type ComparisonReport } from '../src/compare/index.ts';
import { LINEAGE_HEADERS } from '../src/lineage.ts';
import type { KafkaPort, OutgoingRecord } from '../src/kafka/port.ts';
import { BASE, WINDOW } from './compare-support.ts';

/**
 * Watermark lag is wall-clock: the candidate here emits every window DELAY ms after
 * the authoritative job does (as a slow candidate would), or together with it. The
 * records carry their event time in the engine's header; what differs is only when
 * they were written.
 */
const DELAY = 4_000;
const WINDOWS = 4;
const CONFIG = {
  window: '10s',
  allowedLateness: 0,
  minimum: { windows: 2, records: 10 },
  checks: [{ type: 'count' }, { type: 'lateness', maxLagMs: DELAY / 2 }],
};

/** One window's output: 10 keys, stamped with their event time like the embedded engine does. */
function windowRecords(w: number): OutgoingRecord[] {
  return Array.from({ length: 10 }, (_, k) => {
    const eventTime = BASE + w * WINDOW + k * 500;
    return { key: `user-${k}`, value: JSON.stringify({ id: `user-${k}`, amount: k + w }), timestamp: eventTime, headers: { [LINEAGE_HEADERS.eventTime]: String(eventTime) } };
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Writes window after window to `a` and `same` together, and each window to `late`
 * DELAY ms after; `tick` runs while waiting (a live comparison keeps reading).
 */
async function produce(kafka: KafkaPort, a: string, same: string, late: string, tick: () => Promise<void> = async () => undefined): Promise<void> {
  for (let w = 0; w <= WINDOWS; w++) {
    if (w < WINDOWS) {
      await kafka.produce(a, windowRecords(w));
      await kafka.produce(same, windowRecords(w));
    }
    if (w > 0) await kafka.produce(late, windowRecords(w - 1));
    if (w < WINDOWS) {
      const until = Date.now() + DELAY;
      while (Date.now() < until) await Promise.all([tick(), sleep(100)]);
    }
  }
}

const lateness = (r: ComparisonReport) => r.assessment.checks.find((c) => c.type === 'lateness');
const lagSources = (r: ComparisonReport) => [...new Set(r.measurements.filter((m) => m.metric === 'watermark-lag' && m.observed !== null).map((m) => m.detail.emitTime))];

test('lateness on the broker: LogAppendTime topics, bounded read — a candidate emitting each window seconds later fails, one emitting with the authoritative passes', async (t) => {
  const k = kafkaForTest(t);
  const topic = async (prefix: string) => {
    const name = k.trackTopic(uniqueName(prefix));
    await k.kafka.createTopics([{ topic: name, partitions: 2, config: { 'message.timestamp.type': 'LogAppendTime' } }]);
    return name;
  };
  const [a, same, late] = [await topic('lat-a'), await topic('lat-same'), await topic('lat-late')];
  await produce(k.kafka, a, same, late);
  const compare = (b: string) => createComparison({ a: { topic: a }, b: { topic: b }, config: resolveCompareConfig(CONFIG) }, { kafka: k.kafka, logger: silentLogger() }).run();

  const together = await compare(same);
  assert.equal(lateness(together)?.status, 'Successful', JSON.stringify(together.measurements.filter((m) => m.type === 'lateness')));
  assert.deepEqual(lagSources(together), ['log-append-time']);
  assert.equal(together.verdict, 'Successful');

  const slow = await compare(late);
  assert.equal(lateness(slow)?.status, 'Failed', JSON.stringify(slow.measurements.filter((m) => m.type === 'lateness')));
  assert.deepEqual(slow.assessment.checks.filter((c) => c.status === 'Failed').map((c) => c.type), ['lateness'], 'only lateness sees it: same records, same counts');
  assert.ok((slow.watermarkLag?.windows ?? 0) >= 2);
});

test('lateness on the broker: live read of engine-stamped topics (timestamp = event time) — the slow candidate fails through watermark lag, not Inconclusive', async (t) => {
  const k = kafkaForTest(t);
  const [a, same, late] = [await k.topic('live-lat-a', 2), await k.topic('live-lat-same', 2), await k.topic('live-lat-late', 2)];
  const open = (b: string) => createComparison({ a: { topic: a, to: 'follow' }, b: { topic: b, to: 'follow' }, config: resolveCompareConfig(CONFIG) }, { kafka: k.kafka, logger: silentLogger() });
  const together = open(same);
  const slow = open(late);
  t.after(() => Promise.all([together.close(), slow.close()]));
  // Both comparisons keep reading while the records are written, so read time is write time.
  const tick = async () => {
    await Promise.all([together.step({ timeoutMs: 50 }), slow.step({ timeoutMs: 50 })]);
  };
  await produce(k.kafka, a, same, late, tick);
  const judged = (c: typeof together) =>
    waitFor(async () => {
      await c.step({ timeoutMs: 100 });
      const r = c.report();
      return (lateness(r)?.judgedWindows ?? 0) >= 2 ? r : undefined;
    }, { timeoutMs: 30_000, message: 'lateness judged on two windows' });

  const ok = await judged(together);
  assert.equal(lateness(ok)?.status, 'Successful', JSON.stringify(ok.measurements.filter((m) => m.type === 'lateness')));
  assert.deepEqual(lagSources(ok), ['read-time']);
  const bad = await judged(slow);
  assert.equal(lateness(bad)?.status, 'Failed', JSON.stringify(bad.measurements.filter((m) => m.type === 'lateness')));
  assert.deepEqual(lagSources(bad), ['read-time']);
});
