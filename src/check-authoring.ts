/**
 * The contract between a check a user writes (`import { defineCheck } from 'pitlane'`)
 * and the comparator that runs it (src/compare/checks/custom.ts): a business check
 * folds each event-time window's records of both sides into an accumulator per side
 * and measures the two accumulators when the window closes.
 *
 * A fold, not a list of records: a window may hold millions of records, and the
 * comparator never holds them (each record is decoded, handed to every check, and
 * dropped); a check keeps only what it needs — a sum, a map per merchant. The built-in
 * checks work the same way (comparators/types.ts: open/add/finish).
 *
 * Pure: no imports, so the engine's public entry and the comparator can both use it.
 */

const CHECK = Symbol.for('pitlane.check');

/** a: the authoritative output; b: the candidate's (canary) output. */
export type CheckSide = 'a' | 'b';

/** A window's verdict in a check's words: the comparator's Successful, Failed, Inconclusive. */
export type CheckStatus = 'pass' | 'fail' | 'inconclusive';

/** One decoded output record, as the comparator hands it to a check (shared with other checks: do not modify it). */
export interface CheckRecord {
  /** The record key (or the key field the comparison is configured with); null when absent. */
  readonly key: string | null;
  /** The decoded value (JSON, or Avro through the registry); null for a tombstone. */
  readonly value: unknown;
  /** Event time, epoch ms: the engine's `pitlane.event-time` header, the record timestamp, or the configured field. */
  readonly eventTime: number;
  /** The Kafka record timestamp, epoch ms. */
  readonly timestamp: number;
}

/** A half-open event-time interval [start, end), epoch ms. */
export interface CheckWindow {
  readonly start: number;
  readonly end: number;
}

/** The tolerance the spec gives the check (`relative`, `absolute`), as the built-in checks have it. */
export interface CheckTolerance {
  /** Allowed |b − a| / |a| (default 0.05). */
  readonly relative: number;
  /** Allowed |b − a| (default 0); a difference within either passes. */
  readonly absolute: number;
}

export interface FoldContext<O> {
  readonly window: CheckWindow;
  readonly side: CheckSide;
  readonly options: O;
}

export interface MeasureContext<O> {
  readonly window: CheckWindow;
  readonly options: O;
  readonly tolerance: CheckTolerance;
  /** Records each side had in this window. */
  readonly records: { readonly a: number; readonly b: number };
  /** The built-in checks' rule: b is within the tolerance of a (absolute or relative). */
  within(a: number, b: number): boolean;
  /** (b − a) / |a|; ±Infinity when a is 0 and b is not, 0 when both are. */
  relativeChange(a: number, b: number): number;
}

/**
 * What a check measured in one window. With `status`, that is the window's verdict;
 * without it, `a` and `b` are judged by the spec's tolerance (`within`), observed is
 * their relative change and the threshold the relative tolerance.
 */
export interface CheckResult {
  /** What was measured, when a check reports several things (default `value`). */
  readonly metric?: string;
  readonly status?: CheckStatus;
  /** Each side's value (they also feed `statistical:` rank tests over windows). */
  readonly a?: number;
  readonly b?: number;
  /** The difference measured (default: the relative change of b against a). */
  readonly observed?: number | null;
  /** The value expected of observed (default 0). */
  readonly expected?: number | null;
  /** The tolerance observed was judged against (default: the relative tolerance). */
  readonly threshold?: number | null;
  /** Why, in words, for the report. */
  readonly reason?: string;
  /** Anything else for the report's JSON (kept small: it is written for every window). */
  readonly detail?: Readonly<Record<string, unknown>>;
}

export interface CheckSpec<O, A> {
  /** The check's name: its name in the report unless the spec names it. */
  readonly name: string;
  readonly description?: string;
  /** Validates and normalizes the spec's `options` (throw to refuse them: the spec is refused before anything runs). */
  options?(raw: unknown): O;
  /** A side's empty accumulator for a window. */
  init(ctx: FoldContext<O>): A;
  /** Folds one record into its side's accumulator: return the new one, or nothing after changing it in place. */
  add(acc: A, record: CheckRecord, ctx: FoldContext<O>): A | void;
  /** Once the window closes (both sides' watermarks past its end plus the grace): the measurement(s). Synchronous. */
  measure(a: A, b: A, ctx: MeasureContext<O>): CheckResult | readonly CheckResult[];
}

export interface CheckDefinition<O = unknown, A = unknown> extends CheckSpec<O, A> {
  readonly [CHECK]: true;
}

/**
 * A business check: a module default-exports `defineCheck({ name, init, add, measure })`
 * and a deployment spec (or `pitlane compare --checks`) names it with
 * `{ type: custom, module: ./checks/x.ts, options: {...}, relative: 0.01 }`.
 */
export function defineCheck<O = Readonly<Record<string, unknown>>, A = unknown>(spec: CheckSpec<O, A>): CheckDefinition<O, A> {
  if (typeof spec !== 'object' || spec === null) throw new TypeError('defineCheck takes an object: { name, init, add, measure }.');
  if (typeof spec.name !== 'string' || !/^[A-Za-z0-9._-]+$/.test(spec.name)) throw new TypeError(`defineCheck: name ${JSON.stringify(spec.name)} is not valid (letters, digits, ".", "_" and "-").`);
  for (const f of ['init', 'add', 'measure'] as const) {
    if (typeof spec[f] !== 'function') throw new TypeError(`defineCheck(${spec.name}): ${f} must be a function.`);
  }
  if (spec.options !== undefined && typeof spec.options !== 'function') throw new TypeError(`defineCheck(${spec.name}): options must be a function that validates the spec's options.`);
  return Object.freeze({ ...spec, [CHECK]: true as const });
}

/** By a registered symbol, so a check made by another copy of the pitlane package is one too. */
export function isCheckDefinition(x: unknown): x is CheckDefinition {
  return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[CHECK] === true;
}
