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

test('noise replica: the topic is named only when the replica is on', () => {
  const cases: [string, string | undefined][] = [
    ['', undefined],
    ['analysis: { noiseReplica: false }\n', undefined],
    ['analysis: { noiseReplica: true }\n', 'alerts-canary.noise'],
    ['analysis: { noiseReplica: true, noiseTopic: alerts-twin }\n', 'alerts-twin'],
  ];
  for (const [extra, want] of cases) assert.equal(parseDeploymentSpec(MINIMAL + extra, 's.yaml').analysis.noiseTopic, want, extra || '(none)');
});

test('noise replica: a topic that is read or trusted, or a topic without a replica, is refused at its key', () => {
  const cases: [string, string, RegExp][] = [
    ['topic without replica', 'analysis: { noiseTopic: alerts-twin }\n', /analysis\.noiseTopic.*noiseReplica is false/],
    ['the authoritative output', 'analysis: { noiseReplica: true, noiseTopic: alerts }\n', /analysis\.noiseTopic.*must differ/],
    ['the canary topic', 'analysis: { noiseReplica: true, noiseTopic: alerts-canary }\n', /analysis\.noiseTopic.*must differ/],
    ['an input', 'analysis: { noiseReplica: true, noiseTopic: payments }\n', /analysis\.noiseTopic.*must differ/],
    ['a bad name', 'analysis: { noiseReplica: true, noiseTopic: "a b" }\n', /analysis\.noiseTopic.*letters, digits/],
  ];
  for (const [label, extra, pattern] of cases) {
    assert.throws(() => parseDeploymentSpec(MINIMAL + extra, 'spec.yaml'), (e: unknown) => e instanceof ConfigError && pattern.test(e.message), label);
  }
});
