/**
 * `pitlane canary gate NAME`: the release pipeline's question — may this
 * candidate go on? — answered from the durable store by the exit code, and with
 * --junit as JUnit XML test cases (gate-junit.ts) that CI systems show.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { readReportFile } from '../../dashboard/reports.ts';
import { writeFileAtomic } from '../../files.ts';
import { deploymentDir } from '../../orchestrator/state-dir.ts';
import { gateJunit, type ReportState } from './gate-junit.ts';
import type { Orchestrator } from '../../orchestrator/create.ts';
import { ConfigError, KafkaError, PromotionError } from '../../errors.ts';
import { engineForJob } from '../../orchestrator/engines.ts';
import { gateOutcome, stallOf } from '../../orchestrator/view.ts';
import type { Deployment } from '../../orchestrator/lifecycle/model.ts';
import { parseDuration } from '../../config/duration.ts';
import { sleep } from '../../clock.ts';
import { EXIT } from '../exit-codes.ts';
import { emit } from '../output.ts';
import type { CliContext } from '../context.ts';
import { orchestratorOptions, withOrchestrator, type OrchestratorFlags } from './orchestrator-options.ts';
import { stderrProgress } from '../progress.ts';
import { UsageError } from '../usage.ts';

type Run = (fn: (ctx: CliContext) => Promise<number | void>) => Promise<void>;
type Common = OrchestratorFlags;

const GATE_EXIT = { pass: EXIT.OK, fail: EXIT.FAIL, inconclusive: EXIT.INCONCLUSIVE, error: EXIT.ERROR, pending: EXIT.INCONCLUSIVE, withdrawn: EXIT.WITHDRAWN } as const;

export interface GateAnswer {
  readonly outcome: keyof typeof GATE_EXIT;
  readonly exitCode: number;
  /** Why, in a sentence. */
  readonly because: string;
}

/**
 * The gate's answer: the verdict's (gateOutcome), except for a deployment a person
 * or the orchestrator withdrew — aborted, or rolled back — without a fail verdict:
 * its pass (or pending or inconclusive) no longer says the candidate may go on,
 * so it answers `withdrawn` (exit 4). A failed one still answers fail (exit 1); an
 * abort by the preflight or an error is an error (exit 3).
 */
export function gateAnswer(d: Deployment): GateAnswer {
  const base = gateOutcome(d);
  const verdict = d.verdict ? `verdict ${d.verdict.status}${d.verdict.reason ? `: ${d.verdict.reason}` : ''}` : 'no verdict';
  const by = d.abort && d.abort.by !== 'preflight' && d.abort.by !== 'error';
  if ((d.phase === 'Aborted' && by) || d.phase === 'RolledBack') {
    if (base !== 'fail') {
      const what = d.phase === 'RolledBack' ? `rolled back${d.rollback?.reason ? ` (${d.rollback.reason})` : ''}` : `aborted by ${d.abort!.by} (${d.abort!.reason})`;
      return { outcome: 'withdrawn', exitCode: GATE_EXIT.withdrawn, because: `${what} after ${verdict}; the candidate does not go on` };
    }
  }
  const because = base === 'error' && d.abort ? `aborted by ${d.abort.by}: ${d.abort.reason}` : base === 'pending' ? `no verdict yet (${d.phase})` : verdict;
  return { outcome: base, exitCode: GATE_EXIT[base], because };
}

/** --junit FILE, checked before anything runs: its folder must exist and the file must not be a folder. */
function checkJunitPath(file: string): string {
  const path = resolve(file);
  const dir = dirname(path);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ConfigError('CLI_BAD_JUNIT', `--junit ${file}: the folder ${dir} does not exist.`, { hint: 'Create it first, or write the file somewhere that exists.' });
  if (existsSync(path) && statSync(path).isDirectory()) throw new ConfigError('CLI_BAD_JUNIT', `--junit ${file} is a folder.`, { hint: 'Name a file, e.g. --junit reports/pitlane-gate.xml.' });
  return path;
}

/** The current report, read defensively: missing, or unreadable (damaged: reports are written whole, by rename). */
async function currentReport(file: string): Promise<ReportState> {
  const r = await readReportFile(file);
  return r.ok ? { ok: true, report: r.report } : { ok: false, missing: r.reason === 'missing', message: r.message };
}

async function writeJunit(file: string, d: Deployment, answer: GateAnswer, reportFile: string): Promise<void> {
  const xml = gateJunit({ deployment: d, outcome: answer.outcome, exitCode: answer.exitCode, because: answer.because, report: await currentReport(reportFile), timestamp: new Date().toISOString().slice(0, 19) });
  await writeFileAtomic(file, xml);
}

async function mustLoad(orch: Orchestrator, name: string): Promise<Deployment> {
  const d = await orch.store.load(name);
  if (!d) throw new ConfigError('DEPLOYMENT_NOT_FOUND', `No deployment named ${name} in ${orch.store.description}.`, { hint: 'List them with `pitlane canary list` (same --store).' });
  return d;
}

