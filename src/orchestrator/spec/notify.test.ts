import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDeploymentSpec } from './load.ts';
import { ConfigError } from '../../errors.ts';

const MINIMAL = `
name: fraud
inputs: [payments]
authoritative: { job: examples/fraud/v1.ts, version: v1, output: alerts }
candidate: { job: examples/fraud/v2.ts, canary: alerts-canary, parallelism: 8 }
`;

test('notify and promotion.confirm: defaults filled in, durations in ms', () => {
  const none = parseDeploymentSpec(MINIMAL, 'n.yaml');
  assert.deepEqual(none.notify, []);
  assert.equal(none.promotion.confirm, undefined);
  const s = parseDeploymentSpec(
    `${MINIMAL}notify:\n  - url: http://127.0.0.1:9/hook\n  - { url: "https://x.example/h?k=1", on: [promoted], headers: { Authorization: "Bearer \${env:TOKEN}" }, timeout: 500ms, attempts: 2, backoff: 50ms }\npromotion: { confirm: { url: "http://127.0.0.1:9/ok" } }\n`,
    'n.yaml',
  );
  assert.deepEqual(s.notify[0], { url: 'http://127.0.0.1:9/hook', on: ['failed', 'passed', 'promoted', 'aborted', 'rolledBack'], timeout: 5000, attempts: 5, backoff: 1000 });
  assert.deepEqual(s.notify[1], { url: 'https://x.example/h?k=1', on: ['promoted'], headers: { Authorization: 'Bearer ${env:TOKEN}' }, timeout: 500, attempts: 2, backoff: 50 });
  assert.deepEqual(s.promotion.confirm, { url: 'http://127.0.0.1:9/ok', timeout: 10_000 });
});

test('bad notify and confirm keys are refused with the key and what to write', async (t) => {
  const cases: [string, RegExp][] = [
    ['notify: [{ url: "ftp://x/y" }]', /notify\.0\.url.*http:\/\/ or https:\/\//],
    ['notify: [{ url: "not a url" }]', /notify\.0\.url/],
    ['notify: [{ url: "http://x/h", on: [promotd] }]', /notify\.0\.on\.0.*failed, passed, promoted, aborted, rolledBack/],
    ['notify: [{ url: "http://x/h", on: [] }]', /at least one event/],
    ['notify: [{ url: "http://x/h", timeout: 2h }]', /notify\[\]\.timeout must be from/],
    ['notify: [{ url: "http://x/h", attempts: 0 }]', /attempts must be at least 1/],
    ['notify: [{ url: "http://x/h", retries: 3 }]', /retries/],
    ['notify: [{ url: "http://x/h", headers: { "bad header": x } }]', /not a header name/],
    ['promotion: { confirm: { url: "http://x/h", timeout: soon } }', /promotion\.confirm\.timeout/],
    ['promotion: { confirm: {} }', /promotion\.confirm\.url/],
  ];
  for (const [yaml, pattern] of cases) {
    await t.test(yaml, () => {
      assert.throws(() => parseDeploymentSpec(`${MINIMAL}${yaml}\n`, 'bad.yaml'), (e: unknown) => e instanceof ConfigError && pattern.test(e.message));
    });
  }
});
