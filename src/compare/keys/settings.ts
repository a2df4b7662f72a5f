import { z } from 'zod';
import type { ExpectedDifference } from '../../analysis/expected.ts';

/** `divergence:` in the checks config / a spec's `analysis:`: naming the keys that differ in failed windows. */
export const divergenceSchema = z.strictObject({
  /** Keep key-range checksums per window and name diverging keys of failed windows (default true). */
  enabled: z.boolean().default(true),
  /** Keys listed per kind (only in a, only in b, different) and window; the rest are counted. */
  sample: z.number().int().min(0).default(10),
  /** Keys held at once while naming one window's diverging keys, both sides: memory bound of the search. */
  maxKeys: z.number().int().min(1).default(100_000),
  /** Value fields (dotted paths) whose differences do not make a key diverge; declared expected schema changes are added. */
  ignoreFields: z.array(z.string().min(1)).default([]),
});

export interface DivergenceSettings {
  readonly enabled: boolean;
  readonly sample: number;
  readonly maxKeys: number;
  /** The given ignoreFields and every field an expected difference declares added, removed or retyped. */
  readonly ignoreFields: readonly string[];
}

export function divergenceSettings(d: z.output<typeof divergenceSchema>, expected: readonly ExpectedDifference[]): DivergenceSettings {
  const declared = expected.flatMap((e) => [...(e.addedFields ?? []), ...(e.removedFields ?? []), ...(e.retypedFields ?? [])]);
  return { enabled: d.enabled, sample: d.sample, maxKeys: d.maxKeys, ignoreFields: [...new Set([...d.ignoreFields, ...declared])] };
}
