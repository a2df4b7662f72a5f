import { test } from 'node:test';
import assert from 'node:assert/strict';
import { workerProcessor, workerEligible } from './worker-processor.ts';
import { localProcessor, type Processor, type ProcessorSetup, type SideSetup } from './processor.ts';
import { loadCompareConfig, resolveCompareConfig } from './config.ts';
import { LINEAGE_HEADERS } from '../lineage.ts';
import { isPitlaneError } from '../errors.ts';
import type { IncomingRecord, RecordBatch } from '../kafka/port.ts';

const config = resolveCompareConfig({ window: 1000, allowedLateness: 0, maxUndecodable: 2, minimum: { windows: 1, records: 1 } });

function setup(over: Partial<ProcessorSetup> = {}): ProcessorSetup {
  const side = (label: 'a' | 'b'): SideSetup => ({ label, topic: `t-${label}`, settings: config.a, allowedLateness: 0, maxUndecodable: 2, idleTimeout: 60_000, windowSize: 1000, live: false, expected: [0], openedAt: 0 });
  return { config, a: side('a'), b: side('b'), ...over };
}

const rec = (offset: number, value: string, eventTime: number): IncomingRecord => ({
  topic: 't',
  partition: 0,
  offset,
  key: Buffer.from(`k${offset % 7}`),
  value: Buffer.from(value),
  headers: { [LINEAGE_HEADERS.eventTime]: Buffer.from(String(eventTime)) },
  timestamp: eventTime + 50,
});
const batch = (records: IncomingRecord[]): RecordBatch => ({ topic: 't', partition: 0, records, highWatermark: 100 });
const rows = (shift: number) => Array.from({ length: 40 }, (_, i) => rec(i, JSON.stringify({ n: i + shift, s: 'x' }), i * 100));

async function feed(p: Processor): Promise<unknown> {
  await p.ingest('a', batch(rows(0)), 1);
  await p.ingest('b', batch(rows(0.5)), 2);
  await p.end('a');
  await p.end('b');
  await p.finish();
  await p.flush();
  const r = p.results();
  return { measurements: r.measurements, windows: r.windows, stats: [p.stats('a'), p.stats('b')] };
}

test('worker processor: the same measurements, windows and side stats as in one thread', async () => {
  const w = await workerProcessor(setup());
  try {
    assert.deepEqual(await feed(w), await feed(localProcessor(setup())));
    assert.equal(w.watermark('a'), Infinity);
  } finally {
    await w.close();
  }
});

test('worker processor: an error in the worker (too many undecodable records) reaches the caller as the same ComparisonError', async () => {
  const w = await workerProcessor(setup());
  try {
    await w.ingest('a', batch([rec(0, '{', 0), rec(1, 'nope', 1), rec(2, '{"x":', 2)]), 0);
    await assert.rejects(w.flush(), (e) => isPitlaneError(e) && e.code === 'COMPARE_UNDECODABLE' && /t-a/.test(e.message));
  } finally {
    await w.close();
  }
});

test('worker processor: only for JSON sides whose config can be resolved again', () => {
  assert.equal(workerEligible(setup()), true);
  assert.equal(workerEligible(setup({ b: { ...setup().b, settings: { ...config.b, format: 'avro' } } })), false);
  assert.equal(workerEligible(setup({ config: { ...config, input: undefined } })), false);
});

test('worker processor: a custom check runs in the worker, loaded there from its module, with the same measurements as in one thread', async () => {
  const example = new URL('../../examples/checks/revenue-per-merchant.ts', import.meta.url).pathname;
  const custom = await loadCompareConfig({ window: 1000, allowedLateness: 0, minimum: { windows: 1, records: 1 }, checks: [{ type: 'count' }, { type: 'custom', module: example, options: { merchant: 's', amount: 'n' } }] });
  const w = await workerProcessor(setup({ config: custom }));
  try {
    const inWorker = (await feed(w)) as { measurements: { check: string; status: string }[] };
    assert.deepEqual(inWorker, await feed(localProcessor(setup({ config: custom }))));
    assert.deepEqual([...new Set(inWorker.measurements.map((m) => `${m.check}:${m.status}`))].sort(), ['count:Successful', 'revenue-per-merchant:Failed', 'revenue-per-merchant:Successful'], 'n + 0.5 is beyond 5% in the first windows only');
  } finally {
    await w.close();
  }
});
