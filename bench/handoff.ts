// Handoff benchmark (npm run bench:handoff): the pit stop of a promotion with a
// large state, median of RUNS runs each:
//   warm savepoint handoff (target ≤ 250 ms), cold savepoint handoff (≤ 2.5 s),
//   consumer cutover (time to move a downstream group),
// beside the peer measured in the same run: a plain stop-with-savepoint and
// restart of the same job from that savepoint (what an upgrade costs without pitlane).
// The job is examples/fraud (v1 → v2) started from a synthetic savepoint of KEYS
// user profiles; traffic runs at RATE payments/s over those users throughout.
// Every job writes exactly-once (the orchestrator's default), so each time here is
// when output became visible to a read_committed reader: its commit.
// While each warm run shadows, the input rate both jobs sustain is measured beside
// the rate asked for; each cold run also prints where its pit stop went, from the
// job hosts' own logs. The cold handoff restores a tracked base savepoint into the standby
// while v1 runs and hands over only the keys changed since (a delta) at the stop.
// BENCH_FLINK=1 adds the Flink part (handoff/flink.ts): pitlane's cold handoff of the
// Flink fraud jobs beside Flink's own stop-with-savepoint + submit of v2 by hand over REST,
// same jobs, state and traffic (FLINK_REST_URL, else a local cluster for the run);
// BENCH_FLINK=only runs just that part.
// Env: BENCH_KEYS (1,000,000), BENCH_RATE (20,000, the rate; the bench prints
// the rate both jobs actually sustained beside it), BENCH_RUNS (5); KAFKA_BROKERS
// to use a running broker, else the local dev broker is started (and stopped).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConnection } from '../src/config/connection.ts';
import { createKafkaClients } from '../src/kafka/index.ts';
import { createLogger } from '../src/logger.ts';
import { createOrchestrator } from '../src/orchestrator/create.ts';
import { KEYS, RATE, RUNS, median, say, type Ctx } from './handoff/context.ts';
import { coldBreakdown } from './handoff/breakdown.ts';
import { promotion, restart } from './handoff/runs.ts';
import { stopHandoffProcesses } from './handoff/processes.ts';
import { writeFraudSeed } from './handoff/seed.ts';
import { onInterrupt, withBroker } from './broker.ts';
import { flinkHandoffs } from './handoff/flink.ts';

const FLINK = process.env.BENCH_FLINK === 'only' ? 'only' : process.env.BENCH_FLINK === '1';

