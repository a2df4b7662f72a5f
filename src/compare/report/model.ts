import type { Measurement, Status } from '../../../comparators/types.ts';
import type { Assessment } from '../../analysis/assess.ts';
import type { ExpectedDifference } from '../../analysis/expected.ts';
import type { SideStats } from '../side.ts';
import type { LagSummary } from './lag.ts';
import type { DivergingKeys } from '../keys/divergence.ts';

/** A judged window; a failed one names the keys whose values differ between the sides (a bounded sample). */
export interface ReportWindow {
  readonly start: number;
  readonly end: number;
  /** Failed windows only, once named (absent while the window is being read again, or when `divergence.enabled` is false). */
  readonly divergingKeys?: DivergingKeys | undefined;
}

/** Bumped on any incompatible change of the report's shape; pipelines match on it. */
export const REPORT_SCHEMA = 'pitlane.compare.report/v1';

export interface SideReport extends Omit<SideStats, 'firstUndecodable'> {
  readonly format: string;
  readonly firstUndecodable: string | null;
}

/** The comparison report: one JSON document (design.md §5), also the input of the terminal and HTML renderers. */
export interface ComparisonReport {
  readonly schema: typeof REPORT_SCHEMA;
  readonly generatedAt: string;
  /** true once bounded reads reached their end (a live comparison reports while running). */
  readonly complete: boolean;
  readonly verdict: Status;
  readonly reason: string;
  readonly sides: { readonly a: SideReport; readonly b: SideReport; readonly noise?: SideReport | undefined };
  readonly settings: {
    readonly window: number;
    readonly grace: number;
    readonly allowedLateness: number;
    /** Fields whose differences do not make a key diverge (divergence.ignoreFields and declared schema changes); absent when none. */
    readonly ignoreFields?: readonly string[] | undefined;
  };
  readonly expected: readonly ExpectedDifference[];
  readonly assessment: Assessment;
  /** Judged windows, oldest first. */
  readonly windows: readonly ReportWindow[];
  /** The candidate's watermark lag behind the authoritative over the windows (lateness check); absent in reports of older versions. */
  readonly watermarkLag?: LagSummary | undefined;
  /** Every measurement after the noise floor and expected differences were applied. */
  readonly measurements: readonly Measurement[];
}
