import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nullRateCheck } from './null-rate.ts';
import { rec, runWindow, statuses } from '../test-support.ts';

const rows = (k: number, f: (i: number) => unknown) => Array.from({ length: k }, (_, i) => rec(`k${i}`, f(i)));

const cases: { name: string; a: unknown[]; b: unknown[]; params?: object; expect: string[]; observed?: Record<string, number> }[] = [
  { name: 'same null rates pass', a: rows(10, (i) => ({ x: i % 2 ? null : 1 })), b: rows(10, (i) => ({ x: i % 2 ? 1 : null })), expect: ['x:Successful'], observed: { x: 0 } },
  { name: 'nulled field fails', a: rows(10, () => ({ x: 1, y: 1 })), b: rows(10, (i) => ({ x: i < 5 ? null : 1, y: 1 })), expect: ['x:Failed', 'y:Successful'], observed: { x: 0.5, y: 0 } },
  { name: 'missing counts as null', a: rows(4, () => ({ x: 1, y: 1 })), b: rows(4, (i) => (i === 0 ? { y: 1 } : { x: 1, y: 1 })), expect: ['x:Failed', 'y:Successful'], observed: { x: 0.25, y: 0 } },
  { name: 'tolerance', a: rows(100, () => ({ x: 1 })), b: rows(100, (i) => ({ x: i < 2 ? null : 1 })), params: { tolerance: 0.05 }, expect: ['x:Successful'] },
  { name: 'fields on one side only are left to the schema check', a: rows(3, () => ({ x: 1 })), b: rows(3, () => ({ x: 1, z: 2 })), expect: ['x:Successful'] },
  { name: 'one empty side is inconclusive', a: rows(3, () => ({ x: 1 })), b: [], expect: ['*:Inconclusive'] },
];

for (const c of cases) {
  test(`null-rate: ${c.name}`, () => {
    const ms = runWindow(nullRateCheck('null-rate', c.params ?? {}), c.a as never[], c.b as never[]);
    assert.deepEqual(statuses(ms), c.expect);
    for (const [f, v] of Object.entries(c.observed ?? {})) assert.ok(Math.abs((ms.find((m) => m.metric === f)?.observed ?? NaN) - v) < 1e-9, f);
  });
}
