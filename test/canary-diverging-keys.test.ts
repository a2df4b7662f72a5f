/**
 * End to end through the CLI: a candidate that keeps every count and key but gets
 * two users' amounts wrong. The canary fails, and the live report names, per
 * failed window, exactly those users' flags with both values.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canaryHarness } from './canary-harness.ts';
import { WRONG_USERS } from './support/fraud-v1-wrong-amounts.ts';
import type { ComparisonReport } from '../src/compare/index.ts';

interface FlagValue {
  txId: string;
  userId: string;
  amount: number;
}

test('a candidate with wrong amounts for two users: the failed windows name exactly their keys, with both values', { timeout: 240_000 }, async (t) => {
  const h = await canaryHarness(t, 'divkeys');
  h.startTraffic(200);
  await h.launch(4);
  const spec = h.spec({ candidate: 'test/support/fraud-v1-wrong-amounts.ts', promotion: '{ strategy: savepoint-handoff, auto: false }', checks: ['{ type: aggregate }'] });
  const start = await h.cli(['canary', 'start', spec]);
  assert.equal(start.code, 0, start.err);
  const gate = await h.cli(['canary', 'gate', h.name, '--wait', '--timeout', '150s', '--json']);
  assert.equal(gate.code, 1, `gate: ${gate.out} ${gate.err}`);

  // The supervisor's final report, written after the verdict.
  const report = JSON.parse(readFileSync(join(h.dir, 'state', 'deployments', h.name, 'report.json'), 'utf8')) as ComparisonReport;
  const named = report.windows.filter((w) => w.divergingKeys);
  assert.ok(named.length > 0, `no failed window names its keys: ${JSON.stringify(report.windows)}`);
  let different = 0;
  for (const w of named) {
    const k = w.divergingKeys!;
    assert.equal(k.error, undefined);
    assert.deepEqual([k.onlyAuthoritative, k.onlyCandidate, k.truncated], [[], [], 0], `window ${w.start}: ${JSON.stringify(k)}`);
    for (const d of k.different) {
      assert.ok(WRONG_USERS.includes(d.key!), `only the wrong users differ, not ${d.key}`);
      const [a, b] = [d.authoritative as FlagValue, d.candidate as FlagValue];
      assert.equal(b.txId, a.txId, 'the same last flag on both sides');
      assert.ok(Math.abs(b.amount - (a.amount + 1)) < 1e-9, `${a.amount} → ${b.amount}`);
      different++;
    }
  }
  assert.ok(different > 0, 'some window names a wrong user');
  const text = await h.cli(['canary', 'report', h.name]);
  assert.match(text.out, /diverging keys in failed windows/);
  assert.match(text.out, /differs {4}user-[37]: amount: [\d.]+ → [\d.]+\n/);
});
