/**
 * The deployment spec's `analysis:` section as the comparator's config. The
 * comparator owns the shape of checks and expected differences; this only maps
 * the spec's names onto it, so a bad check is reported by the comparator with
 * its own message — at `canary start`, before anything is forked. Custom checks'
 * modules are loaded here (relative paths from the directory pitlane runs in, as the
 * spec's job paths are).
 */
import { loadCompareConfig, type CompareConfig } from '../../compare/index.ts';
import type { DeploymentSpec } from '../spec/schema.ts';

export async function compareConfigOf(spec: DeploymentSpec, source = `deployment ${spec.name} (analysis)`, cwd = process.cwd()): Promise<CompareConfig> {
  const a = spec.analysis;
  return loadCompareConfig(
    {
      window: a.window,
      grace: a.grace,
      ...(a.checks.length > 0 ? { checks: a.checks } : {}),
      expected: a.expected,
      minimum: { windows: a.minimum.windows, records: Math.max(1, a.minimum.records) },
    },
    source,
    cwd,
  );
}
