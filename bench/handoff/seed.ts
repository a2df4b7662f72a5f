// The state every handoff and recovery run starts from: a synthetic savepoint of
// examples/fraud v1 holding `keys` user profiles.
import { describeJob, syntheticSnapshot, writeSavepoint } from '../../src/engine/index.ts';
import { profileV1Schema } from '../../examples/fraud/model.ts';
import fraudV1 from '../../examples/fraud/v1.ts';

export async function writeFraudSeed(dir: string, keys: number): Promise<void> {
  // The key fingerprint of fraud's keyBy: restores are planned, and a different key would be refused.
  const keyFingerprint = describeJob(fraudV1, {}).operators.find((o) => o.uid === 'profile')?.keyFingerprint;
  const snap = syntheticSnapshot({ keys, uid: 'profile', jobName: 'fraud', jobVersion: '1', ...(keyFingerprint ? { keyFingerprint } : {}), state: { name: 'profile', kind: 'value', codec: { type: 'avro', schema: profileV1Schema } }, value: (i) => ({ count: i % 100, total: (i % 997) * 1.5 }) });
  await writeSavepoint(dir, snap);
}
