/**
 * `npm run bench:dashboard`: the dashboard over a Kafka store of 200 deployments
 * (plus the ones whose verdict the bench changes) and a live canary (the tests'
 * harness: fraud v1 → v2 shadowing at 500 payments/s, its jobs and shadow
 * analysis running), in headless Chromium (Debian's):
 * - page load: a fresh browser context opens the dashboard until the list's first
 *   page (50 rows) is rendered;
 * - live update: a verdict change appended to the store (the controller's own
 *   write, `store.append`) until the open deployment page shows it, by
 *   server-sent events, with the dashboard's default poll of the store (1 s);
 * beside the peer measured in the same run: the store's own read of every
 * deployment (`store.list()` straight from the topic, what the dashboard's
 * watcher does each poll).
 *
 * - the live canary's own verdict, written by its shadow analysis, from the
 *   transition's time to its page showing it (one sample per run).
 * The five verdict changes besides are written by the bench through the store:
 * the path from the store to the page is the same whoever writes. Env:
 * KAFKA_BROKERS (else the test infrastructure's broker is started),
 * BENCH_DEPLOYMENTS (200), BENCH_RUNS (5).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { resolveConnection } from '../src/config/connection.ts';
import { createKafkaClients } from '../src/kafka/index.ts';
import { createLogger } from '../src/logger.ts';
import { KafkaDeploymentStore } from '../src/orchestrator/store/kafka-store.ts';
import { deploymentDir } from '../src/orchestrator/state-dir.ts';
import { renderJson } from '../src/compare/index.ts';
import { startDashboard } from '../src/dashboard/server.ts';
import { history, report } from '../src/dashboard/test-support.ts';
import type { TransitionEntry } from '../src/orchestrator/lifecycle/model.ts';
import type { TestContext } from 'node:test';
import { canaryHarness } from '../test/canary-harness.ts';
import { onInterrupt, withBroker } from './broker.ts';

declare const document: { querySelector(s: string): { textContent: string | null } | null; querySelectorAll(s: string): { length: number } };
// (the page's globals for the functions that run in it)
declare const window: { changedAt?: number; MutationObserver: new (fn: () => void) => { observe(n: unknown, o: unknown): void } };

const N = Number(process.env.BENCH_DEPLOYMENTS ?? 200);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const say = (s: string) => process.stderr.write(`${s}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (n: number) => Math.round(n);

/** Appends entries of many deployments, a few deployments at a time (each deployment's own entries in order). */
async function seed(store: KafkaDeploymentStore, lists: TransitionEntry[][]): Promise<void> {
  const queue = [...lists];
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let l = queue.shift(); l; l = queue.shift()) for (const e of l) await store.append(e);
    }),
  );
}

/** The canary harness of the tests, outside a test: its after-hooks run here, last registered first. */
function benchContext(): { t: TestContext; cleanup: () => Promise<void> } {
  const hooks: (() => unknown)[] = [];
  const t = { after: (fn: () => unknown) => void hooks.push(fn) } as unknown as TestContext;
  return { t, cleanup: async () => { for (const fn of hooks.reverse()) await Promise.resolve().then(fn).catch((e: unknown) => say(`cleanup: ${String(e)}`)); } };
}

