/**
 * Every Kafka compression codec, in every path (issue 16, part 1). For gzip, snappy,
 * lz4 and zstd: a topic written by librdkafka (kcat -z) and one written by Kafka's
 * Java producer are read by both of the port's readers (kafkajs' consumer and the
 * comparator's fetch reader), compared by `pitlane compare` (and by a comparison in
 * a worker thread), and consumed by a job whose sink writes with the same codec;
 * kcat and Kafka's Java consumer read the sink's topic back. Each topic's stored batches are checked to carry
 * the codec, so no path can pass by writing uncompressed. Kafka's Java producer frames
 * snappy the xerial way and librdkafka writes it raw, so both framings are read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kafkaForTest, uniqueName } from './support/kafka.ts';
import { pitlaneCli as cli } from './support/cli.ts';
import { javaConsume, javaProduce, kcatConsume, kcatProduce, recordsByCodec, requireKcat } from './support/producers.ts';
import { runJob, waitForRecords } from './engine-harness.ts';
import { defineJob, openExactlyOnceOutput, type Compression } from '../src/engine/index.ts';
import { createComparison, resolveCompareConfig } from '../src/compare/index.ts';
import { silentLogger } from '../src/logger.ts';
import type { KafkaPort, ReadOptions } from '../src/kafka/port.ts';
import { unpackRecords } from '../src/kafka/record-batches.ts';

const BIN = new URL('../bin/pitlane.mjs', import.meta.url).pathname;
const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const;
const PARTITIONS = 3;
const BASE = Date.UTC(2024, 4, 1, 12, 0, 0);

interface Row {
  id: string;
  amount: number;
  region: string;
  ts: number;
}

/** 600 records over 60 s of event time (six 10 s windows), 40 keys. */
const ROWS: Row[] = Array.from({ length: 600 }, (_, i) => ({ id: `user-${i % 40}`, amount: 10 + ((i * 37) % 90), region: ['eu', 'us', 'apac'][i % 3]!, ts: BASE + i * 100 }));
const LINES = ROWS.map((r) => `${r.id}|${JSON.stringify(r)}`);
const sorted = (lines: readonly string[]) => [...lines].sort();

/** The comparison config: event time from the `ts` field (kcat and the console producer stamp records with the wall clock). */
const CHECKS = {
  window: '10s',
  allowedLateness: 0,
  a: { eventTime: { field: 'ts' } },
  b: { eventTime: { field: 'ts' } },
  minimum: { windows: 3, records: 100 },
  checks: [{ type: 'count' }, { type: 'schema' }, { type: 'null-rate' }, { type: 'key-coverage' }, { type: 'aggregate' }],
};

/** Every record as `key|value`, through one of the port's readers. */
async function readLines(kafka: KafkaPort, options: ReadOptions, packed: boolean): Promise<string[]> {
  const out: string[] = [];
  for await (const b of kafka.read({ ...options, ...(packed ? { pack: { headers: [] } } : {}) })) {
    if (!b.packed) {
      assert.ok(!packed || b.records.length === 0, 'a packed read hands over no record objects');
      for (const r of b.records) out.push(`${r.key?.toString() ?? ''}|${r.value?.toString() ?? ''}`);
      continue;
    }
    assert.equal(b.packed.kind, 'records', 'a packed read over plaintext goes through the fetch reader');
    const p = b.packed;
    const u = unpackRecords(Buffer.from(p.buffer, 0, p.size), p.from!, p.to!, [], p.count);
    const field = (i: number, f: number) => u.bytes.toString('utf8', u.spans[4 * i + 2 * f]!, u.spans[4 * i + 2 * f]! + Math.max(0, u.spans[4 * i + 2 * f + 1]!));
    for (let i = 0; i < u.count; i++) out.push(`${field(i, 0)}|${field(i, 1)}`);
  }
  return out;
}


const enrich = defineJob({
  name: 'codec-enrich',
  version: '1',
  maxParallelism: 8,
  build(env) {
    env
      .fromKafka<Row>({ uid: 'in', topics: env.param('input').split(','), timestamp: { field: 'ts' } })
      .map((r) => ({ ...r, cents: r.amount * 100 }))
      .toKafka({ uid: 'out', topic: env.param('output'), key: (r) => r.id, compression: env.param('compression') as Compression });
  },
});

