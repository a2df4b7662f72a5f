/**
 * bench:cutover — moving a downstream consumer group from the authoritative topic
 * to the canary topic (issue 16: ≤ 1 s with 10,000,000 records in each topic, and
 * with 100,000). Per size N, two topics of 3 partitions: the "authoritative" output
 * with one record per input 0..N-1 (lineage headers in:0@i, key k<i % 100000>), and
 * the "canary" output of a candidate forked at input N/10 (inputs N/10..N-1, the
 * same keys, so a record and its twin share a partition). Written by Kafka's own
 * Java producer (its console producer: per-record headers, lz4, batched) — the
 * fastest producer at hand that writes per-record headers; kcat writes only fixed
 * ones. Its timestamps are the producer's clock, so a record and its twin do not
 * share one: the time index cannot place the window, and the translation finds it
 * by its search on lineage (the slower path).
 *
 * The group has read half of each partition. Figures, medians of 5 runs:
 * - bounded: the cutover of the group as the orchestrator runs it (the group is
 *   empty, translation, commit of the offsets; the commits on the canary are reset
 *   before each run so each one sets them); translate: the translation alone (plan);
 * - lookup: the raw offset-by-timestamp lookup (ListOffsets by timestamp) of the canary;
 * - fullScan (the peer): the translation this replaced — both topics read whole
 *   into memory, then translateGroup — at N when it fits (default: up to 1,000,000
 *   records each), else the reason, from the memory it took at the smaller size.
 * Uses KAFKA_BROKERS when set, else starts the local dev broker. Topics and the
 * group are deleted at the end.
 *   BENCH_CUTOVER_SIZES (default 100000,10000000), BENCH_CUTOVER_RUNS (default 5),
 *   BENCH_CUTOVER_FULL_MAX (default 1000000)
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { cpus, loadavg, totalmem } from 'node:os';
import { resolveConnection } from '../src/config/connection.ts';
import { createKafkaClients } from '../src/kafka/index.ts';
import type { IncomingRecord, KafkaPort } from '../src/kafka/port.ts';
import { silentLogger } from '../src/logger.ts';
import { systemClock } from '../src/clock.ts';
import { KafkaCutover } from '../src/orchestrator/cutover/kafka-cutover.ts';
import { translateGroup } from '../src/orchestrator/cutover/translate.ts';
import { ensureKafkaJars } from '../src/dev/kafka-broker.ts';
import { cacheRoot } from '../src/dev/paths.ts';
import { withBroker, onInterrupt } from './broker.ts';

const SIZES = (process.env.BENCH_CUTOVER_SIZES ?? '100000,10000000').split(',').map(Number);
const RUNS = Number(process.env.BENCH_CUTOVER_RUNS ?? 5);
const FULL_MAX = Number(process.env.BENCH_CUTOVER_FULL_MAX ?? 1_000_000);
const PARTITIONS = 3;
const say = (s: string) => process.stderr.write(`${s}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (t0: number) => Math.round((performance.now() - t0) * 10) / 10;

/** Inputs [first, n) as console-producer lines: headers, key, value. */
async function produce(brokers: string, topic: string, first: number, n: number): Promise<void> {
  const jars = await ensureKafkaJars(cacheRoot());
  await new Promise<void>((resolve, reject) => {
    const java = spawn('java', ['-Xmx512m', '-cp', join(jars.dir, '*'), 'kafka.tools.ConsoleProducer', '--bootstrap-server', brokers, '--topic', topic, '--property', 'parse.key=true', '--property', 'parse.headers=true', '--property', 'key.separator=|', '--producer-property', 'compression.type=lz4', '--producer-property', 'linger.ms=50', '--producer-property', 'batch.size=1000000', '--producer-property', 'acks=1'], { stdio: ['pipe', 'ignore', 'inherit'] });
    java.on('error', reject);
    java.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`the console producer exited ${code}`))));
    let i = first;
    const write = () => {
      while (i < n) {
        let chunk = '';
        for (const end = Math.min(n, i + 10_000); i < end; i++) chunk += `pitlane.src.topic:in,pitlane.src.partition:0,pitlane.src.offset:${i}\tk${i % 100_000}|v${i}\n`;
        if (!java.stdin.write(chunk)) return void java.stdin.once('drain', write);
      }
      java.stdin.end();
    };
    write();
  });
}

/** The replaced translation: both topics read whole into memory, then translateGroup. */
async function fullScan(kafka: KafkaPort, group: string, from: string, to: string): Promise<{ offsets: number[]; heapMb: number }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const readAll = async (topic: string) => {
    const byPartition = new Map<number, IncomingRecord[]>();
    for await (const batch of kafka.read({ topics: [topic], from: 'earliest', to: 'end', isolation: 'read_committed' })) {
      const list = byPartition.get(batch.partition) ?? [];
      for (const r of batch.records) list.push(r);
      byPartition.set(batch.partition, list);
    }
    return byPartition;
  };
  const committed = await kafka.groupOffsets(group, from);
  const source = await readAll(from);
  const [target, marks] = await Promise.all([readAll(to), kafka.watermarks(to)]);
  gc?.(); // what stays is what the scan holds: both topics' records
  const heapMb = Math.round((process.memoryUsage().heapUsed - heap0) / 2 ** 20);
  const t = translateGroup(to, marks.map((m) => ({ partition: m.partition, committed: committed.find((c) => c.partition === m.partition)?.offset ?? 0, source: source.get(m.partition) ?? [], target: target.get(m.partition) ?? [], targetLow: m.low, targetHigh: m.high })));
  return { offsets: t.offsets.map((o) => o.offset), heapMb };
}

