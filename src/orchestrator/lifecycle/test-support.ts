/**
 * Fixtures shared by the lifecycle and controller unit tests: the smallest valid
 * deployment spec (plus any extra YAML) and a savepoint result to fork from.
 */
import { parseDeploymentSpec } from '../spec/load.ts';

export const SPEC = (extra = '') =>
  parseDeploymentSpec(
    `name: fraud
inputs: [payments]
authoritative: { job: v1.ts, version: v1, output: alerts }
candidate: { job: v2.ts, canary: alerts-canary, parallelism: 8 }
${extra}`,
    'test.yaml',
  );

export const SP = { location: '/sp/1', sourceOffsets: [{ topic: 'payments', partition: 0, offset: 42 }], completedAt: 5 };