function duration(text: string | undefined, what: string, fallback: number): number {
  if (text === undefined) return fallback;
  const r = parseDuration(text);
  if ('error' in r) throw new UsageError('CLI_BAD_DURATION', `${what} ${r.error}`, { hint: 'Write e.g. 90s or 5m.' });
  return r.ms;
}

/** The current report's verdict so far, windows and records per side (for `canary status` and `gate --wait`). */
export function reportSummary(orch: Orchestrator, name: string): { verdict: string; reason: string; windows: number; a: number; b: number; noise?: number } | undefined {
  const f = join(deploymentDir(orch.stateDir, name), 'report.json');
  if (!existsSync(f)) return undefined;
  const r = JSON.parse(readFileSync(f, 'utf8')) as { verdict: string; reason: string; windows: unknown[]; sides: { a: { records: number }; b: { records: number }; noise?: { records: number } } };
  return { verdict: r.verdict, reason: r.reason, windows: r.windows.length, a: r.sides.a.records, b: r.sides.b.records, ...(r.sides.noise ? { noise: r.sides.noise.records } : {}) };
}

/** What `gate --wait` waits for, as one line: the phase, and the windows judged so far against the minimum. */
function waitingFor(d: Deployment, report: ReturnType<typeof reportSummary>): string {
  const min = d.spec.analysis.minimum;
  const judged = report ? `${report.windows} window(s) judged, ${report.a} vs ${report.b} records, ${report.verdict} so far` : 'no report yet';
  return `waiting for a verdict on ${d.name} [${d.phase}]: ${judged} (a pass needs at least ${min.windows} windows, ${min.records} records, ${Math.round(min.duration / 1000)} s)`;
}

export function registerGate(canary: Command, run: Run): void {
  orchestratorOptions(canary.command('gate').description('exit 0 pass, 1 fail, 2 inconclusive or pending, 3 error, 4 aborted or rolled back').argument('<name>').option('--wait', 'wait for a verdict').option('--timeout <duration>', 'with --wait: give up after this long (exit 2)', '10m').option('--junit <file>', 'also write the gate and each check as JUnit XML test cases (for CI test reports)')).action(
    (name: string, o: Common & { wait?: boolean; timeout?: string; junit?: string }) =>
      run((ctx) =>
        withOrchestrator(ctx, o, async (orch) => {
          const deadline = Date.now() + duration(o.timeout, '--timeout', 600_000);
          const junit = o.junit === undefined ? undefined : checkJunitPath(o.junit);
          let d = await mustLoad(orch, name);
          // An inconclusive verdict can still be settled by more data: --wait waits for a decisive one.
          const undecided = (x: Deployment) => ['pending', 'inconclusive'].includes(gateOutcome(x)) && !['Aborted', 'RolledBack'].includes(x.phase);
          // A wait that cannot end (no supervisor, or the authoritative job down) is an
          // error that says why, not a silent timeout; seen twice, so a restart in
          // between (`canary resume`) does not count.
          let stalls = 0;
          let lastCheck = 0;
          const progress = stderrProgress();
          while (o.wait && undecided(d) && Date.now() < deadline) {
            progress.step(waitingFor(d, reportSummary(orch, name)));
            await sleep(500);
            try {
              d = await mustLoad(orch, name);
            } catch (e) {
              // The store is a Kafka topic: a broker restart interrupts reading it, not the wait.
              if (!(e instanceof KafkaError && e.retriable)) throw e;
              ctx.logger.warn({ err: e.message }, 'cannot read the deployment store; still waiting');
              continue;
            }
            if (Date.now() - lastCheck < 2000) continue;
            lastCheck = Date.now();
            const stall = stallOf(d, { supervisorRunning: orch.analysis.pidOf(name) !== undefined, authoritative: await engineForJob(orch.engines, d, d.jobs.authoritative).status(d.jobs.authoritative).catch(() => undefined) });
            stalls = stall ? stalls + 1 : 0;
            if (stall && stalls >= 2) {
              progress.done();
              // CI shows why the gate gave up, not a missing file.
              if (junit) await writeJunit(junit, d, { outcome: 'error', exitCode: EXIT.ERROR, because: `${stall.reason} (${stall.hint})` }, join(deploymentDir(orch.stateDir, name), 'report.json'));
              throw new PromotionError('DEPLOYMENT_STALLED', stall.reason, { hint: stall.hint, data: { name, phase: d.phase } });
            }
          }
          progress.done();
          const answer = gateAnswer(d);
          if (junit) await writeJunit(junit, d, answer, join(deploymentDir(orch.stateDir, name), 'report.json'));
          emit({ name, outcome: answer.outcome, exitCode: answer.exitCode, phase: d.phase, verdict: d.verdict ?? null, abort: d.abort ?? null, rollback: d.rollback ?? null, ...(junit ? { junit } : {}) }, o, () => `${name}: ${answer.outcome} — ${answer.because} [${d.phase}]${junit ? `\nJUnit: ${junit}` : ''}`);
          return answer.exitCode;
        }),
      ),
  );
}
