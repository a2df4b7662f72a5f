import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../usage.ts';
import { parse as parseYaml } from 'yaml';
import { ConfigError, describeUnknown } from '../../errors.ts';
import type { EndPosition, StartPosition } from '../../kafka/port.ts';
import { createComparison, loadCompareConfig, renderHtml, renderJson, renderTerminal, type ComparisonReport } from '../../compare/index.ts';
import { EXIT } from '../exit-codes.ts';
import { emit } from '../output.ts';
import type { CliContext } from '../context.ts';

type Run = (fn: (ctx: CliContext) => Promise<number | void>) => Promise<void>;

interface CompareOptions {
  a: string;
  b: string;
  noise?: string;
  from?: string;
  to?: string;
  checks?: string;
  reportDir?: string;
  json?: boolean;
}

/** Verdict → exit code: 0 pass, 1 fail, 2 inconclusive, 3 error (README). */
export const VERDICT_EXIT = { Successful: EXIT.OK, Failed: EXIT.FAIL, Inconclusive: EXIT.INCONCLUSIVE, Error: EXIT.ERROR } as const;

export function registerCompare(program: Command, run: Run): void {
  program
    .command('compare')
    .description('compare two topics window by window and judge the candidate (exit 0 pass, 1 fail, 2 inconclusive, 3 error)')
    .requiredOption('--a <topic>', 'the authoritative output topic')
    .requiredOption('--b <topic>', 'the candidate (canary) output topic')
    .option('--noise <topic>', 'a second copy of the authoritative output: report only differences beyond it')
    .option('--from <pos>', 'start: earliest (default), latest, an ISO time or epoch ms')
    .option('--to <pos>', 'end: end (default: the high watermarks now), follow (live, until Ctrl-C), an ISO time or epoch ms')
    .option('--checks <file>', 'checks config (YAML or JSON); all six checks with defaults when absent')
    .option('--report-dir <dir>', 'write report.json, report.txt and report.html here')
    .option('--json', 'print the JSON report instead of the table')
    .action(async (o: CompareOptions) => {
      await run(async (ctx) => {
        const raw = o.checks ? await readConfig(o.checks) : {};
        const config = await loadCompareConfig(raw, o.checks ?? 'default checks');
        const from = parseStart(o.from);
        const to = parseEnd(o.to);
        const { kafka, registry } = ctx.kafka();
        const comparison = createComparison(
          { a: { topic: o.a, from, to }, b: { topic: o.b, from, to }, noise: o.noise ? { topic: o.noise, from, to } : undefined, config },
          { kafka, registry, logger: ctx.logger },
        );
        const abort = new AbortController();
        const stop = () => abort.abort();
        process.once('SIGINT', stop);
        let report: ComparisonReport;
        try {
          report = await comparison.run(abort.signal);
        } finally {
          process.off('SIGINT', stop);
        }
        if (o.reportDir) await writeReports(o.reportDir, report);
        emit(report, o, () => renderTerminal(report) + (o.reportDir ? `\n\nreports in ${o.reportDir}` : ''));
        return VERDICT_EXIT[report.verdict];
      });
      endWhenHeldOpen();
    });
}

/** How long an ended command may wait for the event loop to empty before it ends itself. */
const HELD_OPEN_GRACE_MS = 2000;

/**
 * Once the command has its exit code, the comparison has closed its readers, worker
 * and connections, so the process ends by itself. Should anything still hold it open
 * (a leak), it ends anyway, with that exit code, saying what was left: a failed
 * comparison must never hang a pipeline. The timer itself holds nothing open.
 */
function endWhenHeldOpen(): void {
  setTimeout(() => {
    const held = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap');
    process.stderr.write(`pitlane compare: ended, but ${held.join(', ') || 'something'} still held the process open ${HELD_OPEN_GRACE_MS} ms later; exiting with code ${String(process.exitCode ?? 0)}.\n`);
    process.exit();
  }, HELD_OPEN_GRACE_MS).unref();
}

async function readConfig(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new ConfigError('CONFIG_FILE_UNREADABLE', `Cannot read the checks file ${file}: ${describeUnknown(e)}`, { hint: 'Check the path given to --checks.' });
  }
  try {
    return parseYaml(text) as unknown;
  } catch (e) {
    throw new ConfigError('CONFIG_INVALID', `The checks file ${file} is not valid YAML/JSON: ${describeUnknown(e)}`, { hint: 'Fix the syntax at the position above.' });
  }
}

async function writeReports(dir: string, report: ComparisonReport): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'report.json'), renderJson(report));
  await writeFile(join(dir, 'report.txt'), `${renderTerminal(report)}\n`);
  await writeFile(join(dir, 'report.html'), renderHtml(report));
}

function parseTime(s: string, flag: string): number {
  const t = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
  if (!Number.isFinite(t)) throw new UsageError('CLI_BAD_POSITION', `${flag} ${s} is not a position.`, { hint: `Use ${flag === '--from' ? 'earliest, latest' : 'end, follow'}, an ISO time (2024-05-01T12:00:00Z) or epoch ms.` });
  return t;
}

export function parseStart(s: string | undefined): StartPosition {
  if (s === undefined || s === 'earliest') return 'earliest';
  if (s === 'latest') return 'latest';
  return { timestamp: parseTime(s, '--from') };
}

export function parseEnd(s: string | undefined): EndPosition {
  if (s === undefined || s === 'end') return 'end';
  if (s === 'follow') return 'follow';
  return { timestamp: parseTime(s, '--to') };
}
