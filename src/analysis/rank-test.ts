import { cumulativeStdNormalProbability, median, wilcoxonRankSum } from 'simple-statistics';
import type { Status } from '../../comparators/types.ts';

export interface RankTestOptions {
  /** Relative effect size below which a difference is tolerated even when significant. */
  readonly tolerance: number;
  /** Two-sided significance level. */
  readonly alpha: number;
  /** Fewer windows per side than this is Inconclusive. */
  readonly minSamples: number;
}

export interface RankTestResult {
  readonly status: Status;
  readonly rankSum: number | null;
  readonly z: number | null;
  readonly pValue: number | null;
  /** Hodges–Lehmann shift (median of all b − a differences). */
  readonly shift: number | null;
  /** shift / |median(a)| (the shift itself when median(a) is 0). */
  readonly effect: number | null;
  readonly reason: string;
}

/**
 * A Mann–Whitney / Wilcoxon rank-sum test of per-window values of b against a, in
 * the manner of automated canary analysis: b fails only when its distribution is
 * shifted significantly (p < alpha, normal approximation with tie-blind variance)
 * AND the Hodges–Lehmann shift exceeds the tolerance, so a tiny but consistent
 * difference over many windows does not fail a release.
 */
export function rankTest(a: readonly number[], b: readonly number[], o: RankTestOptions): RankTestResult {
  const none = { rankSum: null, z: null, pValue: null, shift: null, effect: null };
  if (a.length < o.minSamples || b.length < o.minSamples) {
    return { status: 'Inconclusive', ...none, reason: `rank test needs ${o.minSamples} windows per side, has ${a.length} and ${b.length}` };
  }
  const n1 = b.length;
  const n2 = a.length;
  const w = wilcoxonRankSum([...b], [...a]);
  const mean = (n1 * (n1 + n2 + 1)) / 2;
  const sd = Math.sqrt((n1 * n2 * (n1 + n2 + 1)) / 12);
  const z = sd === 0 ? 0 : (w - mean) / sd;
  const pValue = Math.min(1, 2 * (1 - cumulativeStdNormalProbability(Math.abs(z))));
  const diffs: number[] = [];
  for (const x of b) for (const y of a) diffs.push(x - y);
  const shift = median(diffs);
  const base = median([...a]);
  const effect = base === 0 ? shift : shift / Math.abs(base);
  const significant = pValue < o.alpha;
  const large = Math.abs(effect) > o.tolerance;
  const status: Status = significant && large ? 'Failed' : 'Successful';
  const reason = significant && large
    ? `b is shifted by ${fmt(effect)} (p=${pValue.toFixed(4)}), beyond the tolerance ${o.tolerance}`
    : significant
      ? `b differs (p=${pValue.toFixed(4)}) but only by ${fmt(effect)}, within the tolerance ${o.tolerance}`
      : `no significant difference (p=${pValue.toFixed(4)})`;
  return { status, rankSum: w, z, pValue, shift, effect, reason };
}

function fmt(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}
