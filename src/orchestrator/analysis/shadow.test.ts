import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDeploymentSpec } from '../spec/load.ts';
import { newDeployment, type Deployment } from '../lifecycle/model.ts';
import type { ComparisonReport } from '../../compare/index.ts';
import { compareConfigOf } from './compare-config.ts';
import { comparisonInputFloor, eventTimeFloor, nextEvent, comparisonStarts, whyDown } from './shadow.ts';

const spec = parseDeploymentSpec(
  ['name: f', 'inputs: [in]', 'authoritative: { job: a.ts, version: v1, output: out }', 'candidate: { job: b.ts, canary: can, parallelism: 2 }', 'analysis: { window: 10s, minimum: { duration: 30s, windows: 3, records: 100 } }'].join('\n'),
  'f.yaml',
);
const SP = { location: '/sp', sourceOffsets: [], completedAt: 1_000, outputOffsets: [{ topic: 'out', partition: 0, offset: 7 }], watermark: 25_000 };
const dep = (phase: Deployment['phase']): Deployment => ({ ...newDeployment(spec, 0), phase, fork: { savepoint: SP } });
const report = (verdict: string, windows: number, a: number, b: number) => ({ verdict, reason: verdict.toLowerCase(), windows: Array.from({ length: windows }, () => ({ start: 0, end: 1 })), sides: { a: { records: a }, b: { records: b } } }) as unknown as ComparisonReport;

test('nextEvent: the lifecycle event a report asks for, per phase', () => {
  const cases: [string, Deployment['phase'], ComparisonReport, number, string | undefined, string | undefined][] = [
    ['early fail is reported', 'Shadowing', report('Failed', 1, 10, 10), 5_000, undefined, 'verdict:fail'],
    ['minimum not met: duration', 'Shadowing', report('Successful', 5, 500, 500), 20_000, undefined, undefined],
    ['minimum not met: windows', 'Shadowing', report('Successful', 2, 500, 500), 40_000, undefined, undefined],
    ['minimum not met: records on the slower side', 'Shadowing', report('Successful', 5, 500, 50), 40_000, undefined, undefined],
    ['minimum met', 'Shadowing', report('Successful', 3, 100, 100), 31_000, undefined, 'minimumReached'],
    ['analyzing: pass', 'Analyzing', report('Successful', 3, 100, 100), 31_000, undefined, 'verdict:pass'],
    ['analyzing: inconclusive', 'Analyzing', report('Inconclusive', 3, 100, 100), 31_000, undefined, 'verdict:inconclusive'],
    ['inconclusive stays quiet while inconclusive', 'Inconclusive', report('Inconclusive', 4, 100, 100), 41_000, undefined, undefined],
    ['inconclusive settles to pass', 'Inconclusive', report('Successful', 4, 100, 100), 41_000, undefined, 'verdict:pass'],
    ['a pass can still be revoked by a fail', 'Passed', report('Failed', 5, 100, 100), 51_000, undefined, 'verdict:fail'],
    ['passed stays passed on more passes', 'Passed', report('Successful', 5, 100, 100), 51_000, undefined, undefined],
    ['a dead candidate fails the gate', 'Analyzing', report('Successful', 3, 100, 100), 31_000, 'failed', 'verdict:fail'],
    ['failed is final', 'Failed', report('Successful', 3, 100, 100), 31_000, undefined, undefined],
  ];
  for (const [label, phase, r, now, down, want] of cases) {
    const e = nextEvent(dep(phase), r, now, down);
    assert.equal(e ? (e.type === 'verdict' ? `verdict:${e.status}` : e.type) : undefined, want, label);
  }
});

test('comparison starts at the fork output offsets; the first whole window after the fork watermark is the first judged', () => {
  const d = dep('Shadowing');
  assert.deepEqual(comparisonStarts(d), { a: { offsets: SP.outputOffsets, otherwise: 'earliest' }, b: 'earliest' });
  assert.equal(eventTimeFloor(d), 40_000, 'watermark 25s, window 10s: skip [20s, 30s) and one window of margin');
  assert.equal(eventTimeFloor({ ...d, fork: { savepoint: { ...SP, watermark: undefined } } } as unknown as Deployment), undefined);
});

test('a savepoint cut exactly at the output; one whose output offsets come before it (Flink) starts side a there; both drop the output of earlier input by lineage', () => {
  const input = [{ topic: 'in', partition: 0, offset: 42 }];
  const exact = { ...dep('Shadowing'), fork: { savepoint: { ...SP, sourceOffsets: input } } };
  assert.deepEqual(comparisonInputFloor(exact), { offsets: input });
  const before = [{ topic: 'out', partition: 0, offset: 3 }];
  const flink = { ...dep('Shadowing'), fork: { savepoint: { location: 'file:/sp', sourceOffsets: input, completedAt: 5_000, outputFrom: before, watermark: 25_000 } } };
  assert.deepEqual(comparisonStarts(flink), { a: { offsets: before, otherwise: 'earliest' }, b: 'earliest' });
  assert.deepEqual(comparisonInputFloor(flink), { offsets: input });
  const none = { ...dep('Shadowing'), fork: undefined } as unknown as Deployment;
  assert.equal(comparisonInputFloor(none), undefined);
});

test('the deploy/ examples are valid for the comparator too', async () => {
  const { readFileSync } = await import('node:fs');
  for (const f of ['fraud.yaml', 'fraud-buggy.yaml', 'orders-cutover.yaml']) {
    const s = parseDeploymentSpec(readFileSync(new URL(`../../../deploy/${f}`, import.meta.url), 'utf8'), f);
    await assert.doesNotReject(() => compareConfigOf(s), f);
  }
});

test('whyDown: a job its engine restarts after a failure is not down; one the engine gave up on is, with its cause', () => {
  const s = (state: string, extra: object = {}) => ({ jobId: 'j', state, positions: [], sinkTopic: 't', ...extra }) as Parameters<typeof whyDown>[0];
  assert.equal(whyDown(s('running', { restarts: 2, lastFailure: { at: 1, reason: 'checkpoint failed' } })), undefined, 'recovered after two restarts');
  assert.equal(whyDown(s('restarting', { failure: 'Exceeded checkpoint tolerable failure threshold', restarts: 1 })), undefined, 'Flink is restarting it (its restart strategy)');
  assert.equal(whyDown(s('starting')), undefined);
  assert.match(whyDown(s('failed', { failure: 'Recovery is suppressed by FixedDelayRestartBackoffTimeStrategy(maxNumberRestartAttempts=2)' })) ?? '', /^failed: Recovery is suppressed by FixedDelayRestartBackoffTimeStrategy/);
  assert.equal(whyDown(s('cancelled')), 'cancelled');
  assert.equal(whyDown(undefined), undefined, 'an engine that cannot be asked now is not a verdict');
});
