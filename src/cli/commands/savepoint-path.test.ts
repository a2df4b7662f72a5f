import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isAbsolute, join, resolve } from 'node:path';
import { savepointPath } from './savepoint-path.ts';

const NOW = Date.UTC(2026, 10, 22, 21, 5, 7, 123);

test('a default savepoint directory is absolute, named after the job and the time, and safe as a file name', () => {
  const cases: { base: string; name: string; expected: string }[] = [
    { base: '/data/sp', name: 'fraud', expected: '/data/sp/savepoint-fraud-2026-11-22T21-05-07-123Z' },
    { base: 'savepoints', name: 'fraud', expected: join(resolve('savepoints'), 'savepoint-fraud-2026-11-22T21-05-07-123Z') },
    { base: '/data/sp', name: 'fraud.candidate/v2', expected: '/data/sp/savepoint-fraud_candidate_v2-2026-11-22T21-05-07-123Z' },
  ];
  for (const c of cases) {
    const p = savepointPath(c.base, c.name, NOW);
    assert.equal(p, c.expected, c.name);
    assert.ok(isAbsolute(p));
    assert.ok(!p.includes('undefined'));
  }
  assert.notEqual(savepointPath('/x', 'fraud', NOW), savepointPath('/x', 'fraud', NOW + 1), 'one millisecond apart, two directories');
});
