import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveCompareConfig } from './config.ts';
import { isPitlaneError } from '../errors.ts';

test('config: defaults give all six checks and a 1 min window', () => {
  const c = resolveCompareConfig({});
  assert.deepEqual(c.checks.map((x) => x.type), ['count', 'schema', 'null-rate', 'key-coverage', 'aggregate', 'lateness']);
  assert.equal(c.window, 60_000);
  assert.equal(c.policy.checks[0]?.limits.maxFailures, 0);
});

const bad: { name: string; input: unknown; code: string; match: RegExp }[] = [
  { name: 'unknown check type names the known ones', input: { checks: [{ type: 'counts' }] }, code: 'CHECK_UNKNOWN_TYPE', match: /count, schema, null-rate, key-coverage, aggregate, lateness/ },
  { name: 'bad duration', input: { window: '10 parsecs' }, code: 'CONFIG_INVALID', match: /window/ },
  { name: 'unknown top-level key', input: { windw: '1m' }, code: 'CONFIG_INVALID', match: /windw/ },
  { name: 'bad check parameter', input: { checks: [{ type: 'count', relative: 'lots' }] }, code: 'CONFIG_INVALID', match: /relative/ },
  { name: 'bad divergence sample', input: { divergence: { sample: -1 } }, code: 'CONFIG_INVALID', match: /divergence\.sample/ },
  { name: 'unknown divergence key', input: { divergence: { samples: 5 } }, code: 'CONFIG_INVALID', match: /samples/ },
  { name: 'duplicate check names', input: { checks: [{ type: 'count' }, { type: 'count' }] }, code: 'CONFIG_INVALID', match: /two checks are named "count"/ },
];

for (const c of bad) {
  test(`config: ${c.name}`, () => {
    assert.throws(() => resolveCompareConfig(c.input), (e) => isPitlaneError(e) && e.code === c.code && c.match.test(e.describe()));
  });
}

test('config: per-check limits, statistical mode and expected differences', () => {
  const c = resolveCompareConfig({
    window: '10s',
    limits: { maxConsecutiveErrors: 5 },
    checks: [{ type: 'count', name: 'volume', relative: 0.1, limits: { maxFailures: 2 }, statistical: { tolerance: 0.1 } }],
    expected: [{ check: 'volume', change: { min: -0.7, max: -0.4 } }],
  });
  assert.equal(c.window, 10_000);
  assert.deepEqual(c.policy.checks[0]?.limits, { maxFailures: 2, maxInconclusive: null, maxConsecutiveErrors: 5 });
  assert.deepEqual(c.policy.checks[0]?.statistical, { tolerance: 0.1, alpha: 0.05, minSamples: 5 });
  assert.equal(c.checks[0]?.name, 'volume');
  assert.equal(c.expected.length, 1);
});

test('durations', () => {
  // The checks config reads durations with src/config/duration.ts: a bare number is milliseconds.
  const window = (d: string | number): number | undefined => {
    try {
      return resolveCompareConfig({ window: d }).window;
    } catch {
      return undefined;
    }
  };
  assert.deepEqual(['250ms', '10s', '5m', '1h', 1500, '2', 'x', -1].map(window), [250, 10_000, 300_000, 3_600_000, 1500, 2, undefined, undefined]);
});

test('config: divergence defaults, and declared schema changes are ignored fields', () => {
  assert.deepEqual(resolveCompareConfig({}).divergence, { enabled: true, sample: 10, maxKeys: 100_000, ignoreFields: [] });
  const c = resolveCompareConfig({ divergence: { sample: 3, ignoreFields: ['computedAt'] }, expected: [{ check: 'schema', addedFields: ['riskScore'], retypedFields: ['score'] }] });
  assert.deepEqual(c.divergence, { enabled: true, sample: 3, maxKeys: 100_000, ignoreFields: ['computedAt', 'riskScore', 'score'] });
});