await withBroker(async (brokers) => {
  process.env.KAFKA_BROKERS ??= brokers;
  const logger = createLogger({ level: 'warn' });
  const connection = resolveConnection({ brokers, env: {} });
  const { kafka } = createKafkaClients(connection, logger);
  const harness = benchContext();
  const cleanup = async () => {
    await harness.cleanup();
    await kafka.close().catch(() => undefined);
  };
  const forget = onInterrupt(cleanup);
  try {
    // A live canary (the tests' harness: its own topics, store topic, state directory and processes), fraud v1 → v2.
    const h = await canaryHarness(harness.t, 'benchdash');
    const topic = h.env.PITLANE_STORE!.replace(/^kafka:/, '');
    const stateDir = h.env.PITLANE_STATE_DIR!;
    const store = new KafkaDeploymentStore(kafka, { topic });
    const t0 = Date.now();
    // 200 deployments in every phase of the fixture history (Pending … Aborted), and RUNS live ones at Analyzing.
    const many = Array.from({ length: N }, (_, i) => history(`svc-${String(i).padStart(3, '0')}`).slice(0, 1 + (i % 6)));
    const live = Array.from({ length: RUNS }, (_, i) => history(`live-${i}`));
    await seed(store, [...many, ...live.map((x) => x.slice(0, 4))]);
    const entries = [...many, ...live.map((x) => x.slice(0, 4))].reduce((n, l) => n + l.length, 0);
    say(`seeded ${N + RUNS} deployments (${entries} transitions) in ${topic} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    for (const [i] of live.entries()) {
      const dir = deploymentDir(stateDir, `live-${i}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'report.json'), renderJson(report()));
    }

    const dash = await startDashboard({ store: new KafkaDeploymentStore(kafka, { topic }), stateDir, dispatch: () => Promise.reject(new Error('read-only bench')), logger, pollMs: 1000 }, { host: '127.0.0.1', port: 0 });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    try {
      // The canary's page is open before it starts; it shows the verdict when the shadow analysis writes one.
      const canaryPage = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      await canaryPage.goto(`${dash.url}/#/d/${h.name}`);
      await canaryPage.waitForSelector('main h1');
      await canaryPage.evaluate(() => {
        window.changedAt = undefined;
        new window.MutationObserver(() => {
          if (window.changedAt === undefined && /\b(pass|fail|inconclusive)\b/.test(document.querySelector('#verdict .badge')?.textContent ?? '')) window.changedAt = Date.now();
        }).observe(document.querySelector('main'), { childList: true, subtree: true, characterData: true });
      });
      h.startTraffic(500);
      await h.launch(2);
      const started = await h.cli(['canary', 'start', h.spec({ parallelism: 2 })]);
      if (started.code !== 0) throw new Error(`canary start: ${started.err}`);
      say(`live canary ${h.name} shadowing (fraud v1 → v2, 500 payments/s)`);

      // Peer: the store's own read of every deployment, as the watcher makes it each poll.
      const reader = new KafkaDeploymentStore(kafka, { topic });
      await reader.list();
      const reads: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const s = performance.now();
        const all = await reader.list();
        reads.push(performance.now() - s);
        if (all.length < N + RUNS) throw new Error(`the store lists ${all.length} deployments, not ${N + RUNS}`);
      }

      // Page load: a fresh context each time (no cache), to the list's first page rendered.
      const loads: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
        const page = await ctx.newPage();
        const s = performance.now();
        await page.goto(dash.url);
        await page.waitForFunction(() => document.querySelectorAll('#deployments tbody tr').length === 50);
        loads.push(performance.now() - s);
        await ctx.close();
      }

      // What a live update costs on the server: one deployment's page data (its history, report and savepoints).
      const details: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const s = performance.now();
        const r = await fetch(`${dash.url}/api/deployments/live-${i}`);
        if (r.status !== 200) throw new Error(`/api/deployments/live-${i}: ${r.status}`);
        await r.json();
        details.push(performance.now() - s);
      }

      // Live update: a deployment's page open; its verdict appended to the store; until the page shows it.
      const updates: number[] = [];
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      for (const [i, h] of live.entries()) {
        await page.goto(`${dash.url}/#/d/live-${i}`);
        await page.waitForFunction(() => /Analyzing/.test(document.querySelector('#verdict')?.textContent ?? ''));
        await page.evaluate(() => {
          window.changedAt = undefined;
          // Inline (no named function: the page does not have tsx's __name helper).
          new window.MutationObserver(() => {
            if (window.changedAt === undefined && /fail/.test(document.querySelector('#verdict')?.textContent ?? '')) window.changedAt = Date.now();
          }).observe(document.querySelector('main'), { childList: true, subtree: true, characterData: true });
        });
        await store.append(h[4]!); // Analyzing → Failed, with the verdict
        const written = Date.now();
        await page.waitForFunction(() => window.changedAt !== undefined, undefined, { timeout: 30_000 });
        updates.push((await page.evaluate(() => window.changedAt!)) - written);
      }

      // The live canary's own verdict, written by its shadow analysis: from the transition's time to the page.
      await canaryPage.waitForFunction(() => window.changedAt !== undefined, undefined, { timeout: 240_000 });
      const verdictEntry = (await store.history(h.name)).find((e) => e.event.type === 'verdict');
      if (!verdictEntry) throw new Error(`the page shows a verdict the store does not have (${h.name})`);
      const canaryMs = (await canaryPage.evaluate(() => window.changedAt!)) - verdictEntry.at;
      const canaryVerdict = verdictEntry.event.type === 'verdict' ? verdictEntry.event.status : '?';

      const figures = { deployments: N + RUNS + 1, pageLoadMs: ms(median(loads)), verdictToPageMs: ms(median(updates)), liveCanaryVerdictToPageMs: ms(canaryMs), detailApiMs: ms(median(details)), pollMs: 1000 };
      const peer = { storeListMs: ms(median(reads)) };
      say('');
      say(`deployments in the store: ${N + RUNS} (${entries} transitions) and the live canary, Kafka topic ${topic}`);
      say(`store's own read of every deployment (peer):  median ${peer.storeListMs} ms  [${reads.map(ms).join(', ')}]`);
      say(`page load to the list's first page rendered: median ${figures.pageLoadMs} ms  [${loads.map(ms).join(', ')}]`);
      say(`one deployment's page data (/api/deployments/NAME): median ${figures.detailApiMs} ms  [${details.map(ms).join(', ')}]`);
      say(`verdict written to the store → page shows it: median ${figures.verdictToPageMs} ms  [${updates.map(ms).join(', ')}] (up to the 1 s poll + one store read + the page's 0.25 s refresh coalescing + the page data)`);
      say(`the live canary's own verdict (${canaryVerdict}, written by its shadow analysis) → page shows it: ${figures.liveCanaryVerdictToPageMs} ms`);
      say(`load average: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
      process.stdout.write(`${JSON.stringify({ bench: 'dashboard', figures, peer, ratio: { pageLoadVsStoreRead: +(figures.pageLoadMs / peer.storeListMs).toFixed(2), verdictToPageVsStoreRead: +(figures.verdictToPageMs / peer.storeListMs).toFixed(2) } })}\n`);
    } finally {
      await browser.close();
      await dash.close();
    }
  } finally {
    forget();
    await cleanup();
  }
});
