import { ConfigError } from '../src/errors.ts';
import type { Check } from './types.ts';
import { countCheck } from './count/count.ts';
import { schemaCheck } from './schema/schema.ts';
import { nullRateCheck } from './null-rate/null-rate.ts';
import { keyCoverageCheck } from './key-coverage/key-coverage.ts';
import { aggregateCheck } from './aggregate/aggregate.ts';
import { latenessCheck } from './lateness/lateness.ts';

export type * from './types.ts';

/** Builds a check from its configured name and its (unvalidated) parameters. */
export type CheckFactory = (name: string, params: unknown) => Check;

/** The explicit registry of check types (design.md §2). Add a type here and nowhere else. */
export const CHECK_TYPES: Readonly<Record<string, CheckFactory>> = Object.freeze({
  count: countCheck,
  schema: schemaCheck,
  'null-rate': nullRateCheck,
  'key-coverage': keyCoverageCheck,
  aggregate: aggregateCheck,
  lateness: latenessCheck,
});

export function createCheck(type: string, name: string, params: unknown): Check {
  const factory = Object.hasOwn(CHECK_TYPES, type) ? CHECK_TYPES[type] : undefined;
  if (!factory) {
    throw new ConfigError('CHECK_UNKNOWN_TYPE', `Check ${name} has unknown type "${type}".`, {
      hint: `Use one of: ${Object.keys(CHECK_TYPES).join(', ')}; or custom, a check of your own (module: ./checks/x.ts).`,
      data: { type, known: Object.keys(CHECK_TYPES) },
    });
  }
  return factory(name, params);
}
