import type { Measurement } from '../../comparators/types.ts';

const key = (m: Measurement) => `${m.check}\u0000${m.metric}\u0000${m.window.start}`;

/**
 * The noise floor: `noise` are the same checks run on two copies of the
 * authoritative output (a vs a′). A failed a-vs-b measurement whose distance from
 * the expected value is no larger than a-vs-a′ showed in the same window and metric
 * is not a difference between the versions, so it becomes Successful (with the
 * floor in detail). Everything else is left as it was.
 */
export function applyNoiseFloor(measurements: readonly Measurement[], noise: readonly Measurement[]): Measurement[] {
  const floor = new Map<string, Measurement>();
  for (const n of noise) floor.set(key(n), n);
  return measurements.map((m) => {
    const n = floor.get(key(m));
    if (!n || m.status !== 'Failed' || m.observed === null || n.observed === null) return m;
    const target = m.expected ?? 0;
    const distance = Math.abs(m.observed - target);
    const noiseDistance = Math.abs(n.observed - target);
    if (distance > noiseDistance) return { ...m, detail: { ...m.detail, noiseFloor: n.observed } };
    return { ...m, status: 'Successful', detail: { ...m.detail, noiseFloor: n.observed, withinNoise: true } };
  });
}
