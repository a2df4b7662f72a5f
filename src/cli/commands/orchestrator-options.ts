/**
 * What every command that works on the durable store shares: its options
 * (--store, --state-dir, --flink-rest, --json) and the orchestrator it builds from
 * them and the CLI context, closed when the command ends.
 */
import type { Command } from 'commander';
import { createOrchestrator, type Orchestrator } from '../../orchestrator/create.ts';
import type { CliContext } from '../context.ts';

export interface OrchestratorFlags {
  store?: string;
  stateDir?: string;
  flinkRest?: string;
  json?: boolean;
}

export function orchestratorOptions(cmd: Command): Command {
  return cmd
    .option('--store <where>', 'deployment store: kafka[:TOPIC] or dir:PATH (default: $PITLANE_STORE or kafka:pitlane.deployments)')
    .option('--state-dir <dir>', 'job hosts, savepoints and reports (default: $PITLANE_STATE_DIR or ~/.local/state/pitlane/orchestrator)')
    .option('--flink-rest <url>', "the Flink cluster of the deployment's Flink jobs (default: the spec's flink.rest, else $FLINK_REST_URL, else the local dev cluster)")
    .option('--json', 'print the result as JSON');
}

export async function withOrchestrator<T>(ctx: CliContext, o: OrchestratorFlags, fn: (orch: Orchestrator) => Promise<T>): Promise<T> {
  const orch = createOrchestrator({ connection: ctx.connection(), kafka: ctx.kafka().kafka, logger: ctx.logger, store: o.store, stateDir: o.stateDir, flinkRest: ctx.flinkRestChoice(o.flinkRest), flinkSavepointTool: ctx.savepointTool() });
  try {
    return await fn(orch);
  } finally {
    await orch.close();
  }
}