async function main(brokers: string): Promise<void> {
  const { kafka } = createKafkaClients(resolveConnection({ env: { ...process.env, KAFKA_BROKERS: brokers } }), silentLogger());
  const stamp = Date.now().toString(36);
  const topics: string[] = [];
  const groups: string[] = [];
  const cleanup = async () => {
    await kafka.deleteGroups(groups).catch(() => undefined);
    await kafka.deleteTopics(topics).catch(() => undefined);
  };
  const forget = onInterrupt(cleanup);
  const figures: Record<string, unknown> = {};
  const peer: Record<string, unknown> = {};
  const ratio: Record<string, unknown> = {};
  let heapPerRecord: number | undefined;
  try {
    for (const n of SIZES) {
      const auth = `pitlane-bench-cutover-auth-${n}-${stamp}`;
      const canary = `pitlane-bench-cutover-canary-${n}-${stamp}`;
      const group = `pitlane-bench-cutover-group-${n}-${stamp}`;
      topics.push(auth, canary);
      groups.push(group);
      await kafka.createTopics([auth, canary].map((topic) => ({ topic, partitions: PARTITIONS, config: { 'retention.ms': '-1' } })));
      let t0 = performance.now();
      await Promise.all([produce(brokers, auth, 0, n), produce(brokers, canary, n / 10, n)]);
      say(`N=${n}: wrote ${n} + ${n - n / 10} records in ${Math.round(ms(t0) / 1000)} s`);
      const marks = await kafka.watermarks(auth);
      await kafka.setGroupOffsets(group, marks.map((m) => ({ topic: auth, partition: m.partition, offset: Math.floor((m.low + m.high) / 2) })));
      const canaryLow = (await kafka.watermarks(canary)).map((m) => ({ topic: canary, partition: m.partition, offset: m.low }));

      const cutover = new KafkaCutover(kafka, systemClock, silentLogger());
      const bounded: number[] = [];
      let plan = await cutover.plan(group, auth, canary);
      for (let r = 0; r < RUNS; r++) {
        await kafka.setGroupOffsets(group, canaryLow);
        t0 = performance.now();
        await cutover.cutover({ requestId: `bench-${r}`, groups: [group], from: auth, to: canary, force: false, timeoutMs: 10_000 });
        bounded.push(ms(t0));
      }
      const translate: number[] = [];
      for (let r = 0; r < RUNS; r++) {
        t0 = performance.now();
        plan = await cutover.plan(group, auth, canary);
        translate.push(ms(t0));
      }
      const lookup: number[] = [];
      const someTime = Date.now() - 60_000;
      for (let r = 0; r < RUNS; r++) {
        t0 = performance.now();
        await kafka.offsetsForTimestamp(canary, someTime);
        lookup.push(ms(t0));
      }
      const key = n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`;
      figures[`boundedMs_${key}`] = median(bounded);
      figures[`translateMs_${key}`] = median(translate);
      figures[`recordsRead_${key}`] = plan.recordsRead;
      figures[`lookupMs_${key}`] = median(lookup);
      say(`N=${n}: bounded cutover ${median(bounded)} ms (runs ${bounded.join(', ')}), ${plan.recordsRead} records read, ${plan.partitions.reduce((s, p) => s + p.lookups, 0)} time-index lookups; the translation alone (plan) ${median(translate)} ms; raw lookup ${median(lookup)} ms`);
      if (n <= FULL_MAX) {
        const full: number[] = [];
        let heapMb = 0;
        for (let r = 0; r < Math.min(RUNS, 3); r++) {
          t0 = performance.now();
          const f = await fullScan(kafka, group, auth, canary);
          full.push(ms(t0));
          heapMb = f.heapMb;
          if (f.offsets.join() !== plan.offsets.map((o) => o.offset).join()) throw new Error(`the full scan says ${f.offsets.join()}, the bounded translation ${plan.offsets.map((o) => o.offset).join()}`);
        }
        heapPerRecord = (heapMb * 2 ** 20) / (2 * n - n / 10);
        peer[`fullScanMs_${key}`] = median(full);
        peer[`fullScanHeapMb_${key}`] = heapMb;
        ratio[`fullOverBounded_${key}`] = Math.round((median(full) / median(bounded)) * 10) / 10;
        say(`N=${n}: full scan ${median(full)} ms (runs ${full.join(', ')}), ~${heapMb} MB of heap; same offsets`);
      } else {
        const needGb = heapPerRecord ? Math.round(((heapPerRecord * (2 * n - n / 10)) / 2 ** 30) * 10) / 10 : undefined;
        const why = `not run: it would hold all ${2 * n - n / 10} records in memory${needGb ? ` (~${needGb} GB of heap at the ${Math.round(heapPerRecord!)} bytes per record measured above; this machine has ${Math.round(totalmem() / 2 ** 30)} GB)` : ''}`;
        peer[`fullScan_${key}`] = why;
        say(`N=${n}: full scan ${why}`);
      }
      await kafka.deleteGroups([group]).catch(() => undefined);
      await kafka.deleteTopics([auth, canary]).catch(() => undefined);
    }
  } finally {
    forget();
    await cleanup();
    await kafka.close();
  }
  say(`machine: ${cpus().length} × ${cpus()[0]?.model}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  process.stdout.write(`${JSON.stringify({ bench: 'cutover', figures, peer, ratio, load: loadavg()[0] })}\n`);
}

await withBroker(main, { registry: false });
