import { z } from 'zod';
import { parseWith } from '../config/validate.ts';
import { ConfigError } from '../errors.ts';
import { createCheck } from '../../comparators/index.ts';
import type { Check } from '../../comparators/types.ts';
import type { CheckPolicy, AssessmentPolicy } from '../analysis/assess.ts';
import type { ExpectedDifference } from '../analysis/expected.ts';
import { parseDuration } from '../config/duration.ts';
import { CUSTOM_TYPE } from './checks/custom.ts';
import { createCustomCheck, loadCheckModules, type CheckModules } from './checks/load.ts';
import { divergenceSchema, divergenceSettings, type DivergenceSettings } from './keys/settings.ts';

/**
 * The checks configuration (`--checks FILE`), and later the `analysis:` section of
 * a deployment spec. Validated once at the edge; everything inside gets the typed
 * result of `resolveCompareConfig`.
 */

/** A duration (src/config/duration.ts: a bare number is milliseconds), normalized to ms. */
const duration = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const r = parseDuration(v);
  if ('error' in r) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration (use e.g. 500ms, 10s, 5m, 1h, or a number of ms)` });
    return z.NEVER;
  }
  return r.ms;
});

export const eventTimeSchema = z.union([
  z.literal('auto'),
  z.literal('timestamp'),
  z.strictObject({ header: z.string().min(1) }),
  z.strictObject({ field: z.string().min(1) }),
]);

export const sideSchema = z.strictObject({
  format: z.enum(['json', 'avro']).optional(),
  /**
   * Where event time comes from. `auto` (default): the engine's `pitlane.event-time`
   * header when present, else the record timestamp.
   */
  eventTime: eventTimeSchema.optional(),
  /** The record key (default), or a field of the value. */
  key: z.union([z.literal('record'), z.strictObject({ field: z.string().min(1) })]).optional(),
  /** Registry subject of an Avro side (default `<topic>-value`): the schema check's source. */
  subject: z.string().optional(),
});

export const limitsSchema = z.strictObject({
  maxFailures: z.number().int().min(0).optional(),
  maxInconclusive: z.number().int().min(0).nullable().optional(),
  maxConsecutiveErrors: z.number().int().min(0).optional(),
});

const statisticalSchema = z.strictObject({
  tolerance: z.number().min(0).default(0.05),
  alpha: z.number().gt(0).lt(1).default(0.05),
  minSamples: z.number().int().min(2).default(5),
});

const checkEntry = z
  .object({
    type: z.string().min(1),
    name: z.string().min(1).optional(),
    limits: limitsSchema.optional(),
    statistical: statisticalSchema.optional(),
  })
  .catchall(z.unknown());

export const expectedSchema = z.strictObject({
  check: z.string().min(1),
  metric: z.string().optional(),
  change: z.strictObject({ min: z.number().optional(), max: z.number().optional() }).optional(),
  addedFields: z.array(z.string()).optional(),
  removedFields: z.array(z.string()).optional(),
  retypedFields: z.array(z.string()).optional(),
  reason: z.string().optional(),
});

export const compareConfigSchema = z.strictObject({
  /** Event-time window size. */
  window: duration.default(60_000),
  /** A window is judged once both sides' watermarks pass its end plus this. */
  grace: duration.default(0),
  /** Watermark = max event time seen − allowedLateness (per side). */
  allowedLateness: duration.default(5_000),
  /** In a live comparison, a partition silent this long stops holding its side's watermark back. */
  idleTimeout: duration.default(30_000),
  format: z.enum(['json', 'avro']).default('json'),
  a: sideSchema.default({}),
  b: sideSchema.default({}),
  /** Undecodable records tolerated per side before the comparison stops with an error. */
  maxUndecodable: z.number().int().min(0).default(100),
  minimum: z.strictObject({ windows: z.number().int().min(1).default(1), records: z.number().int().min(1).default(1) }).prefault({}),
  limits: limitsSchema.default({}),
  checks: z.array(checkEntry).optional(),
  expected: z.array(expectedSchema).default([]),
  /** Diverging keys named in failed windows (keys/settings.ts). */
  divergence: divergenceSchema.prefault({}),
});

export type CompareConfigInput = z.input<typeof compareConfigSchema>;
export type SideSettings = Required<Pick<z.output<typeof sideSchema>, 'format' | 'eventTime' | 'key'>> & { subject: string | undefined };

export interface CompareConfig {
  readonly window: number;
  readonly grace: number;
  readonly allowedLateness: number;
  readonly idleTimeout: number;
  readonly a: SideSettings;
  readonly b: SideSettings;
  readonly maxUndecodable: number;
  readonly checks: readonly Check[];
  readonly policy: AssessmentPolicy;
  readonly expected: readonly ExpectedDifference[];
  readonly divergence: DivergenceSettings;
  /** The configuration as given, so another thread can resolve the same checks (they are code, not data). */
  readonly input?: unknown;
}

export const DEFAULT_CHECKS = ['count', 'schema', 'null-rate', 'key-coverage', 'aggregate', 'lateness'] as const;

/**
 * Validates raw config (from YAML/JSON) and builds the checks; unknown check types are
 * ConfigErrors. A config with custom checks needs their modules loaded first: use
 * `loadCompareConfig`.
 */
export function resolveCompareConfig(input: unknown, source = 'checks config', modules?: CheckModules): CompareConfig {
  const c = parseWith(compareConfigSchema, input ?? {}, source);
  if (c.window <= 0) throw parseWithError(source, 'window must be greater than 0');
  const entries = c.checks ?? DEFAULT_CHECKS.map((type) => ({ type }));
  const names = new Set<string>();
  const checks: Check[] = [];
  const policies: CheckPolicy[] = [];
  for (const e of entries) {
    const { type, name: given, limits, statistical, ...params } = e as z.output<typeof checkEntry>;
    // A custom check is named by its module's defineCheck unless the entry names it.
    const check = type === CUSTOM_TYPE ? createCustomCheck(given, params, modules, source) : createCheck(type, given ?? type, params);
    if (names.has(check.name)) throw parseWithError(source, `two checks are named "${check.name}"; give one a distinct name`);
    names.add(check.name);
    checks.push(check);
    policies.push({
      name: check.name,
      type,
      limits: {
        maxFailures: limits?.maxFailures ?? c.limits.maxFailures ?? 0,
        maxInconclusive: limits?.maxInconclusive !== undefined ? limits.maxInconclusive : (c.limits.maxInconclusive ?? null),
        maxConsecutiveErrors: limits?.maxConsecutiveErrors ?? c.limits.maxConsecutiveErrors ?? 2,
      },
      statistical,
    });
  }
  const side = (s: z.output<typeof sideSchema>): SideSettings => ({ format: s.format ?? c.format, eventTime: s.eventTime ?? 'auto', key: s.key ?? 'record', subject: s.subject });
  return {
    window: c.window,
    grace: c.grace,
    allowedLateness: c.allowedLateness,
    idleTimeout: c.idleTimeout,
    a: side(c.a),
    b: side(c.b),
    maxUndecodable: c.maxUndecodable,
    checks,
    policy: { checks: policies, minWindows: c.minimum.windows, minRecords: c.minimum.records },
    expected: c.expected,
    divergence: divergenceSettings(c.divergence, c.expected),
    input,
  };
}

/**
 * The config with its custom checks' modules loaded (resolved from `cwd`) and
 * validated: what every entry point uses, before anything runs. Its `input` names the
 * modules by absolute path, so the comparison worker loads the same files.
 */
export async function loadCompareConfig(input: unknown, source = 'checks config', cwd = process.cwd()): Promise<CompareConfig> {
  const loaded = await loadCheckModules(input ?? {}, source, cwd);
  return resolveCompareConfig(loaded.input, source, loaded.modules);
}

function parseWithError(source: string, message: string): ConfigError {
  return new ConfigError('CONFIG_INVALID', `${source} is invalid: ${message}`, { hint: `Fix ${source} and try again.` });
}
