/**
 * Fixtures for the dashboard's unit tests: deployment records in a phase, their
 * history, and a comparison report with two checks over three windows.
 */
import { SPEC, SP } from '../orchestrator/lifecycle/test-support.ts';
import { newDeployment, type Deployment, type TransitionEntry } from '../orchestrator/lifecycle/model.ts';
import { REPORT_SCHEMA, type ComparisonReport } from '../compare/index.ts';
import type { Measurement } from '../../comparators/types.ts';

export function deployment(name: string, phase: Deployment['phase'], over: Partial<Deployment> = {}, updatedAt = 1_000): Deployment {
  const base = newDeployment({ ...SPEC(), name }, 500);
  return { ...base, phase, updatedAt, jobs: { ...base.jobs, authoritative: name }, ...over };
}

/** A history: create → Forking → Shadowing (fork done) → Analyzing → Failed (verdict) → abort by alice. */
export function history(name: string): TransitionEntry[] {
  const d0 = deployment(name, 'Pending', { revision: 1 });
  const steps: [Deployment['phase'], TransitionEntry['event'], Partial<Deployment>][] = [
    ['Pending', { type: 'create' }, {}],
    ['Forking', { type: 'start' }, { pending: [{ id: `${name}@2#0`, effect: { type: 'triggerSavepoint', jobId: name } }] }],
    ['Shadowing', { type: 'effectDone', id: `${name}@2#0`, result: { savepoint: SP } }, { fork: { savepoint: SP } }],
    ['Analyzing', { type: 'minimumReached' }, {}],
    ['Failed', { type: 'verdict', status: 'fail', reason: 'key-coverage failed in 2 windows' }, { verdict: { status: 'fail', at: 9, reason: 'key-coverage failed in 2 windows' } }],
    ['Aborted', { type: 'abort', reason: 'candidate drops users', by: 'alice via dashboard' }, { abort: { at: 10, reason: 'candidate drops users', by: 'user' } }],
  ];
  let prev: Deployment = d0;
  return steps.map(([phase, event, over], i) => {
    const record: Deployment = { ...prev, ...over, phase, revision: i + 1, updatedAt: 1_000 + i, pending: over.pending ?? [] };
    const entry: TransitionEntry = { name, revision: i + 1, at: 1_000 + i, from: i === 0 ? null : prev.phase, to: phase, event, record };
    prev = record;
    return entry;
  });
}

const W = 2_000;
function m(check: string, type: string, metric: string, i: number, o: Partial<Measurement>): Measurement {
  return { check, type, metric, window: { start: 10_000 + i * W, end: 10_000 + (i + 1) * W }, status: 'Successful', observed: 0, expected: 0, threshold: 0.1, records: 100, detail: {}, ...o };
}

/** Windows 0..2: count within its declared change; key coverage failing in the last two windows. */
export function report(over: Partial<ComparisonReport> = {}): ComparisonReport {
  const side = (topic: string, records: number) => ({ topic, records, undecodable: 0, late: 0, droppedLate: 0, maxEventTime: 16_000, watermark: 15_000, emitTime: null, format: 'json', firstUndecodable: null });
  const measurements = [
    // out of window order on purpose: the view sorts by window
    m('count', 'count', 'records', 2, { observed: -0.6, sides: { a: 100, b: 40 } }),
    m('count', 'count', 'records', 0, { observed: -0.55, sides: { a: 100, b: 45 } }),
    m('count', 'count', 'records', 1, { observed: -0.7, sides: { a: 100, b: 30 } }),
    m('keys', 'key-coverage', 'jaccard', 0, { observed: 0.95, threshold: 0.9, sides: { a: 50, b: 48 } }),
    m('keys', 'key-coverage', 'jaccard', 1, { status: 'Failed', observed: 0.5, threshold: 0.9, sides: { a: 50, b: 25 }, detail: { onlyA: 25, onlyB: 0, examples: { onlyA: ['user-7', 'user-9'], onlyB: [] } } }),
    m('keys', 'key-coverage', 'jaccard', 2, { status: 'Failed', observed: 0.4, threshold: 0.9, sides: { a: 50, b: 20 } }),
  ];
  return {
    schema: REPORT_SCHEMA,
    generatedAt: '2026-12-07T03:00:00.000Z',
    complete: false,
    verdict: 'Failed',
    reason: 'key-coverage failed in 2 windows',
    sides: { a: side('out', 300), b: side('canary', 115) },
    settings: { window: W, grace: 1000, allowedLateness: 0 },
    expected: [{ check: 'count', change: { min: -0.95, max: -0.5 }, reason: 'threshold 100 -> 500' }],
    assessment: {
      status: 'Failed',
      reason: 'key-coverage failed in 2 windows',
      checks: [
        { check: 'count', type: 'count', status: 'Successful', reason: 'within the declared change', windows: { Successful: 3, Failed: 0, Inconclusive: 0, Error: 0 }, judgedWindows: 3, records: 415, failedMetrics: [] },
        { check: 'keys', type: 'key-coverage', status: 'Failed', reason: '2 failed windows', windows: { Successful: 1, Failed: 2, Inconclusive: 0, Error: 0 }, judgedWindows: 3, records: 243, failedMetrics: ['jaccard'] },
      ],
    },
    windows: [0, 1, 2].map((i) => ({ start: 10_000 + i * W, end: 10_000 + (i + 1) * W })),
    watermarkLag: { windows: 3, p50Ms: 120, maxMs: 450, emitTime: 'record-timestamp' },
    measurements,
    ...over,
  };
}