for (const [i, codec] of CODECS.entries()) {
  test(`${codec}: topics written by kcat and by the Java producer are read, compared and consumed; a ${codec} sink is read back by kcat and the Java consumer`, async (t) => {
    requireKcat();
    const k = kafkaForTest(t);
    const [byKcat, byJava, out, dlq] = [await k.topic(`${codec}-kcat`, PARTITIONS), await k.topic(`${codec}-java`, PARTITIONS), await k.topic(`${codec}-out`, PARTITIONS), await k.topic(`${codec}-dlq`)];
    await kcatProduce(byKcat, codec, LINES);
    await javaProduce(byJava, codec, LINES);
    // librdkafka may send a first record alone, uncompressed (compressing it would not pay).
    const kcatBatches = await recordsByCodec(byKcat, PARTITIONS);
    assert.ok((kcatBatches[codec] ?? 0) >= ROWS.length - 10 && Object.keys(kcatBatches).every((c) => c === codec || c === 'none'), `kcat wrote ${codec} batches: ${JSON.stringify(kcatBatches)}`);
    assert.deepEqual(await recordsByCodec(byJava, PARTITIONS), { [codec]: ROWS.length }, 'the Java producer wrote compressed batches');

    // Both readers of the port: kafkajs' consumer (codecs plugged in) and the fetch reader.
    for (const topic of [byKcat, byJava]) {
      for (const packed of [false, true]) assert.deepEqual(sorted(await readLines(k.kafka, { topics: [topic] }, packed)), sorted(LINES), `${topic}, ${packed ? 'fetch reader' : 'kafkajs consumer'}`);
    }

    // pitlane compare: the Java producer's topic against kcat's.
    const dir = await mkdtemp(join(tmpdir(), `pitlane-codec-${codec}-`));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'checks.json'), JSON.stringify(CHECKS));
    const compared = await cli(['compare', '--a', byJava, '--b', byKcat, '--checks', join(dir, 'checks.json'), '--json']);
    assert.equal(compared.code, 0, compared.stderr + compared.stdout);
    const report = JSON.parse(compared.stdout) as { verdict: string; sides: Record<'a' | 'b', { records: number; undecodable: number }>; windows: unknown[] };
    assert.equal(report.verdict, 'Successful');
    assert.deepEqual([report.sides.a.records, report.sides.a.undecodable, report.sides.b.records, report.sides.b.undecodable], [600, 0, 600, 0]);
    assert.equal(report.windows.length, 6);

    // The same comparison with its checks in a worker thread: the codecs load and inflate there too.
    const inWorker = await createComparison({ a: { topic: byJava }, b: { topic: byKcat }, config: resolveCompareConfig(CHECKS) }, { kafka: k.kafka, logger: silentLogger(), worker: true }).run();
    assert.equal(inWorker.verdict, 'Successful');
    assert.deepEqual([inWorker.sides.a.records, inWorker.sides.b.records], [600, 600]);

    // A job consumes both topics and writes with the codec: at-least-once for gzip and lz4,
    // in transactions (exactly-once) for snappy and zstd.
    const exactlyOnce = i % 2 === 1;
    const output = exactlyOnce ? await openExactlyOnceOutput(k.kafka, uniqueName(`codec-${codec}`)) : undefined;
    await runJob(t, k, enrich, {
      params: { input: `${byKcat},${byJava}`, output: out, compression: codec },
      deadLetterTopic: dlq,
      ...(output ? { output, checkpointIntervalMs: 300 } : {}),
    });
    await waitForRecords(k.kafka, out, 2 * ROWS.length, 60000);
    const expected = ROWS.map((r) => `${r.id}|${JSON.stringify({ ...r, cents: r.amount * 100 })}`);
    assert.deepEqual(sorted(await kcatConsume(out)), sorted([...expected, ...expected]), 'kcat reads the sink back');
    assert.deepEqual(sorted(await javaConsume(out)), sorted([...expected, ...expected]), "Kafka's Java consumer reads the sink back");
    assert.deepEqual(await recordsByCodec(out, PARTITIONS), { [codec]: 2 * ROWS.length }, `the sink wrote ${codec} batches`);
  });
}

test('pitlane compare ends with exit code 3 when a read fails mid-comparison (a topic deleted under a live read)', async (t) => {
  const k = kafkaForTest(t);
  const [a, b] = [await k.topic('fail-a'), await k.topic('fail-b')];
  for (const topic of [a, b]) await k.kafka.produce(topic, ROWS.slice(0, 50).map((r) => ({ key: r.id, value: JSON.stringify(r) })));
  const dir = await mkdtemp(join(tmpdir(), 'pitlane-codec-fail-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'checks.json'), JSON.stringify(CHECKS));
  const child = spawn(process.execPath, [BIN, 'compare', '--a', a, '--b', b, '--to', 'follow', '--checks', join(dir, 'checks.json'), '--log-level', 'debug'], { env: process.env });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  const planned = new Set<string>();
  let bothPlanned!: () => void;
  const reading = new Promise<void>((resolve) => (bothPlanned = resolve));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    for (const line of stderr.split('\n')) {
      if (!line.includes('packed read planned')) continue;
      for (const topic of [a, b]) if (line.includes(topic)) planned.add(topic);
    }
    if (planned.size === 2) bothPlanned();
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  await Promise.race([reading, exited]);
  assert.equal(planned.size, 2, `both reads began before the topic goes: ${stderr}`);
  await k.kafka.deleteTopics([b]);
  // The command cannot end by itself (--to follow): it ends because the read failed, or the test times out.
  const code = await exited;
  assert.equal(code, 3, stderr);
  assert.match(stderr, new RegExp(`KAFKA_[A-Z_]+.*${b}`));
});
