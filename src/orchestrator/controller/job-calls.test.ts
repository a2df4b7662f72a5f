import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deliveryOf } from './job-calls.ts';
import { newDeployment } from '../lifecycle/model.ts';
import { SPEC } from '../lifecycle/test-support.ts';

test("a deployment's jobs get its spec's delivery, also from records stored before it had today's shape", () => {
  const fresh = newDeployment(SPEC('delivery: { mode: at-least-once, commitInterval: 2s }'), 0);
  const cases: [string, unknown, unknown][] = [
    ['as validated today', fresh.spec.delivery, { mode: 'at-least-once', commitIntervalMs: 2000 }],
    ['stored while the interval was named commitInterval', { mode: 'exactly-once', commitInterval: 250 }, { mode: 'exactly-once', commitIntervalMs: 250 }],
    ['stored before delivery existed', undefined, { mode: 'exactly-once', commitIntervalMs: 500 }],
  ];
  for (const [label, delivery, want] of cases) {
    const d = { ...fresh, spec: { ...fresh.spec, delivery } } as typeof fresh;
    assert.deepEqual(deliveryOf(d), want, label);
  }
});