await withBroker(async (brokers) => {
  const work = mkdtempSync(join(tmpdir(), 'pl-handoff-'));
  const logger = createLogger({ level: 'warn' });
  const connection = resolveConnection({ brokers, env: {} });
  const { kafka } = createKafkaClients(connection, logger);
  const orch = createOrchestrator({ connection, kafka, logger, store: `dir:${join(work, 'store')}`, stateDir: join(work, 'state') });
  const forget = onInterrupt(() => stopHandoffProcesses(orch, work));
  try {
    say(`state: ${KEYS.toLocaleString()} keys; traffic ${RATE.toLocaleString()} payments/s; ${RUNS} runs each`);
    const seed = join(work, 'seed');
    await writeFraudSeed(seed, KEYS);
    const c: Ctx = { kafka, connection, orch, seed, rates: [] };
    const breakdowns: Record<string, number>[] = [];
    const warm: number[] = [];
    const warmNoWriter: number[] = [];
    const cold: number[] = [];
    const cutover: number[] = [];
    const peer: number[] = [];
    for (let run = 0; run < (FLINK === 'only' ? 0 : RUNS); run++) {
      const w = await promotion(c, 'warm', run);
      warm.push(w.promotion!.pitStop!.outputGapMs!);
      warmNoWriter.push(w.promotion!.pitStop!.noWriterMs ?? Number.NaN);
      const k = await promotion(c, 'cold', run);
      cold.push(k.promotion!.pitStop!.outputGapMs!);
      const b = coldBreakdown(c, k);
      if (b) breakdowns.push(b);
      say(`  cold run ${run + 1}: ${JSON.stringify(b ?? 'no breakdown (host logs missing)')}`);
      say(`  shadowing at ${RATE}/s: ${JSON.stringify(c.rates.at(-1))}`);
      const x = await promotion(c, 'cutover', run);
      const steps = x.promotion!.steps;
      cutover.push((steps.find((s) => s.type === 'cutoverGroups')!.result.at ?? 0) - (steps.find((s) => s.type === 'stopAnalysis')!.result.at ?? 0));
      const r = await restart(c, run);
      peer.push(r.gapMs);
      say(`run ${run + 1}: warm ${warm.at(-1)} ms, cold ${cold.at(-1)} ms, cutover ${cutover.at(-1)} ms, plain restart ${peer.at(-1)} ms`);
    }
    // The Flink part, after the embedded runs (their machine load gone).
    const flink = FLINK ? await flinkHandoffs({ kafka, connection, logger }) : undefined;
    if (flink) {
      say(`\nFlink (parallelism ${flink.parallelism}), median of ${RUNS}:`);
      say(`  pitlane cold handoff pit stop         ${flink.pitlaneColdPitStopMs} ms (no writer ${flink.pitlaneColdNoWriterMs} ms)`);
      say(`  stop-with-savepoint + v2 submitted by hand ${flink.byHandPitStopMs} ms (no writer ${flink.byHandNoWriterMs} ms)`);
    }
    if (FLINK === 'only') {
      process.stdout.write(`${JSON.stringify({ bench: 'handoff', flink: { keys: KEYS, rate: RATE, runs: RUNS, ...flink } })}\n`);
      return;
    }
    const sustained = { producedPerS: median(c.rates.map((r) => r.produced)), authoritativePerS: median(c.rates.map((r) => r.authoritative)), candidatePerS: median(c.rates.map((r) => r.candidate)) };
    const delta = breakdowns.filter((b) => b.deltaApplied === 1);
    const coldParts = Object.fromEntries(Object.keys(delta[0] ?? breakdowns[0] ?? {}).map((k) => [k, median((delta.length > 0 ? delta : breakdowns).map((b) => b[k]!))]));
    const figures = { keys: KEYS, rate: RATE, runs: RUNS, delivery: 'exactly-once', warmPitStopMs: median(warm), warmNoWriterMs: median(warmNoWriter), coldPitStopMs: median(cold), coldDeltaRuns: delta.length, cutoverMs: median(cutover), sustained, coldBreakdownMs: coldParts };
    const peerFig = { restartPitStopMs: median(peer), warmTargetMs: 250, coldTargetMs: 2500 };
    say(`\nmedian of ${RUNS}:`);
    say(`  warm handoff pit stop  ${figures.warmPitStopMs} ms   (target ≤ 250 ms; plain stop+restart ${peerFig.restartPitStopMs} ms)`);
    say(`  cold handoff pit stop  ${figures.coldPitStopMs} ms   (target ≤ 2500 ms; plain stop+restart ${peerFig.restartPitStopMs} ms)`);
    say(`  cutover (move group)   ${figures.cutoverMs} ms`);
    say(`  cold pit stop, median per part (ms; ${delta.length} of ${breakdowns.length} runs handed over a delta): ${JSON.stringify(coldParts)}`);
    say(`  input rate while shadowing (asked ${RATE}/s): produced ${sustained.producedPerS}/s, v1 read ${sustained.authoritativePerS}/s, v2 read ${sustained.candidatePerS}/s`);
    const ratio = { warmVsRestart: +(figures.warmPitStopMs / peerFig.restartPitStopMs).toFixed(3), coldVsRestart: +(figures.coldPitStopMs / peerFig.restartPitStopMs).toFixed(3), warmVsTarget: +(figures.warmPitStopMs / 250).toFixed(3), coldVsTarget: +(figures.coldPitStopMs / 2500).toFixed(3) };
    process.stdout.write(`${JSON.stringify({ bench: 'handoff', figures, peer: peerFig, ratio, ...(flink ? { flink } : {}) })}\n`);
  } finally {
    forget();
    await orch.close();
    await kafka.close();
    rmSync(work, { recursive: true, force: true });
  }
}, { registry: false });
