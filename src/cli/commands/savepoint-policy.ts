/**
 * The retention and period flags of the savepoint commands, read once: --keep-last,
 * --max-age and --every, each defaulting to the `savepoints` keys of a --spec.
 */
import type { Command } from 'commander';
import { UsageError } from '../usage.ts';
import { parseDuration } from '../../config/duration.ts';
import { policyProblem, type RetentionPolicy } from '../../orchestrator/savepoints/retention.ts';
import type { DeploymentSpec } from '../../orchestrator/spec/schema.ts';

export interface PolicyFlags {
  keepLast?: string;
  maxAge?: string;
}

export function policyOptions(cmd: Command): Command {
  return cmd
    .option('--keep-last <n>', "keep each job's newest N savepoints (default: the spec's savepoints.keepLast)")
    .option('--max-age <duration>', "dispose of savepoints older than this, e.g. 7d; the newest of each job is always kept (default: the spec's savepoints.maxAge)");
}

export function durationFlag(text: string, flag: string): number {
  const r = parseDuration(text);
  if ('error' in r) throw new UsageError('CLI_BAD_DURATION', `${flag} ${r.error}`, { hint: 'Write e.g. 30s, 1h or 7d.' });
  return r.ms;
}

export function countFlag(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError('CLI_BAD_NUMBER', `${flag} must be a whole number of at least 1, not "${text}".`);
  return n;
}

/** The policy the flags (else the spec) name; undefined when neither names a limit. */
export function retentionPolicy(o: PolicyFlags, spec?: DeploymentSpec): RetentionPolicy | undefined {
  const fromSpec = (spec as { savepoints?: DeploymentSpec['savepoints'] } | undefined)?.savepoints;
  const keepLast = o.keepLast !== undefined ? Number(o.keepLast) : fromSpec?.keepLast;
  const maxAgeMs = o.maxAge !== undefined ? durationFlag(o.maxAge, '--max-age') : fromSpec?.maxAge;
  if (keepLast === undefined && maxAgeMs === undefined) return undefined;
  const policy = { ...(keepLast !== undefined ? { keepLast } : {}), ...(maxAgeMs !== undefined ? { maxAgeMs } : {}) };
  const problem = policyProblem(policy);
  if (problem) throw new UsageError('CLI_BAD_RETENTION', `The retention policy is not valid: ${problem}.`, { hint: 'Write e.g. --keep-last 5 --max-age 7d (or savepoints: { keepLast: 5, maxAge: 7d } in the spec).' });
  return policy;
}
